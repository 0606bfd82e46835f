"""The catalogue the command line reads agrees with the experiment modules themselves."""

from __future__ import annotations

import argparse

import pytest

from dlhw.errors import ConfigError
from dlhw.experiments import all_experiments, get_experiment
from dlhw.experiments.catalog import ENTRIES, find_entry


def test_catalogue_lists_every_experiment_with_its_title_module_and_options():
    found = {e.id: e for e in all_experiments()}
    assert [e.id for e in ENTRIES] == list(found)  # same ids, same (text) order
    for entry in ENTRIES:
        exp = found[entry.id]
        assert (entry.title, entry.homework, entry.covers) == (exp.title, exp.homework, exp.covers)
        assert entry.load() is exp
        assert _options(entry.add_arguments()) == _options(exp.add_arguments)


def _options(add_arguments) -> list[tuple]:
    """What a parser built by ``add_arguments`` accepts: (flags, dest, default, choices, type)."""
    if add_arguments is None:
        return []
    p = argparse.ArgumentParser(add_help=False)
    add_arguments(p)
    return [(a.option_strings, a.dest, a.default, a.choices, a.type) for a in p._actions]


def test_covered_ids_resolve_to_the_run_that_answers_them():
    assert find_entry("hw2526.q2.2c").id == "hw2526.q2.2a"
    assert get_experiment("hw2526.q2.3b").id == "hw2526.q2.3a"


def test_unknown_id_lists_the_valid_ones():
    with pytest.raises(ConfigError, match=r"unknown experiment 'hw2122\.q9'; valid ids: hw2122\.q2\.2a"):
        find_entry("hw2122.q9")

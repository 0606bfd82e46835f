"""Finds every experiment by importing the modules of the two homework packages.

One experiment is found through the catalogue (:mod:`dlhw.experiments.catalog`), importing
only its module; :func:`all_experiments` imports them all.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import cache

from dlhw.errors import ConfigError
from dlhw.experiments.base import Experiment
from dlhw.experiments.catalog import find_entry

HOMEWORKS = ("hw2122", "hw2526")


def _sort_key(exp_id: str) -> list[object]:
    """Natural order of ids: hw2122.q2.2a < hw2122.q3.1a < hw2122.q3.10."""
    return [int(tok) if tok.isdigit() else tok for tok in re.split(r"(\d+)", exp_id)]


@cache
def all_experiments() -> tuple[Experiment, ...]:
    """Every experiment, in the order of the homework texts."""
    found: dict[str, Experiment] = {}
    for hw in HOMEWORKS:
        package = importlib.import_module(f"dlhw.experiments.{hw}")
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for exp in getattr(module, "EXPERIMENTS", ()):
                if exp.id in found:
                    raise RuntimeError(f"experiment id {exp.id} is defined twice")
                found[exp.id] = exp
    return tuple(sorted(found.values(), key=lambda e: _sort_key(e.id)))


def get_experiment(exp_id: str) -> Experiment:
    """The experiment with id ``exp_id``; an unknown id lists the valid ones.

    Imports only the module the catalogue (:mod:`dlhw.experiments.catalog`) names for it.
    """
    try:
        return find_entry(exp_id).load()
    except ConfigError:
        pass  # not catalogued: look through every module
    for exp in all_experiments():
        if exp.id == exp_id or exp_id in exp.covers:
            return exp
    valid = ", ".join(e.id for e in all_experiments()) or "(none installed)"
    raise ConfigError(f"unknown experiment {exp_id!r}; valid ids: {valid}")

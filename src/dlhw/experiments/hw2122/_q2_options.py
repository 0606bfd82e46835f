"""The command-line options of the Q2.2 regression experiments, importable without the models."""

from __future__ import annotations

import argparse
from functools import partial

from dlhw.experiments.classifier_runs import model_arguments

SEEDS = (0, 1, 2, 3, 42)  # 0: `make reproduce`'s seed, 42: the skeleton's default (-seed 42)


def _seed_arguments(p: argparse.ArgumentParser, kind: str) -> None:
    model_arguments(kind)(p)
    p.add_argument("--seeds", type=int, nargs="+", default=None,
                   help=f"seeds of the multi-seed study (default {' '.join(map(str, SEEDS))}; "
                        f"--seed is always among them)")


def seed_arguments(kind: str):
    """``add_arguments`` of a Q2.2 experiment: model ``kind``'s options and ``--seeds``."""
    return partial(_seed_arguments, kind=kind)

"""Experiments: one per requirement id of ``shared/docs/mission.md``.

Each module under :mod:`dlhw.experiments.hw2122` or :mod:`dlhw.experiments.hw2526` exports
``EXPERIMENTS``, a list of :class:`~dlhw.experiments.base.Experiment`; the registry finds them,
so adding a question is adding a module.
"""

from dlhw.experiments.base import Experiment, RunContext
from dlhw.experiments.registry import all_experiments, get_experiment

__all__ = ["Experiment", "RunContext", "all_experiments", "get_experiment"]

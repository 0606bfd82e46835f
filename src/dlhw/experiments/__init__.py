"""Experiments: one per homework question id (``hw2122.q3.1a``, ``hw2526.q2.2a``, ...).

A question module is data plus one call; what several questions share lives in named modules
here: :mod:`~dlhw.experiments.classifier_runs` (the scratch classifiers), :mod:`~dlhw.experiments.figures`
(``best_curves``), :mod:`~dlhw.experiments.base` (``Experiment``, ``RunOptions``, ``RunContext``).

Each module under :mod:`dlhw.experiments.hw2122` or :mod:`dlhw.experiments.hw2526` exports
``EXPERIMENTS``, a list of :class:`~dlhw.experiments.base.Experiment`; the registry finds them,
so adding a question is adding a module (and its row in :mod:`dlhw.experiments.catalog`, the
table the command line reads without importing any experiment). The names below are imported
on first use, so ``import dlhw.experiments.catalog`` costs only the standard library.
"""

from dlhw._lazy import lazy_exports

_NAMES = {"Experiment": "base", "RunContext": "base", "all_experiments": "registry",
          "get_experiment": "registry"}
__all__ = tuple(sorted(_NAMES))
__getattr__, __dir__ = lazy_exports(__name__, _NAMES)

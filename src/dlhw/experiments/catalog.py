"""The experiments known without importing them: id, title, module, option builder.

``dlhw list`` and ``dlhw run ID --help`` read this table only, so they never import an
experiment module (some import torch, 2-5 s). Each :class:`Entry` names the module defining
the experiment and, if it has options of its own, a ``"module:function"`` in a light module
(standard library and numpy) that adds them to an ``argparse`` parser (or, with
``options_for``, the function that returns that builder for a model kind). The table must agree
with the modules' ``EXPERIMENTS`` (ids, titles, homeworks); ``tests/experiments/test_catalog.py``
checks that, so adding a question is adding a module *and* a row here.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass

from dlhw.errors import ConfigError

_Q3 = "dlhw.experiments.hw2122.q3_classifiers"
_MODEL_OPTIONS = "dlhw.experiments.classifier_runs:model_arguments"
_Q2_OPTIONS = "dlhw.experiments.hw2122._q2_options:seed_arguments"
_SWEEP = "dlhw.experiments.hw2526._sweep_options"


@dataclass(frozen=True)
class Entry:
    """One experiment as the command line sees it before importing it.

    ``covers``: further mission ids answered by the same run (``dlhw run hw2526.q2.2b`` runs
    ``hw2526.q2.2a``).
    """

    id: str
    title: str
    homework: str
    module: str
    options: str | None = None
    covers: tuple[str, ...] = ()
    options_for: str | None = None  # ``options`` returns the builder for this model kind

    def add_arguments(self) -> Callable[[argparse.ArgumentParser], None] | None:
        """The function adding this experiment's own options (imports its light module)."""
        if self.options is None:
            return None
        module, _, name = self.options.partition(":")
        builder = getattr(importlib.import_module(module), name)
        return builder if self.options_for is None else builder(self.options_for)

    def load(self):
        """The :class:`~dlhw.experiments.base.Experiment` itself (imports its module)."""
        module = importlib.import_module(self.module)
        for exp in module.EXPERIMENTS:
            if exp.id == self.id:
                return exp
        raise ConfigError(f"{self.module} defines no experiment {self.id!r}; the catalogue of "
                          f"dlhw.experiments.catalog is out of date, reinstall dlhw")


_Q4_OPTIONS = "dlhw.experiments.hw2122._q4_options:add_arguments"  # --kernel fast|autograd

ENTRIES: tuple[Entry, ...] = (
    Entry("hw2122.q2.2a", "Linear regression on Ames by SGD vs the closed form (numpy)", "hw2122",
          "dlhw.experiments.hw2122.q2_regression", _Q2_OPTIONS, options_for="linear_regression"),
    Entry("hw2122.q2.2b", "One-hidden-layer ReLU network regression on Ames (numpy)", "hw2122",
          "dlhw.experiments.hw2122.q2_regression", _Q2_OPTIONS, options_for="neural_regression"),
    Entry("hw2122.q3.1a", "Perceptron on Fashion-MNIST (numpy)", "hw2122", _Q3, _MODEL_OPTIONS,
          options_for="perceptron"),
    Entry("hw2122.q3.1b", "Logistic regression, SGD lr 0.001, no regularisation (numpy)", "hw2122", _Q3,
          _MODEL_OPTIONS, options_for="logistic_regression"),
    Entry("hw2122.q3.2b", "MLP, 200 ReLU units, cross-entropy, SGD lr 0.001 (numpy)", "hw2122", _Q3,
          _MODEL_OPTIONS, options_for="mlp"),
    Entry("hw2122.q4.1", "PyTorch logistic regression, batch-1 SGD, learning rate tuned", "hw2122",
          "dlhw.experiments.hw2122.q4_torch", _Q4_OPTIONS),
    Entry("hw2122.q4.2", "PyTorch FFN with dropout, one hyperparameter tuned at a time", "hw2122",
          "dlhw.experiments.hw2122.q4_torch", _Q4_OPTIONS),
    Entry("hw2122.q4.3", "PyTorch FFN with 2 and 3 hidden layers (Table 1 defaults)", "hw2122",
          "dlhw.experiments.hw2122.q4_torch", _Q4_OPTIONS),
    Entry("hw2526.q1.1", "Multi-class perceptron, 20 epochs (numpy)", "hw2526",
          "dlhw.experiments.hw2526.q1_linear", _MODEL_OPTIONS, options_for="perceptron"),
    Entry("hw2526.q1.2a", "Logistic regression, L2 0.00001, SGD lr 0.0001, 20 epochs (numpy)", "hw2526",
          "dlhw.experiments.hw2526.q1_linear", _MODEL_OPTIONS, options_for="logistic_regression"),
    Entry("hw2526.q1.2b", "Feature maps (HOG, pooling) vs raw pixels", "hw2526",
          "dlhw.experiments.hw2526.q1_features", "dlhw.experiments.hw2526.q1_features:add_arguments"),
    Entry("hw2526.q1.2c", "Grid: 3 learning rates x 2 L2 x {pixels, HOG+pool}", "hw2526",
          "dlhw.experiments.hw2526.q1_grid", "dlhw.experiments.hw2526.q1_grid:add_arguments"),
    Entry("hw2526.q1.3", "MLP, 100 ReLU units, SGD lr 0.001, 20 epochs (numpy)", "hw2526",
          "dlhw.experiments.hw2526.q1_mlp", _MODEL_OPTIONS, options_for="mlp"),
    Entry("hw2526.q2.2a", "Width sweep: one hidden layer, 16-256 units, 80 configurations", "hw2526",
          "dlhw.experiments.hw2526.q2_width", f"{_SWEEP}:add_width_arguments",
          covers=("hw2526.q2.2b", "hw2526.q2.2c")),
    Entry("hw2526.q2.3a", "Depth sweep: 32 units per layer, 1 to 9 hidden layers", "hw2526",
          "dlhw.experiments.hw2526.q2_depth", f"{_SWEEP}:add_depth_arguments",
          covers=("hw2526.q2.3b", "hw2526.q2.3c")),
    Entry("hw2526.q3.3", "K = 2: softmax, sparsemax, relumax_b and derivatives", "hw2526",
          "dlhw.experiments.hw2526.q3_sparse", "dlhw.experiments.hw2526.q3_sparse:add_arguments"),
)


def find_entry(exp_id: str) -> Entry:
    """The entry of ``exp_id`` (or of the run that covers it); an unknown id lists the valid ones."""
    for entry in ENTRIES:
        if entry.id == exp_id or exp_id in entry.covers:
            return entry
    raise ConfigError(f"unknown experiment {exp_id!r}; valid ids: {', '.join(e.id for e in ENTRIES)}")

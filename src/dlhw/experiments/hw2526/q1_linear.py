"""2025-26 Q1.1 (perceptron) and Q1.2a (logistic regression with L2) on EMNIST Letters, numpy only.

20 epochs each, train and validation accuracy per epoch, the best-validation checkpoint and its
test accuracy. ``--dataset fashion-mnist`` runs them on Fashion-MNIST instead.
"""

from __future__ import annotations

from dlhw.experiments.base import RunContext
from dlhw.experiments.classifier_runs import ClassifierSpec, experiment

DEFAULT_DATASET = "emnist-letters"
DATASETS = ("emnist-letters", "fashion-mnist")


def pick_dataset(ctx: RunContext) -> str:
    """``--dataset`` if given, else EMNIST Letters (the 2025-26 text's data)."""
    return ctx.dataset_or(DEFAULT_DATASET)


SPECS = (
    ClassifierSpec("hw2526.q1.1", "Multi-class perceptron, 20 epochs (numpy)", "perceptron",
                   DEFAULT_DATASET),
    ClassifierSpec("hw2526.q1.2a", "Logistic regression, L2 0.00001, SGD lr 0.0001, 20 epochs (numpy)",
                   "logistic_regression", DEFAULT_DATASET, hyper={"learning_rate": 0.0001, "l2": 0.00001}),
)

EXPERIMENTS = [experiment(spec, "hw2526", DATASETS, pick_dataset) for spec in SPECS]

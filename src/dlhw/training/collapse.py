"""When a trained ReLU regression network has collapsed into a constant predictor.

A network whose hidden units all died (every ReLU input negative for every example) passes no
gradient to its first layer and predicts one number, the output bias, for every input. Its
training RMSE is then the targets' standard deviation (the RMSE of the best constant, the mean).
Both signs are read from stored numbers, so the experiment (hw2122.q2.2b) and its discussion
apply the same rule:

- ``rmse``: training RMSE at least :data:`RMSE_RATIO` (95 %) of the training targets' standard
  deviation (population std, ``numpy.std``);
- ``active``: fewer than :data:`MIN_ACTIVE` (1 %) of the (training example, hidden unit) pairs
  have a positive ReLU input.
"""

from __future__ import annotations

import math

import numpy as np

RMSE_RATIO = 0.95
MIN_ACTIVE = 0.01


def _finite(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def collapse_signs(train_rmse: float | None, target_std: float | None,
                   active_fraction: float | None) -> list[str]:
    """The signs of collapse the numbers show: a sublist of ``["rmse", "active"]`` (empty: healthy).

    A missing (None or non-finite) number shows no sign.
    """
    signs = []
    if _finite(train_rmse) and _finite(target_std) and target_std > 0 \
            and train_rmse >= RMSE_RATIO * target_std:
        signs.append("rmse")
    if _finite(active_fraction) and active_fraction < MIN_ACTIVE:
        signs.append("active")
    return signs


def active_fraction(X: np.ndarray, W1: np.ndarray, b1: np.ndarray) -> float:
    """Fraction of the (row, hidden unit) pairs of ``X`` (N, D) whose ReLU input ``W1 x + b1``
    (``W1`` (H, D), ``b1`` (H,)) is positive."""
    return float(np.mean(X @ W1.T + b1 > 0))

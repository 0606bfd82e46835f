"""Closed forms for K = 2, z = [0, t] (hw2526.q3.3): the second output and its derivative in t.

    softmax_2(t)    = 1 / (1 + e^{-t})                      (the logistic sigmoid)
    d/dt            = softmax_2(t) (1 - softmax_2(t))

    sparsemax_2(t)  = 0 for t <= -1,  (1 + t) / 2 for |t| < 1,  1 for t >= 1
    d/dt            = 1/2 for |t| < 1, else 0

    relumax_b,2(t)  = 0 for t <= -b,  1/2 + t / (2 (2b - |t|)) for |t| < b,  1 for t >= b
                      (that is (t + b) / (2b + t) for -b < t < 0 and b / (2b - t) for 0 <= t < b)
    d/dt            = b / (2b - |t|)^2 for |t| < b, else 0

Derivation of relumax: for t >= 0 the max is t, so the numerators are relu(b - t) and b and
relumax_2 = b / (b + relu(b - t)); for t < 0 the max is 0, the numerators are b and relu(t + b),
and relumax_2 = relu(t + b) / (b + relu(t + b)). Both branches give 1/2 and slope 1/(4b) at t=0,
so relumax_b,2 is differentiable at 0 (the tie) and has kinks only at t = +-b. Sparsemax has
kinks at t = +-1 (its support changes there); at every kink the derivative above takes the
value 0, matching the strict-support convention of the general Jacobians.

Each function maps an array of t (any shape) to an array of the same shape; ``b`` > 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlhw.activations._common import FloatArray
from dlhw.validation import check_positive


def _t(t: Any) -> np.ndarray:
    return np.asarray(t, dtype=np.float64)


def softmax2(t: Any) -> FloatArray:
    """softmax([0, t])_2 = 1 / (1 + exp(-t)), evaluated without overflow for any t."""
    t = _t(t)
    e = np.exp(-np.abs(t))  # in (0, 1]
    return np.where(t >= 0, 1 / (1 + e), e / (1 + e))


def softmax2_derivative(t: Any) -> FloatArray:
    """d softmax_2 / dt = softmax_2(t) (1 - softmax_2(t)) = e^{-|t|} / (1 + e^{-|t|})^2."""
    e = np.exp(-np.abs(_t(t)))
    return e / (1 + e) ** 2


def sparsemax2(t: Any) -> FloatArray:
    """sparsemax([0, t])_2 = clip((1 + t) / 2, 0, 1)."""
    return np.clip((1 + _t(t)) / 2, 0.0, 1.0)


def sparsemax2_derivative(t: Any) -> FloatArray:
    """d sparsemax_2 / dt = 1/2 on |t| < 1, else 0 (0 at the kinks t = +-1)."""
    return np.where(np.abs(_t(t)) < 1, 0.5, 0.0)


def relumax2(t: Any, b: float = 1.0) -> FloatArray:
    """relumax_b([0, t])_2 = 1/2 + t / (2 (2b - |t|)) on |t| < b, 0 below -b, 1 above b."""
    b = check_positive(b, "relumax b")
    t = _t(t)
    inside = np.abs(t) < b
    safe = np.where(inside, t, 0.0)  # keeps 2b - |t| >= b > 0 off the branch (no 1/0)
    middle = 0.5 + safe / (2 * (2 * b - np.abs(safe)))
    return np.where(inside, middle, np.where(t > 0, 1.0, 0.0))


def relumax2_derivative(t: Any, b: float = 1.0) -> FloatArray:
    """d relumax_b,2 / dt = b / (2b - |t|)^2 on |t| < b, else 0 (0 at the kinks t = +-b)."""
    b = check_positive(b, "relumax b")
    t = _t(t)
    inside = np.abs(t) < b
    safe = np.where(inside, t, 0.0)
    return np.where(inside, b / (2 * b - np.abs(safe)) ** 2, 0.0)

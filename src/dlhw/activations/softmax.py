"""Softmax, its Jacobian and its Jacobian-vector product.

softmax(z)_i = exp(z_i) / sum_j exp(z_j), computed as exp(z_i - max z) / sum_j exp(z_j - max z),
which is equal (shift invariance) and never overflows. ``-inf`` entries get probability 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlhw.activations._common import FloatArray, as_logits, as_vector, restore


def softmax(z: Any, dim: int = -1) -> FloatArray:
    """Softmax along ``dim``.

    Parameters
    ----------
    z : (..., K, ...) logits; finite or ``-inf`` (at least one finite entry per slice).
    dim : the axis of the K classes.

    Returns
    -------
    p : same shape and float dtype as ``z``; each slice along ``dim`` lies on the simplex.
    """
    x = as_logits(z, dim)  # (..., K)
    e = np.exp(x - x.max(axis=-1, keepdims=True))  # (..., K), max entry exactly 1
    return restore(e / e.sum(axis=-1, keepdims=True), dim)


def log_softmax(z: Any, dim: int = -1) -> FloatArray:
    """log softmax(z) = z - max z - log sum_j exp(z_j - max z), without forming the ratio."""
    x = as_logits(z, dim)
    shifted = x - x.max(axis=-1, keepdims=True)  # (..., K)
    return restore(shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True)), dim)


def softmax_jacobian(z: Any) -> FloatArray:
    """The Jacobian of softmax at one vector: J = diag(p) - p p^T, p = softmax(z).

    ``z`` : (K,). Returns J : (K, K) with J[i, j] = d softmax(z)_i / d z_j. J is symmetric and
    its rows and columns sum to 0.
    """
    p = softmax(as_vector(z))  # (K,)
    return np.diag(p) - np.outer(p, p)


def softmax_vjp(p: Any, v: Any, dim: int = -1) -> FloatArray:
    """J^T v for softmax, given its output ``p`` and a cotangent ``v`` of the same shape.

    (J^T v)_j = p_j (v_j - <p, v>), computed along ``dim`` for every slice.
    """
    p, v = np.asarray(p), np.asarray(v)
    return p * (v - (p * v).sum(axis=dim, keepdims=True))

"""Relumax: relu post-normalized with an offset b > 0 below the maximum (hw2526.q3.2).

    relumax_b(z)_i = relu(z_i - max(z) + b) / Z,   Z = sum_j relu(z_j - max(z) + b) >= b > 0.

The argmax contributes b to Z, so Z never vanishes (unlike the naive relu(z)/sum relu(z)).

Jacobian (q3.4). Let a_i = relu(z_i - m + b), m = max(z), S = {i : a_i > 0} with indicator s,
p = a / Z, and k the index of the maximum (dm/dz = e_k). Then da_i/dz_j = s_i (delta_ij -
delta_kj) and d Z / d z_j = s_j - |S| delta_kj, so

    J = d p / d z = (diag(s) - p s^T - (s - |S| p) e_k^T) / Z.

Rows and columns of J sum to 0; J is not symmetric in general (the max column differs). The
vector-Jacobian product is J^T v = (w - e_k sum(w)) / Z with w = s * (v - <p, v>).

Ties and kinks (the text assumes distinct entries):
* tied maxima get the same value b / Z; max(z) is then not differentiable, and the Jacobian
  uses k = the first index of the maximum (numpy's and torch's argmax), i.e. the derivative
  along directions that keep z_k a maximum;
* an entry with z_i - max(z) + b = 0 exactly is outside S (s_i = 0), the one-sided derivative
  from the side where it stays 0.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from dlhw.activations._common import FloatArray, as_logits, as_vector, check_b, restore
from dlhw.activations.sparsemax import threshold_sort_last


class _Parts(NamedTuple):
    """Pieces of relumax along the last axis: p, s (float 0/1), Z (..., 1), k (..., 1)."""

    p: np.ndarray
    s: np.ndarray
    Z: np.ndarray
    k: np.ndarray


def _parts_last(x: np.ndarray, b: np.ndarray) -> _Parts:
    """relumax pieces for ``x`` (..., K) and ``b`` broadcastable to (..., 1)."""
    k = np.argmax(x, axis=-1)[..., None]  # (..., 1): first index of the max
    m = np.take_along_axis(x, k, axis=-1)  # (..., 1)
    a = np.maximum(x - m + b.astype(x.dtype), 0)  # (..., K); a_k = b exactly
    Z = a.sum(axis=-1, keepdims=True)  # (..., 1), >= b > 0
    return _Parts(p=a / Z, s=(a > 0).astype(x.dtype), Z=Z, k=k)


def relumax(z: Any, b: Any = 1.0, dim: int = -1) -> FloatArray:
    """relumax_b(z) along ``dim`` (formula in the module docstring).

    Parameters
    ----------
    z : (..., K, ...) logits; finite or -inf (one finite entry per slice).
    b : number > 0, or array of the batch shape (z's shape without ``dim``), all > 0;
        b <= 0 raises ConfigError.
    dim : the axis of the K classes.

    Returns
    -------
    p : same shape and float dtype as ``z``, on the simplex along ``dim``; p_i = 0 exactly
        when z_i <= max(z) - b.
    """
    x = as_logits(z, dim)  # (..., K)
    return restore(_parts_last(x, check_b(b, x.shape[:-1])).p, dim)


def relumax_jacobian(z: Any, b: float = 1.0) -> FloatArray:
    """The Jacobian of relumax_b at one vector, including the dependence through max(z).

    ``z`` : (K,), ``b`` > 0. Returns J : (K, K), J[i, j] = d relumax_b(z)_i / d z_j =
    (diag(s) - p s^T - (s - |S| p) e_k^T) / Z (see the module docstring for ties).
    """
    x = as_vector(z)
    p, s, Z, k = _parts_last(x, check_b(b, ()))
    e_k = np.zeros_like(x)
    e_k[k] = 1.0
    return (np.diag(s) - np.outer(p, s) - np.outer(s - s.sum() * p, e_k)) / Z


def relumax_vjp(z: Any, v: Any, b: Any = 1.0, dim: int = -1) -> FloatArray:
    """J^T v for relumax_b at ``z`` along ``dim``: (w - e_k sum(w)) / Z, w = s * (v - <p, v>).

    ``z``, ``v`` : same shape (..., K, ...); returns the same shape.
    """
    x = as_logits(z, dim)  # (..., K)
    vv = np.moveaxis(np.asarray(v, dtype=x.dtype), dim, -1)  # (..., K)
    p, s, Z, k = _parts_last(x, check_b(b, x.shape[:-1]))
    w = s * (vv - (p * vv).sum(axis=-1, keepdims=True))  # (..., K)
    grad = w.copy()
    np.put_along_axis(grad, k, np.take_along_axis(w, k, axis=-1) - w.sum(axis=-1, keepdims=True), axis=-1)
    return restore(grad / Z, dim)


def relumax_b_for_sparsemax(z: Any, dim: int = -1) -> FloatArray:
    """The b with relumax_b(z) = sparsemax(z) (q3.2): b = max(z) - tau(z).

    Because sparsemax(z)_i = relu(z_i - tau) with sum 1, choosing b = max(z) - tau makes the
    relumax numerators equal to sparsemax(z) and Z = 1. This b lies in [1/K, 1] (tau <= max - 1/K
    and tau >= max - 1), so it is valid. When sparsemax(z) is one-hot every b in
    (0, max(z) - z_(2)] also works; this function returns the canonical max(z) - tau.

    ``z`` : (..., K, ...). Returns b with ``dim`` removed (a float for one vector).
    """
    x = as_logits(z, dim)  # (..., K)
    b = x.max(axis=-1) - threshold_sort_last(x)[..., 0]  # (...,)
    return b[()] if b.ndim == 0 else b

"""Sparsemax: the Euclidean projection onto the probability simplex [Martins and Astudillo, 2016].

sparsemax(z) = argmin_{p in simplex} ||p - z||^2 has the form sparsemax(z)_i = relu(z_i - tau),
where tau is the unique scalar with sum_i relu(z_i - tau) = 1. Two independent algorithms find
tau and check each other in the tests:

* :func:`sparsemax_threshold_sort` (exact, O(K log K)): with z_(1) >= ... >= z_(K) sorted,
  k(z) = max{k : 1 + k z_(k) > sum_{j<=k} z_(j)} is the support size and
  tau = (sum_{j<=k(z)} z_(j) - 1) / k(z).
* :func:`sparsemax_threshold_bisect`: bisection on the decreasing map
  f(tau) = sum_i relu(z_i - tau) - 1 over [max z - 1, max z - 1/K], where f changes sign.

Both subtract max(z) first (tau shifts with z), so |z| = 1e6 loses no precision in the support.

Ties and kinks: entries tied with each other get equal probabilities (the projection is unique).
Sparsemax is not differentiable where some z_i equals tau exactly (a support edge); there the
Jacobian uses the strict support S = {i : p_i > 0}, i.e. the one-sided derivative from the side
where i leaves the support.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlhw.activations._common import FloatArray, as_logits, as_vector, restore
from dlhw.validation import check_int


def threshold_sort_last(x: np.ndarray) -> np.ndarray:
    """tau for each row of ``x`` (..., K) by sorting; returns (..., 1)."""
    top = x.max(axis=-1, keepdims=True)  # (..., 1)
    srt = -np.sort(top - x, axis=-1)  # (..., K) shifted logits, descending, first entry 0
    ks = np.arange(1, x.shape[-1] + 1, dtype=x.dtype)  # (K,)
    css = np.cumsum(srt, axis=-1)  # (..., K); -inf entries stay -inf, never NaN
    support = 1 + ks * srt > css  # (..., K): True for a prefix of length k(z) >= 1
    k = support.sum(axis=-1, keepdims=True)  # (..., 1)
    tau = (np.take_along_axis(css, k - 1, axis=-1) - 1) / k.astype(x.dtype)  # (..., 1)
    return tau + top


def _threshold_bisect_last(x: np.ndarray, n_iter: int) -> np.ndarray:
    """tau for each row of ``x`` (..., K) by bisection; returns (..., 1)."""
    top = x.max(axis=-1, keepdims=True)  # (..., 1)
    shifted = x - top  # (..., K), max 0
    lo = np.full_like(top, -1.0)  # f(lo) >= 0: the max entry alone contributes 1
    hi = np.full_like(top, -1.0 / x.shape[-1])  # f(hi) <= 0: K entries of at most 1/K
    for _ in range(n_iter):
        mid = (lo + hi) / 2
        positive = np.maximum(shifted - mid, 0).sum(axis=-1, keepdims=True) > 1  # f(mid) > 0
        lo = np.where(positive, mid, lo)
        hi = np.where(positive, hi, mid)
    return (lo + hi) / 2 + top


def sparsemax_threshold_sort(z: Any, dim: int = -1) -> FloatArray:
    """The sparsemax threshold tau by sorting (exact up to rounding).

    ``z`` : (..., K, ...) logits (finite or -inf, one finite entry per slice). Returns tau with
    ``dim`` kept as size 1, so that ``relu(z - tau)`` broadcasts.
    """
    return restore(threshold_sort_last(as_logits(z, dim)), dim)


def sparsemax_threshold_bisect(z: Any, dim: int = -1, n_iter: int = 60) -> FloatArray:
    """The sparsemax threshold tau by ``n_iter`` bisection steps (interval width 2^-n_iter).

    Same shapes as :func:`sparsemax_threshold_sort`; an independent algorithm for the tests.
    """
    n_iter = check_int(n_iter, "n_iter", minimum=1)
    return restore(_threshold_bisect_last(as_logits(z, dim), n_iter), dim)


def sparsemax(z: Any, dim: int = -1) -> FloatArray:
    """sparsemax(z)_i = relu(z_i - tau(z)) along ``dim``, tau from the sort algorithm.

    ``z`` : (..., K, ...) logits; returns p of the same shape and float dtype, on the simplex
    along ``dim``, with exact zeros outside the support.
    """
    x = as_logits(z, dim)  # (..., K)
    return restore(np.maximum(x - threshold_sort_last(x), 0), dim)


def sparsemax_jacobian(z: Any) -> FloatArray:
    """The Jacobian of sparsemax at one vector: J = diag(s) - s s^T / |S|.

    ``z`` : (K,). s is the indicator of the support S = {i : sparsemax(z)_i > 0}. Returns J :
    (K, K), symmetric, rows and columns summing to 0 (see the module note on support edges).
    """
    s = (sparsemax(as_vector(z)) > 0).astype(np.float64)  # (K,)
    return np.diag(s) - np.outer(s, s) / s.sum()


def sparsemax_vjp(p: Any, v: Any, dim: int = -1) -> FloatArray:
    """J^T v for sparsemax from its output ``p``: s * (v - mean_{i in S} v_i) along ``dim``."""
    p, v = np.asarray(p), np.asarray(v)
    s = p > 0
    mean_s = np.where(s, v, 0).sum(axis=dim, keepdims=True) / s.sum(axis=dim, keepdims=True)
    return np.where(s, v - mean_s, 0)

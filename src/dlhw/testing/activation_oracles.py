"""Test-only oracles and hypothesis strategies for the activation tests.

``project_simplex_michelot`` solves the simplex projection without sorting (Michelot, 1986):
start from the full support, compute the threshold of that support, drop the entries below it,
repeat until the support is stable. It shares no code with the library's sort or bisection.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

FINITE = st.floats(min_value=-10.0, max_value=10.0, allow_nan=False, allow_infinity=False, width=64)


def project_simplex_michelot(v: np.ndarray) -> np.ndarray:
    """Euclidean projection of one vector ``v`` (K,) onto the simplex, by Michelot's algorithm."""
    support = np.ones(v.shape, dtype=bool)
    while True:
        tau = (v[support].sum() - 1.0) / support.sum()
        new = support & (v > tau)
        if new.sum() == support.sum():
            return np.maximum(v - tau, 0.0)
        support = new


@st.composite
def logits_and_dim(draw, max_dims: int = 3, max_side: int = 5, min_k: int = 2, max_k: int = 7):
    """(z, dim): float64 logits of 1..max_dims axes; the axis ``dim`` has size >= min_k."""
    ndim = draw(st.integers(1, max_dims))
    dim = draw(st.integers(-ndim, ndim - 1))
    shape = [draw(st.integers(1, max_side)) for _ in range(ndim)]
    shape[dim] = draw(st.integers(min_k, max_k))
    z = draw(hnp.arrays(np.float64, tuple(shape), elements=FINITE))
    return z, dim


def vectors(min_k: int = 2, max_k: int = 8):
    """One float64 vector (K,) with entries in [-10, 10]."""
    return st.integers(min_k, max_k).flatmap(lambda k: hnp.arrays(np.float64, (k,), elements=FINITE))


def draw_away_from_kinks(rng: np.random.Generator, k: int, is_smooth, scale: float = 2.0,
                         tries: int = 1000) -> np.ndarray:
    """A seeded random vector (k,) for which ``is_smooth(z)`` holds (finite differences stay on one piece)."""
    for _ in range(tries):
        z = scale * rng.standard_normal(k)
        if is_smooth(z):
            return z
    raise RuntimeError("no smooth point found; loosen the margin")


MARGIN = 1e-3  # >> the finite-difference step 1e-6


def sparsemax_smooth(z: np.ndarray) -> bool:
    """No entry within MARGIN of the threshold (support edge)."""
    from dlhw.activations import sparsemax_threshold_sort

    return bool(np.min(np.abs(z - sparsemax_threshold_sort(z))) > MARGIN)


def relumax_smooth(b: float):
    """Predicate: distinct top two entries and no entry within MARGIN of max(z) - b."""
    def ok(z: np.ndarray) -> bool:
        top2 = np.sort(z)[-2:]
        return bool(top2[1] - top2[0] > MARGIN and np.min(np.abs(z - z.max() + b)) > MARGIN)
    return ok


def vector_pairs(min_k: int = 1, max_k: int = 8):
    """Two float64 vectors of the same length K."""
    def pair(k: int):
        arr = hnp.arrays(np.float64, (k,), elements=FINITE)
        return st.tuples(arr, arr)
    return st.integers(min_k, max_k).flatmap(pair)

"""Per-example building blocks of the scratch models: each forward beside its derivative.

Everything here is pure numpy on one example (vectors, not batches, unless a name says
``_rows``): no I/O, no RNG, inputs never mutated. The numba fast path reimplements exactly
these formulas, so they are kept short and explicit.
"""

from __future__ import annotations

import numpy as np


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax of logits ``z`` (K,) -> probabilities (K,), shifted by max(z) for stability."""
    e = np.exp(z - z.max())  # (K,), largest entry exp(0) = 1 so no overflow
    return e / e.sum()


def cross_entropy(z: np.ndarray, y: int) -> tuple[float, np.ndarray]:
    """Multinomial logistic loss ``-log softmax(z)[y]`` and its gradient in ``z``.

    Returns ``(loss, dz)`` with ``dz = softmax(z) - e_y`` of shape (K,).
    """
    shift = z - z.max()  # (K,)
    log_norm = np.log(np.exp(shift).sum())
    p = np.exp(shift - log_norm)  # (K,) softmax(z)
    dz = p.copy()
    dz[y] -= 1.0
    return float(log_norm - shift[y]), dz


def cross_entropy_rows(Z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cross-entropy of each row of logits ``Z`` (N, K) with labels ``y`` (N,): shape (N,)."""
    shift = Z - Z.max(axis=1, keepdims=True)  # (N, K)
    log_norm = np.log(np.exp(shift).sum(axis=1))  # (N,)
    return log_norm - shift[np.arange(len(y)), y]


def relu(a: np.ndarray) -> np.ndarray:
    """max(a, 0), elementwise."""
    return np.maximum(a, 0.0)


def relu_backward(dh: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Gradient through relu: ``dh`` where the pre-activation ``a`` > 0, else 0 (0 at the kink)."""
    return dh * (a > 0)


def squared_error(pred: float, y: float) -> tuple[float, float]:
    """``0.5 * (pred - y)**2`` (the 2021-22 text's L) and its derivative ``pred - y``."""
    r = float(pred - y)
    return 0.5 * r * r, r


def normal_init(rng: np.random.Generator, shape: tuple[int, ...], mu: float = 0.1,
                sigma: float = 0.1) -> np.ndarray:
    """Weights ~ N(mu, sigma^2) (the texts' mu = 0.1, sigma = 0.1), float64."""
    return rng.normal(mu, sigma, size=shape)

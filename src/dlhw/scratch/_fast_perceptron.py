"""The perceptron's epoch in blocks, when its arithmetic is exact (``backend="numba"``, float64).

**Why it can be exact.** Images are ``code * scale[j]`` with integer codes and power-of-two
scales (:mod:`._fast_linear`), so every ``x_j`` is an integer multiple of ``u = min(scale)``.
From weights that are integer multiples of ``lr * u`` (zeros, as the perceptron starts) with a
power-of-two step ``lr`` (1, the texts' perceptron), each update ``W[y] += lr * x`` stays on
that grid, each product ``W[k, j] * x_j`` is an integer multiple of ``lr * u**2``, and as long
as ``max|W| * max_i ||x_i||_1 < 2**53 * lr * u**2`` every partial sum of a score is an integer
below ``2**53`` in those units: float64 represents all of them, so **every score is computed
exactly, in any order** -- by the reference's BLAS ``W @ x`` and by this kernel alike. Equal
scores give the same arg-max (ties to the lowest class), hence the same mistakes and
bit-identical weights. :func:`exact_for` checks these conditions (the bound for the worst case
of the whole epoch: a mistake on every example) and the dispatcher uses :func:`perceptron_epoch`
only then; otherwise the per-example kernel of :mod:`._fast_linear` runs.

**What exactness buys.** Between two mistakes the weights do not change, so the scores of the
next ``B`` examples come from one small matrix product ``Xb @ W.T`` (a 5 x 2 register tile reads
each weight once per five examples instead of once per example). After a mistake on example
``r`` the scores of the block's later examples ``q`` are corrected by the change of ``W``:
``S[q, y] += lr * x_q @ x_r`` and ``S[q, y_hat] -= lr * x_q @ x_r``, which is exact as well.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from dlhw.scratch._fast import JIT
from dlhw.scratch._fast_linear import Encoded
from dlhw.scratch._prefetch import prefetch_row

AHEAD = 2  # prefetch the rows of the block after next (measured: 1-4 within noise, 2 best)
BLOCK = 5  # examples scored together: the rows of one register tile (larger blocks waste more
# corrections after a mistake than they save in reads of W; measured on Fashion-MNIST)
_EXACT = {"reassoc", "contract"}  # only reorderings, harmless when every sum is exact


def exact_for(W: np.ndarray, lr: float, enc: Encoded | None, X: np.ndarray, n_steps: int) -> bool:
    """True when the scores of ``n_steps`` perceptron steps on ``X`` are exact (see the module doc).

    ``W`` (K, D) float64, ``enc`` the encoding of ``X`` (None: not encodable, hence not exact).
    """
    if enc is None or enc.source is not X or W.dtype != np.float64 or not lr > 0:
        return False
    if math.frexp(lr)[0] != 0.5:  # lr is not a power of two: lr * x may round
        return False
    unit = lr * float(enc.scale.min())  # the grid of W
    grid = W / unit
    if not (np.isfinite(grid).all() and (grid == np.round(grid)).all()):
        return False
    x_max = enc.x_max
    w_bound = float(np.abs(W).max(initial=0.0)) + n_steps * lr * x_max  # a mistake every step
    return w_bound * enc.row_l1_max < 2.0 ** 52 * unit * float(enc.scale.min())


@njit(fastmath=_EXACT, **JIT)
def _dot(A, a, B, b):
    """``A[a] @ B[b]`` (rows of equal width)."""
    total = 0.0
    for j in range(A.shape[1]):
        total += A[a, j] * B[b, j]
    return total


@njit(fastmath=_EXACT, **JIT)
def _tile(W, Xb, S, r, k):
    """``S[r:r+5, k:k+2] = Xb[r:r+5] @ W[k:k+2].T``: ten sums, one read of each weight.

    Ten independent sums keep both FMA units busy (a 4 x 2 tile reached 14-15 GMAC/s here,
    5 x 2 19: the eight sums of 4 x 2 cannot hide the FMA latency).
    """
    a00 = a01 = a10 = a11 = a20 = a21 = a30 = a31 = a40 = a41 = 0.0
    for j in range(W.shape[1]):
        w0, w1 = W[k, j], W[k + 1, j]
        x0, x1, x2, x3, x4 = Xb[r, j], Xb[r + 1, j], Xb[r + 2, j], Xb[r + 3, j], Xb[r + 4, j]
        a00 += w0 * x0
        a01 += w1 * x0
        a10 += w0 * x1
        a11 += w1 * x1
        a20 += w0 * x2
        a21 += w1 * x2
        a30 += w0 * x3
        a31 += w1 * x3
        a40 += w0 * x4
        a41 += w1 * x4
    S[r, k], S[r, k + 1], S[r + 1, k], S[r + 1, k + 1] = a00, a01, a10, a11
    S[r + 2, k], S[r + 2, k + 1], S[r + 3, k], S[r + 3, k + 1] = a20, a21, a30, a31
    S[r + 4, k], S[r + 4, k + 1] = a40, a41


@njit(fastmath=_EXACT, **JIT)
def _score_block(W, Xb, S, b):
    """``S[:b] = Xb[:b] @ W.T`` (b, K): 5 x 2 tiles, plain dots for leftover rows and class."""
    K = W.shape[0]
    full = b - b % BLOCK
    for r in range(0, full, BLOCK):
        for k in range(0, K - 1, 2):
            _tile(W, Xb, S, r, k)
    for r in range(b):
        for k in range(K):
            if r >= full or (K % 2 == 1 and k == K - 1):
                S[r, k] = _dot(W, k, Xb, r)


@njit(fastmath=_EXACT, **JIT)
def _decode_block(C, scale, order, p, Xb, b):
    """``Xb[r] = C[order[p + r]] * scale`` for ``r < b``, prefetching the next block's rows."""
    n = len(order)
    for r in range(b):
        if p + AHEAD * b + r < n:
            prefetch_row(C, order[p + AHEAD * b + r])
        i = order[p + r]
        for j in range(Xb.shape[1]):
            Xb[r, j] = C[i, j] * scale[j]


@njit(fastmath=_EXACT, **JIT)
def perceptron_epoch(C, scale, y, order, lr, W):
    """The reference's epoch on ``W`` (K, D) when :func:`exact_for` holds; returns the mistakes."""
    K, D = W.shape
    Xb, S = np.empty((BLOCK, D)), np.empty((BLOCK, K))
    mistakes = 0
    for p in range(0, len(order), BLOCK):
        b = min(BLOCK, len(order) - p)
        _decode_block(C, scale, order, p, Xb, b)
        _score_block(W, Xb, S, b)
        for r in range(b):
            y_hat, y_i = np.argmax(S[r]), y[order[p + r]]
            if y_hat == y_i:
                continue
            mistakes += 1
            for j in range(D):
                step = lr * Xb[r, j]
                W[y_i, j] += step
                W[y_hat, j] -= step
            for q in range(r + 1, b):  # the later rows' scores under the updated W
                g = lr * _dot(Xb, q, Xb, r)
                S[q, y_i] += g
                S[q, y_hat] -= g
    return mistakes

"""The perceptron's epoch in blocks with certified float32 scores (``kernel="numba"``, float64).

**1. The reference is exact.** Images are ``code * scale[j]`` with integer codes and
power-of-two scales (:mod:`._fast_linear`), so every ``x_j`` is an integer multiple of
``u = min(scale)``. From weights on the grid ``lr * u`` (zeros, as the perceptron starts) with a
power-of-two step ``lr`` (1, the texts' perceptron), each update ``W[y] += lr * x`` stays on the
grid, each product ``W[k, j] * x_j`` is an integer multiple of ``lr * u**2``, and as long as
``max|W| * max_i ||x_i||_1 < 2**52 * lr * u**2`` every partial sum of a score is an integer
below ``2**53`` in those units. So float64 computes **every score exactly, in any order**: the
reference's BLAS ``W @ x`` gives the true scores, and its arg-max (ties to the lowest class)
is the true one. :func:`exact_for` checks these conditions for the worst case of the epoch (a
mistake on every example); otherwise the dispatcher runs the per-example kernel of
:mod:`._fast_linear`.

**2. float32 scores, certified.** This kernel keeps ``W`` in float64 (updated exactly as the
reference does) and a float32 shadow ``W32 = fl32(W)``, and scores with ``W32``: half the
memory traffic and twice the SIMD width. A float32 dot of length ``D`` in any order, with the
rounding of ``W`` to float32, is within ``c * ||w_k||_2 * ||x||_2`` of the true score, with
``c = gamma_D (1 + 2**-24) + 2**-24`` and ``gamma_D = D 2**-24 / (1 - D 2**-24)`` (the standard
bound ``gamma_D sum |w_j x_j|``, then Cauchy-Schwarz; ``x`` is exact in float32, 8-bit codes
times powers of two). When the top score beats every other by more than the two error bounds
(plus a float64 slack), the float32 arg-max *is* the true arg-max; otherwise (about 0.1-0.2% of
Fashion-MNIST examples) the scores are recomputed exactly in float64. Decisions, hence mistakes
and the float64 weights, are **bit-identical to the reference**.

**3. Blocks.** Between two mistakes the weights do not change, so five examples are scored
together by a 5 x 2 register tile (each weight read once per five examples). After a mistake on
example ``r``, the later examples ``q`` of the block get the exact change of their scores,
``+- lr * x_q @ x_r`` (float64, exact by 1.); their error bound grows by the rounding of that
addition. Norms ``||w_k||_2`` are recomputed (as upper bounds) for the two rows each mistake
changes.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from dlhw.scratch._fast_linear import Encoded
from dlhw.scratch._kernels import JIT
from dlhw.scratch._prefetch import prefetch_row

BLOCK = 5  # examples scored together: the rows of one register tile (ten independent sums keep
# both FMA units busy; 4 x 2 tiles ran at ~3/4 of the speed, larger blocks waste corrections)
AHEAD = 2  # prefetch the rows of the block after next
_FLAGS = {"reassoc", "contract"}  # reorderings only: the bound of 2. holds for any order
_UNIT = 2.0 ** -24  # float32 unit roundoff
_ROOM = 1.0 + 1e-9  # relative room for the float64 roundings of the bound's own arithmetic


def exact_for(W: np.ndarray, lr: float, enc: Encoded | None, X: np.ndarray, n_steps: int) -> bool:
    """True when the reference's scores of ``n_steps`` steps on ``X`` are exact (1. above).

    ``W`` (K, D) float64, ``enc`` the encoding of ``X`` (None: not encodable, hence not exact).
    """
    if enc is None or enc.source is not X or W.dtype != np.float64 or not lr > 0:
        return False
    if math.frexp(lr)[0] != 0.5:  # lr is not a power of two: lr * x may round
        return False
    u = float(enc.scale.min())
    if min(u, lr * u, lr * u * u) < 2.0 ** -100:  # keep x, W and their products normal float32s
        return False
    grid = W / (lr * u)
    if not (np.isfinite(grid).all() and (grid == np.round(grid)).all()):
        return False
    w_bound = float(np.abs(W).max(initial=0.0)) + n_steps * lr * enc.x_max  # a mistake every step
    score_bound = w_bound * enc.row_l1_max
    return score_bound < 2.0 ** 52 * lr * u * u and score_bound < 2.0 ** 100


def error_factor(D: int) -> float:
    """``c`` of 2.: a float32 score is within ``c * ||w||_2 * ||x||_2`` of the true one."""
    gamma = D * _UNIT / (1.0 - D * _UNIT)
    return gamma * (1.0 + _UNIT) + _UNIT


@njit(fastmath=_FLAGS, **JIT)
def _tile(W32, Xb, S, k):
    """``S[:5, k:k+2] = Xb[:5] @ W32[k:k+2].T``, summed in float32: ten sums, one read of each weight."""
    a00 = a01 = a10 = a11 = a20 = a21 = a30 = a31 = a40 = a41 = np.float32(0.0)
    for j in range(W32.shape[1]):
        w0, w1 = W32[k, j], W32[k + 1, j]
        x0, x1, x2, x3, x4 = Xb[0, j], Xb[1, j], Xb[2, j], Xb[3, j], Xb[4, j]
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
    S[0, k], S[0, k + 1], S[1, k], S[1, k + 1], S[2, k] = a00, a01, a10, a11, a20
    S[2, k + 1], S[3, k], S[3, k + 1], S[4, k], S[4, k + 1] = a21, a30, a31, a40, a41


@njit(fastmath=_FLAGS, **JIT)
def _exact_scores(W, Xb, r, s):
    """``s[:K] = W @ Xb[r]`` in float64: exact under 1."""
    for k in range(W.shape[0]):
        total = 0.0
        for j in range(W.shape[1]):
            total += W[k, j] * np.float64(Xb[r, j])
        s[k] = total


@njit(fastmath=_FLAGS, **JIT)
def _row_dot(Xb, q, r):
    """``Xb[q] @ Xb[r]`` in float64 (exact under 1.)."""
    total = 0.0
    for j in range(Xb.shape[1]):
        total += np.float64(Xb[q, j]) * np.float64(Xb[r, j])
    return total


@njit(fastmath=_FLAGS, **JIT)
def _certain_argmax(s, K, err):
    """The arg-max of ``s[:K]`` if it beats every other score by more than ``2 * err``, else -1.

    ``err`` bounds the distance of every ``s[k]`` from the true score. One pass: the top score,
    its first index (ties go to the lowest class, which a tie never certifies anyway) and the
    runner-up.
    """
    best, top, second = 0, s[0], -np.inf
    for k in range(1, K):
        v = s[k]
        if v > top:
            best, top, second = k, v, top
        elif v > second:
            second = v
    return best if top - second > 2.0 * err * _ROOM else -1


@njit(fastmath=_FLAGS, **JIT)
def _update(W, W32, norm, Xb, r, lr, y, y_hat):
    """The reference's mistake update ``W[y] += lr * x``, ``W[y_hat] -= lr * x``, and its shadows."""
    sq_y = sq_hat = 0.0
    for j in range(W.shape[1]):
        step = lr * np.float64(Xb[r, j])
        w_y, w_hat = W[y, j] + step, W[y_hat, j] - step
        W[y, j], W[y_hat, j] = w_y, w_hat
        W32[y, j], W32[y_hat, j] = np.float32(w_y), np.float32(w_hat)
        sq_y += w_y * w_y
        sq_hat += w_hat * w_hat
    norm[y] = np.sqrt(sq_y) * (1.0 + 1e-10)  # upper bounds despite the sums' rounding
    norm[y_hat] = np.sqrt(sq_hat) * (1.0 + 1e-10)


@njit(fastmath=_FLAGS, **JIT)
def _decode_block(C, scale32, order, p, b, Xb):
    """``Xb[r] = C[order[p + r]] * scale`` (float32, exact) for ``r < b``; prefetch further rows."""
    for r in range(b):
        ahead = p + AHEAD * BLOCK + r
        if ahead < len(order):
            prefetch_row(C, order[ahead])
        i = order[p + r]
        for j in range(Xb.shape[1]):
            Xb[r, j] = np.float32(C[i, j]) * scale32[j]


@njit(fastmath=_FLAGS, **JIT)
def perceptron_epoch(C, scale, row_norm, y, order, lr, W, c):
    """The reference's epoch on ``W`` (K, D) when :func:`exact_for` holds; returns the mistakes.

    ``row_norm`` (n,) bounds ``||X[i]||_2``; ``c`` is :func:`error_factor` of ``D``.
    """
    K, D = W.shape
    Kp = K + K % 2  # W32 and S get a zero row / column so that tiles cover pairs of classes
    W32, S = np.zeros((Kp, D), np.float32), np.zeros((BLOCK, Kp))
    norm, err = np.empty(K), np.empty(BLOCK)
    for k in range(K):
        for j in range(D):
            W32[k, j] = np.float32(W[k, j])
        norm[k] = np.sqrt(np.sum(W[k] * W[k])) * (1.0 + 1e-10)
    Xb, scale32 = np.zeros((BLOCK, D), np.float32), scale.astype(np.float32)
    mistakes = 0
    for p in range(0, len(order), BLOCK):
        b = min(BLOCK, len(order) - p)
        _decode_block(C, scale32, order, p, b, Xb)
        for k in range(0, Kp, 2):
            _tile(W32, Xb, S, k)  # float32 sums, stored as float64 for the exact corrections
        w_norm = norm.max()
        for r in range(b):
            err[r] = c * w_norm * row_norm[order[p + r]]
        for r in range(b):
            y_hat, y_i = _certain_argmax(S[r], K, err[r]), y[order[p + r]]
            if y_hat < 0:  # too close to call in float32: the exact scores decide
                _exact_scores(W, Xb, r, S[r])
                y_hat = np.argmax(S[r, :K])
            if y_hat == y_i:
                continue
            mistakes += 1
            _update(W, W32, norm, Xb, r, lr, y_i, y_hat)
            for q in range(r + 1, b):  # the later rows' scores under the new W (exact change)
                g = lr * _row_dot(Xb, q, r)
                S[q, y_i] += g
                S[q, y_hat] -= g
                err[q] += 2.0 ** -53 * max(abs(S[q, y_i]), abs(S[q, y_hat]))  # the additions' rounding
    return mistakes


# Test-facing names (as scikit-learn's ``py_loss``/``py_dloss``): the pieces the tests check one by one.
score_tile = _tile
certain_argmax = _certain_argmax

"""Compiled epochs of the linear classifiers on a compact exact copy of ``X`` (see :mod:`._fast`).

With ``K = 10`` classes the cost of a step is moving data, not arithmetic: a float64 row of
Fashion-MNIST is 6.3 KB read from main memory in shuffled order, and ``W`` (K, D) (63 KB) lives
in L2. Images are ``pixels / 256``, so every value is ``code * 2**e`` with an integer ``code``
in 0..255 and one power-of-two scale per column (the bias column is 1 = 128 * 2**-7).
:func:`encoded` stores such an ``X`` once as ``uint8`` codes (8x less to read) plus the
``scale`` (D,); a row is decoded on use as ``code * scale[j]``, which is *exact* (an integer
times a power of two), so the kernels see bit-identical values. An ``X`` that is not of this
form (negative, non-dyadic, codes above 255) runs the same kernels on itself with scale 1.

**No hidden cache.** Encoding costs about one epoch, so it is done once per training run:
:func:`encode` returns an :class:`Encoded` tied to the array it was built from, the protocol
builds it before the first epoch (``model.prepare(X, kernel)``) and passes it to every
``train_epoch``, and the kernels use it only for that same array object. The contract, as for
any training run, is that ``X`` is not modified while it trains; a plain ``train_epoch`` call
without it runs the same kernels on ``X`` itself (scale 1), so nothing can go stale.
(What was tried and dropped: ``benchmarks/README.md``.)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numba import njit

from dlhw.data.pixels import PixelRows
from dlhw.scratch._kernels import JIT, cross_entropy, dot
from dlhw.scratch._prefetch import prefetch_row


# ---- the encoding ----------------------------------------------------------------------------
@njit(**JIT)
def _encode(X, codes, scale):
    """Fill ``codes`` (n, D) uint8 and ``scale`` (D,) with ``X == codes * scale``; False if impossible."""
    n, D = X.shape
    top = np.zeros(D)
    for i in range(n):
        for j in range(D):
            v = X[i, j]
            if not v >= 0.0:  # negative or NaN
                return False
            top[j] = max(top[j], v)
    for j in range(D):  # the finest power of two that keeps the column's codes <= 255
        scale[j] = 2.0 ** np.ceil(np.log2(top[j] / 255.0)) if top[j] > 0 else 1.0
    for i in range(n):
        for j in range(D):
            c = X[i, j] / scale[j]
            if c != np.floor(c) or c > 255.0:
                return False
            codes[i, j] = np.uint8(c)
    return True


@njit(**JIT)
def _row_norms(codes, scale, l2):
    """``l2[i] >= ||X[i]||_2`` (an upper bound, see :class:`Encoded`); returns ``max_i ||X[i]||_1``."""
    best = 0.0
    for i in range(codes.shape[0]):
        l1 = sq = 0.0
        for j in range(codes.shape[1]):
            v = codes[i, j] * scale[j]
            l1 += v
            sq += v * v
        best = max(best, l1)
        l2[i] = np.sqrt(sq) * (1.0 + 1e-10)  # covers the rounding of the sum (< D * 2**-53)
    return best


def norm_bounds(codes: np.ndarray, scale: np.ndarray) -> tuple[float, np.ndarray]:
    """For the rows ``X = codes * scale`` (n, D): ``max_i ||X[i]||_1`` and upper bounds (n,) of
    their Euclidean norms, from the codes in one compiled pass (no float copy of ``X``)."""
    l2 = np.empty(len(codes))
    return float(_row_norms(codes, scale, l2)), l2


@dataclass(frozen=True, eq=False)
class Encoded:
    """``X == codes * scale`` exactly: ``codes`` (n, D) uint8, ``scale`` (D,) powers of two.

    ``source`` is the array it encodes; :func:`source` uses the codes only for that object.
    ``x_max``, ``row_l1_max`` (the largest entry and the largest row sum of ``X``) and
    ``row_norm`` (n,) (upper bounds of the rows' Euclidean norms) bound the perceptron's scores
    and their rounding errors (:mod:`._fast_perceptron`); computed on first use, so logistic
    regression, which needs none of them, does not pay for them.
    """

    source: np.ndarray
    codes: np.ndarray
    scale: np.ndarray

    @cached_property
    def x_max(self) -> float:
        return float((self.codes.max(axis=0) * self.scale).max())  # exact: X's largest entry

    @cached_property
    def _norms(self) -> tuple[float, np.ndarray]:
        return norm_bounds(self.codes, self.scale)

    @property
    def row_l1_max(self) -> float:
        return self._norms[0]

    @property
    def row_norm(self) -> np.ndarray:
        return self._norms[1]


def encode(X: np.ndarray | PixelRows) -> Encoded | None:
    """The exact ``uint8`` encoding of ``X`` (n, D), or None when ``X`` has no such form.

    A :class:`dlhw.data.pixels.PixelRows` is its own encoding (float64 rows only: its codes and
    scales, taken as they are, no float copy made)."""
    if isinstance(X, PixelRows):
        return Encoded(X, X.codes, X.scale) if X.dtype == np.float64 and len(X) else None
    if X.ndim != 2 or X.dtype.kind != "f" or X.size == 0:
        return None
    codes, scale = np.empty(X.shape, np.uint8), np.empty(X.shape[1])
    return Encoded(X, codes, scale) if _encode(X, codes, scale) else None


# ---- kernels (C is uint8 codes with a power-of-two scale, or X itself with scale 1) -------------
@njit(**JIT)
def _decode(C, i, scale, x):
    """``x[0] = C[i] * scale`` (exact): the row as the model's dtype, in ``x`` (1, D)."""
    for j in range(x.shape[1]):
        x[0, j] = C[i, j] * scale[j]


@njit(fastmath={"reassoc"}, **JIT)
def _scores(W, x, z):
    """``z = W @ x[0]`` (K,) for ``W`` (K, D), two rows per pass over ``x`` (reassociated sums only)."""
    K, D = W.shape
    for k in range(0, K - 1, 2):
        a = b = 0.0
        for j in range(D):
            a += W[k, j] * x[0, j]
            b += W[k + 1, j] * x[0, j]
        z[k], z[k + 1] = a, b
    if K % 2:
        z[K - 1] = dot(W, K - 1, x, 0)


@njit(fastmath={"reassoc"}, **JIT)
def _step_row(W, k, x, d, lr, l2, x_next):
    """``W[k] -= lr * (d * x[0] + l2 * W[k])``; returns ``(W[k] @ x_next[0], W[k] @ W[k])`` after it."""
    dot = sq = 0.0
    for j in range(W.shape[1]):
        w = W[k, j] - lr * (d * x[0, j] + l2 * W[k, j])
        W[k, j] = w
        dot += w * x_next[0, j]
        sq += w * w
    return dot, sq


@njit(fastmath={"reassoc"}, **JIT)
def _step_pair_plain(W, k, x, d0, d1, lr, x_next):
    """:func:`_step_row` without L2 on rows ``k`` and ``k + 1`` in one pass (``x`` read once for
    both: about 1.3x faster than two passes); returns ``(W[k] @ x_next[0], W[k + 1] @ x_next[0])``.

    The update is ``W[k] -= lr * d0 * x[0]``, but not always in the reference's order
    ``lr * (d0 * x)``: the reassociation flag that vectorises the dots also lets LLVM hoist
    ``lr * d0`` out of the loop, which moves about 1% of the updated weights by one ulp.
    """
    dot0 = dot1 = 0.0
    for j in range(W.shape[1]):
        x_j, next_j = x[0, j], x_next[0, j]
        w0 = W[k, j] - lr * (d0 * x_j)
        w1 = W[k + 1, j] - lr * (d1 * x_j)
        W[k, j], W[k + 1, j] = w0, w1
        dot0 += w0 * next_j
        dot1 += w1 * next_j
    return dot0, dot1


@njit(**JIT)
def perceptron_epoch(C, scale, y, order, lr, W):
    """Mistake-driven updates of ``W`` (K, D); returns the number of mistakes.

    Example by example; :mod:`._fast_perceptron` has the faster blocked epoch for the (usual)
    case where every score is exact.
    """
    x, z = np.empty((1, W.shape[1]), W.dtype), np.empty(W.shape[0], W.dtype)
    mistakes = 0
    for n in range(len(order)):
        i = order[n]
        if n + 1 < len(order):
            prefetch_row(C, order[n + 1])
        _decode(C, i, scale, x)
        _scores(W, x, z)
        y_hat, y_i = np.argmax(z), y[i]
        if y_hat != y_i:
            mistakes += 1
            for j in range(W.shape[1]):
                step = lr * x[0, j]
                W[y_i, j] += step
                W[y_hat, j] -= step
    return mistakes


@njit(**JIT)
def logistic_epoch(C, scale, y, order, lr, l2, W):
    """Softmax regression with L2 on ``W`` (K, D); returns the summed per-example objective.

    One pass over ``W`` per step: the update also scores the *next* example (and with L2 sums
    ``W * W`` for the penalty), while the row after it is prefetched.
    """
    K, D = W.shape
    x, x_next = np.zeros((1, D), W.dtype), np.zeros((1, D), W.dtype)
    z, dz = np.empty(K, W.dtype), np.empty(K, W.dtype)
    _decode(C, order[0], scale, x)
    _scores(W, x, z)
    sq = 0.0
    for k in range(K):
        sq += dot(W, k, W, k)
    total = 0.0
    for n in range(len(order)):
        loss = cross_entropy(z, y[order[n]], dz)
        total += loss + 0.5 * l2 * sq if l2 != 0.0 else loss
        if n + 2 < len(order):
            prefetch_row(C, order[n + 2])
        if n + 1 < len(order):
            _decode(C, order[n + 1], scale, x_next)
        sq = 0.0
        if l2 != 0.0:
            for k in range(K):
                z[k], s = _step_row(W, k, x, dz[k], lr, l2, x_next)
                sq += s
        else:
            for k in range(0, K - 1, 2):
                z[k], z[k + 1] = _step_pair_plain(W, k, x, dz[k], dz[k + 1], lr, x_next)
            if K % 2:
                z[K - 1] = _step_row(W, K - 1, x, dz[K - 1], lr, 0.0, x_next)[0]
        x, x_next = x_next, x
    return total


@njit(fastmath={"reassoc", "contract"}, **JIT)
def _scores_pair(C, i, i2, V32, x0, x1, s0, s1):
    """Float32 scores of rows ``i`` and ``i2`` of ``C`` into ``s0``, ``s1`` (K,), in 2 x 2 tiles
    (two rows by two classes per pass over the features: each load feeds two FMAs)."""
    D, K = C.shape[1], V32.shape[0]
    for j in range(D):
        x0[j] = np.float32(C[i, j])
        x1[j] = np.float32(C[i2, j])
    for k in range(0, K - 1, 2):
        a = b = c = d = np.float32(0.0)
        for j in range(D):
            v, w = V32[k, j], V32[k + 1, j]
            a += x0[j] * v
            b += x1[j] * v
            c += x0[j] * w
            d += x1[j] * w
        s0[k], s1[k], s0[k + 1], s1[k + 1] = a, b, c, d
    if K % 2:
        a = b = np.float32(0.0)
        for j in range(D):
            a += x0[j] * V32[K - 1, j]
            b += x1[j] * V32[K - 1, j]
        s0[K - 1], s1[K - 1] = a, b


@njit(**JIT)
def _certify(s, slack, i, pred, unsure):
    """``pred[i]`` = arg-max of ``s`` (first of equals); ``unsure[i]`` when the top score's interval
    ``[s - slack, s + slack]`` meets another's. Returns ``unsure[i]``."""
    top = 0
    for k in range(1, s.shape[0]):
        if s[k] > s[top]:
            top = k
    second = -np.inf
    for k in range(s.shape[0]):
        if k != top and s[k] > second:
            second = s[k]
    pred[i] = top
    doubt = np.float64(s[top]) - slack <= np.float64(second) + slack
    unsure[i] = doubt
    return doubt


@njit(**JIT)
def certified_argmax(C, V32, slack_factor, row_norm, pred, unsure):
    """Arg-max of the float32 scores ``C[i] @ V32.T`` of every row; flags the rows not certain.

    ``C`` (n, D) uint8 codes, ``V32`` (K, D) float32 (``fl32(W * scale)``), ``row_norm`` (n,)
    upper bounds of the rows' norms, ``slack_factor`` the bound's constant times ``max_k
    ||W_k||``. Writes ``pred`` (n,) and ``unsure`` (n,) bool: a row is sure when its top score's
    lower bound beats every other score's upper bound (ties are never sure). Any summation
    order and contraction keep the bound (:mod:`dlhw.scratch._eval32`); returns the unsure count.
    """
    n, D = C.shape
    K = V32.shape[0]
    x0, x1 = np.empty(D, np.float32), np.empty(D, np.float32)
    s0, s1 = np.empty(K, np.float32), np.empty(K, np.float32)
    count = 0
    for i in range(0, n, 2):
        i2 = min(i + 1, n - 1)  # an odd last row is scored twice
        _scores_pair(C, i, i2, V32, x0, x1, s0, s1)
        count += _certify(s0, slack_factor * row_norm[i], i, pred, unsure)
        if i2 != i:
            count += _certify(s1, slack_factor * row_norm[i2], i2, pred, unsure)
    return count


def source(X: np.ndarray, dtype: type, enc: Encoded | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(C, scale)`` for the kernels: ``enc``'s codes when it encodes this very ``X``, else ``X``
    itself (as ``dtype``) with scale 1."""
    if enc is not None and enc.source is X:
        return enc.codes, enc.scale.astype(dtype, copy=False)
    return np.ascontiguousarray(X, dtype=dtype), np.ones(X.shape[1], dtype)


# Test-facing names (as scikit-learn's ``py_loss``/``py_dloss``): the steps the tests check one by one.
step_row = _step_row
step_pair_plain = _step_pair_plain

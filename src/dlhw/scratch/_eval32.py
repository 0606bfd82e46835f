"""Per-epoch evaluation in float32 with the float64 reference's exact decisions.

Scoring train, dev and test every epoch is a GEMM over every row; in float64 it reads 8 bytes
per pixel and costs more than the batch-1 epoch it measures. Image rows are ``code * 2**-k``
(8-bit codes), so they are *exactly* representable in float32: :func:`rows32` keeps a float32
copy of each split, made once per run. The scores are then computed in float32 (weights rounded
to float32) with a rigorous bound on their distance to the exact scores, and a row's arg-max
is accepted only when the top score's lower bound beats every other score's upper bound. Such a
row's exact arg-max is unique, and the float64 reference (``(X @ W.T).argmax(1)``, whose own
error is inside the same bound) finds it too. The rows that are not certain (typically well
under 1 %, and every tie) are scored by the float64 reference itself. So predictions are
identical to :meth:`ScratchModel._predict`; ``tests/scratch/test_eval32.py`` checks it.

**Linear classifiers on codes.** Pixel rows are ``codes * scale`` (uint8 codes, power-of-two
``scale`` per column: :class:`dlhw.scratch._fast_linear.Encoded`, the encoding the compiled
epochs already use). :class:`CodedRows` scores them straight from the codes, with
``V = fl32(W * scale)`` (``codes @ V.T``: a quarter of the float32 copy's bytes, no copy made),
in one compiled pass that also certifies each arg-max
(:func:`dlhw.scratch._fast_linear.certified_argmax`). ``x_j W_kj = code_j (scale_j W_kj)``
exactly, so the rounding of ``V`` and of the float32 sums obeys the same bound as above.

**Bound.** With ``u = 2**-24`` (float32) and ``D`` terms, any summation order gives
``|s~ - s| <= (D + 2) u sum_j |x_j| |w_j|`` (the weights' rounding, the products, the sums),
and ``sum_j |x_j| |w_j| <= ||x||_2 ||w||_2`` (Cauchy-Schwarz). The MLP's hidden layer adds a
bias; its error passes through ReLU unchanged (1-Lipschitz) and is weighted by ``|W2|`` in the
output layer, which adds its own ``(H + 2) u sum_h |W2_kh| |h_h|``. The constants include the
float64 reference's unit roundoff, and a factor ``1 + 2**-6`` covers the rounding of the bound
itself. Inputs and weights are kept in ``[2**-30, 2**30]`` (or 0), where no float32 product of
the first layer underflows and no score overflows; a hidden unit near 0 may underflow in the
output layer, which ``TINY`` per term covers. Outside that range the reference runs instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlhw.data.pixels import PixelRows, take_rows

U = 2.0**-24 + 2.0**-52  # float32's unit roundoff, plus the float64 reference's (twice)
SAFE = 1.0 + 2.0**-6  # covers the rounding of the bounds themselves
RANGE = (2.0**-30, 2.0**30)
TINY = 2.0**-120  # absolute error allowance per term (underflow in the output layer)


@dataclass(frozen=True, eq=False)
class Rows32:
    """The rows ``source`` (n, D) float64 as ``x32`` (n, D) float32 (equal element by element),
    with ``norm`` (n,) float64, upper bounds of the rows' Euclidean norms."""

    source: np.ndarray
    x32: np.ndarray
    norm: np.ndarray


def _in_range(a: np.ndarray, lo: float, hi: float) -> bool:
    """True when every nonzero ``|a|`` lies in ``[lo, hi]`` (and all are finite)."""
    mag = np.abs(a)
    if not np.isfinite(mag).all() or (mag.size and mag.max() > hi):
        return False
    nonzero = mag[mag != 0]
    return nonzero.size == 0 or nonzero.min() >= lo


def _rows_in_range(x32: np.ndarray) -> bool:
    """:func:`_in_range` for a large array, without a copy of its magnitudes when it is >= 0."""
    lo, hi = RANGE
    smallest, largest = x32.min(), x32.max()
    if not (np.isfinite(smallest) and np.isfinite(largest)) or max(largest, -smallest) > hi:
        return False
    mag = x32 if smallest >= 0 else np.abs(x32)
    return np.min(mag, where=mag != 0, initial=np.inf) >= lo


def rows32(X: np.ndarray) -> Rows32 | None:
    """The exact float32 view of ``X`` (n, D), or None when ``X`` has no such view.

    One compiled pass (:func:`dlhw.scratch._kernels.rows_float32`) converts, checks and
    measures the rows; :func:`rows32_reference` is the plain numpy version it is tested against.
    ``X`` may be a :class:`dlhw.data.pixels.PixelRows` (its floats are made; it stays the source).
    """
    if isinstance(X, PixelRows):
        return _pixel_rows32(X)
    A = np.asarray(X)
    if A.ndim != 2 or A.dtype.kind != "f" or A.size == 0:
        return None
    from dlhw.scratch._kernels import rows_float32  # numba: only when a run evaluates

    x32, norm = np.empty(A.shape, np.float32), np.empty(len(A))
    if not rows_float32(A, *RANGE, x32, norm):
        return None
    norm *= SAFE  # the sum's own rounding (< (D + 1) 2**-53 relative) is far inside SAFE
    return Rows32(X, x32, norm)


def _pixel_rows32(X: PixelRows) -> Rows32 | None:
    """:func:`rows32` of rows kept as pixels: float32 straight from the codes (exact: a code
    times a power of two), norms from the codes too; no float64 copy is made."""
    if not len(X):
        return None
    from dlhw.scratch._fast_linear import norm_bounds  # numba: only when a run evaluates

    x32 = np.multiply(X.codes, X.scale.astype(np.float32), dtype=np.float32)  # (n, D)
    if not _rows_in_range(x32):
        return None
    return Rows32(X, x32, norm_bounds(X.codes, X.scale)[1] * SAFE)


def rows32_reference(X: np.ndarray) -> Rows32 | None:
    """:func:`rows32` in plain numpy (several passes over ``X``): the readable definition."""
    if X.ndim != 2 or X.dtype.kind != "f" or X.size == 0:
        return None
    x32 = X.astype(np.float32)
    if not np.array_equal(x32, X) or not _rows_in_range(x32):
        return None
    norm = np.sqrt(np.einsum("ij,ij->i", X, X)) * SAFE  # (n,)
    return Rows32(X, x32, norm)


@dataclass(frozen=True, eq=False)
class CodedRows:
    """The rows ``source`` (n, D) as their exact encoding ``enc`` (uint8 codes times a
    power-of-two scale per column, :func:`dlhw.scratch._fast_linear.encode`)."""

    source: np.ndarray
    enc: object  # dlhw.scratch._fast_linear.Encoded (numba's module, imported lazily)


SCALE_RANGE = (2.0**-40, 2.0**40)  # keeps W * scale a normal float32 for W in RANGE


def coded_rows(X: np.ndarray, enc: object = None) -> CodedRows | None:
    """``X`` (n, D) by its exact encoding (``enc`` when it encodes this very ``X``, else made now),
    or None when ``X`` has none or its scales are outside :data:`SCALE_RANGE`."""
    try:
        from dlhw.scratch import _fast_linear as fl
    except ImportError:  # no numba: the float32 copy serves
        return None
    if enc is None or getattr(enc, "source", None) is not X:
        enc = fl.encode(X)
    if enc is None or not _in_range(enc.scale, *SCALE_RANGE):
        return None
    return CodedRows(X, enc)


def linear_predict_codes(W: np.ndarray, rows: CodedRows) -> np.ndarray:
    """``(rows.source @ W.T).argmax(1)`` for ``W`` (K, D), scored on the codes (n,)."""
    from dlhw.scratch import _fast_linear as fl

    enc, D = rows.enc, W.shape[1]
    if not weights_in_range(W):
        return _argmax_decoded(enc, W, np.arange(len(enc.codes)))
    V32 = (W * enc.scale).astype(np.float32)  # (K, D): exact products, rounded once
    factor = (D + 2) * U * SAFE * SAFE * float(np.linalg.norm(W, axis=1).max())
    n = len(enc.codes)
    pred, unsure = np.empty(n, np.int64), np.empty(n, np.bool_)
    if fl.certified_argmax(enc.codes, V32, factor, enc.row_norm, pred, unsure):
        doubt = np.flatnonzero(unsure)  # the rows the float64 reference decides
        pred[doubt] = _argmax_decoded(enc, W, doubt)
    return pred


def _argmax_decoded(enc, W: np.ndarray, rows: np.ndarray, block: int = 4096) -> np.ndarray:
    """The float64 reference ``(X[rows] @ W.T).argmax(1)`` with ``X = enc.codes * enc.scale``
    decoded exactly, ``block`` rows at a time (no float copy of all of ``X`` is made)."""
    out = np.empty(len(rows), np.int64)
    for start in range(0, len(rows), block):
        part = rows[start:start + block]
        out[start:start + block] = ((enc.codes[part] * enc.scale) @ W.T).argmax(axis=1)
    return out


def weights_in_range(*params: np.ndarray) -> bool:
    """True when float32 copies of ``params`` keep the bounds above valid."""
    return all(_in_range(p, *RANGE) for p in params)


def certain_argmax(scores: np.ndarray, slack: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Arg-max of ``scores`` (n, K) float32 whose exact values lie within ``slack`` of them.

    ``slack`` is (n,) (one bound for every class of a row) or (n, K). Returns ``(pred (n,),
    unsure (m,))``: ``pred[i]`` is the exact arg-max for every row not in ``unsure``, the rows
    whose top score's interval meets another's. ``scores`` is overwritten.
    """
    rows = np.arange(len(scores))
    pred = scores.argmax(axis=1)  # (n,)
    top = scores[rows, pred].astype(np.float64)  # (n,)
    if slack.ndim == 1:
        scores[rows, pred] = -np.inf
        second = scores.max(axis=1).astype(np.float64)  # (n,)
        return pred, np.flatnonzero(top - slack <= second + slack)
    high = scores + slack  # (n, K) float64
    low = top - slack[rows, pred]
    high[rows, pred] = -np.inf
    return pred, np.flatnonzero(high.max(axis=1) >= low)


def linear_predict(W: np.ndarray, rows: Rows32) -> np.ndarray:
    """``(rows.source @ W.T).argmax(1)`` for ``W`` (K, D), from float32 scores (n,)."""
    if not weights_in_range(W):
        return (np.asarray(rows.source) @ W.T).argmax(axis=1)
    scores = rows.x32 @ W.astype(np.float32).T  # (n, K)
    D = W.shape[1]
    slack = ((D + 2) * U * SAFE * np.linalg.norm(W, axis=1).max()) * rows.norm  # (n,) every class
    pred, unsure = certain_argmax(scores, slack)
    if unsure.size:
        pred[unsure] = (take_rows(rows.source, unsure) @ W.T).argmax(axis=1)
    return pred


def mlp_predict(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray,
                rows: Rows32, reference) -> np.ndarray:
    """Arg-max of ``W2 relu(W1 x + b1) + b2`` for every row, from float32 scores (n,).

    ``W1`` (H, D), ``b1`` (H,), ``W2`` (K, H), ``b2`` (K,); ``reference(X)`` gives the float64
    predictions of rows ``X`` (the model's own ``_predict``).
    """
    if not weights_in_range(W1, b1, W2, b2):
        return reference(np.asarray(rows.source))
    H, D = W1.shape
    hidden = rows.x32 @ W1.astype(np.float32).T  # (n, H)
    hidden += b1.astype(np.float32)
    np.maximum(hidden, 0, out=hidden)
    W2_32 = W2.astype(np.float32)
    scores = hidden @ W2_32.T + b2.astype(np.float32)  # (n, K)
    absW2 = np.abs(W2)  # (K, H)
    # hidden-layer error, weighted by |W2|: (D + 3) u (||x|| ||W1_h|| + |b1_h|) summed over h
    through = ((D + 3) * U) * (np.outer(rows.norm, absW2 @ np.linalg.norm(W1, axis=1))
                               + absW2 @ np.abs(b1))  # (n, K)
    # output-layer error: (H + 3) u (|W2| |h| + |b2|), |h| from the float32 hidden units
    # (whose own error, bounded by ``through``, is far below the 1 + 2**-6 margin)
    own = ((H + 3) * U) * ((hidden @ np.abs(W2_32).T).astype(np.float64) + np.abs(b2))  # (n, K)
    slack = (through + own) * SAFE**2 + (D + H) * TINY
    pred, unsure = certain_argmax(scores, slack)
    if unsure.size:
        pred[unsure] = reference(take_rows(rows.source, unsure))
    return pred

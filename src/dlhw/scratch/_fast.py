"""Compiled twins of the scratch models' batch-1 SGD epoch (``kernel="numba"``, the default).

Each ``_*_epoch`` kernel replays :meth:`ScratchModel._train_epoch_numpy` for one model: the same
examples in the same ``order``, each step with the current weights, the formulas of
:mod:`dlhw.scratch._ops`. Every elementwise update is written in the reference's operation order
(``W -= lr * (dz_k * x_j)``, ``W -= lr * (dz_k * x_j + l2 * W)``), so given the same gradient it
is bit-identical (but for one ulp in the paired logistic update without L2,
:func:`._fast_linear._step_pair_plain`); only the order of the terms inside a dot product
differs (the reference's BLAS blocks them too), so in float64 the weights after an epoch equal the
reference's to ~1e-13 relative (``tests/scratch/test_fast.py`` holds them to 1e-12). Results
repeat bit for bit.
Caveat: the MLP from the texts' N(0.1, 0.1^2) initialisation on real images starts with logits
in the hundreds and its SGD is chaotic there: a one-ulp change of one weight makes the *numpy
reference itself* drift by ~10x per 50 steps. Any reordering of a sum (another BLAS, or this
path) then gives a different, equally valid trajectory after a few hundred steps; agreement to
1e-12 holds in the tests' regime (a few hundred rows), not after a full epoch of that model.

Floating-point flags: see :mod:`._kernels` (``fastmath`` off but ``reassoc`` on the dot product).
Where the time goes and what was tried: ``benchmarks/README.md``.

``kernel="numba32"`` runs the same kernels on float32 copies of the weights and of ``X`` (the
model keeps float64 parameters): half the memory traffic, about 2x faster for the MLP, only
float32-accurate (about 1e-6 relative after an epoch). Load the data with ``dtype=np.float32``
to avoid a float32 copy of ``X`` per epoch. Exception: where the perceptron's blocked epoch
applies, ``"numba32"`` runs it too (it is faster than the float32 kernel, and exact). After
divergence (inf/NaN) the paths need not agree on where the NaNs are; both report it. Kernels
compile once per dtype and are cached on disk (see ``benchmarks/README.md`` before editing one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit

from dlhw.scratch import _fast_linear as fl
from dlhw.scratch import _fast_perceptron as fp
from dlhw.scratch._kernels import (
    JIT,
    cross_entropy,
    dot,
    gather,
    hidden_backward,
    hidden_backward_forward,
    hidden_forward,
    union_rows,
)
from dlhw.scratch._prefetch import prefetch_row


# ---- one epoch per model (the linear classifiers' are in _fast_linear) ---------------------------
@njit(**JIT)
def _hidden_layer_step(C, scale, order, step, W1T, b1, a, h, dh, lr, rows, a_next, h_next):
    """The first layer's update for example ``order[step]`` (``dh``: the gradient at ``h``) and,
    unless it is the last, the forward pass of the next into ``a_next``, ``h_next``, fused
    (:func:`hidden_backward_forward`); ``rows = (idx, v0, v1)`` are scratch (D,) buffers."""
    idx, v0, v1 = rows
    if step + 1 < len(order):
        n = union_rows(C, order[step], order[step + 1], scale, idx, v0, v1)
        hidden_backward_forward(W1T, b1, idx, v0, v1, n, a, dh, lr, a_next, h_next)
    else:
        n = gather(C, order[step], scale, idx, v0)
        hidden_backward(W1T, b1, idx, v0, n, a, dh, lr)


@njit(**JIT)
def _hidden_start(C, scale, order, W1T, b1):
    """A one-hidden-layer epoch's scratch arrays, after the forward pass of its first example:
    ``(rows, a, h, a_next, h_next, dh)``, ``rows = (idx, v0, v1)`` (D,) for
    :func:`_hidden_layer_step`, ``a``, ``a_next``, ``dh`` (H,), ``h``, ``h_next`` (1, H)."""
    D, H = W1T.shape
    dt = W1T.dtype
    rows = (np.empty(D, np.int64), np.empty(D, dt), np.empty(D, dt))
    a, h, a_next, h_next = np.empty(H, dt), np.empty((1, H), dt), np.empty(H, dt), np.empty((1, H), dt)
    n = gather(C, order[0], scale, rows[0], rows[1])
    hidden_forward(W1T, b1, rows[0], rows[1], n, a, h)
    return rows, a, h, a_next, h_next, np.empty(H, dt)


@njit(**JIT)
def mlp_epoch(C, scale, y, order, lr, W1T, b1, W2, b2):
    """One-hidden-layer ReLU classifier on the rows ``C * scale`` (:func:`gather`); ``W1T =
    W1.T`` (D, H). Returns the summed cross-entropy.

    Each step's first-layer update is fused with the next example's forward pass
    (:func:`_hidden_layer_step`): the same operations in the same order as update-then-forward.
    """
    H = W1T.shape[1]
    rows, a, h, a_next, h_next, dh = _hidden_start(C, scale, order, W1T, b1)
    z, dz = np.empty(W2.shape[0], W1T.dtype), np.empty(W2.shape[0], W1T.dtype)
    total = 0.0
    for step in range(len(order)):
        if step + 2 < len(order):
            prefetch_row(C, order[step + 2])  # the next row is read now, by the fused step
        for k in range(z.shape[0]):
            z[k] = dot(W2, k, h, 0) + b2[k]
        total += cross_entropy(z, y[order[step]], dz)
        dh[:] = 0.0  # dh = W2^T dz, with W2 before its update
        for k in range(z.shape[0]):
            for u in range(H):
                dh[u] += W2[k, u] * dz[k]
        for k in range(z.shape[0]):
            for u in range(H):
                W2[k, u] -= lr * (dz[k] * h[0, u])
            b2[k] -= lr * dz[k]
        _hidden_layer_step(C, scale, order, step, W1T, b1, a, h, dh, lr, rows, a_next, h_next)
        a, a_next, h, h_next = a_next, a, h_next, h
    return total


@njit(**JIT)
def linear_regression_epoch(X, y, order, lr, w):
    """``w -= lr * ((w @ x - y) x)`` for ``w`` (1, D); returns the summed ``0.5 (w @ x - y)^2``."""
    total = 0.0
    for i in order:
        r = dot(w, 0, X, i) - y[i]
        total += 0.5 * r * r
        for j in range(w.shape[1]):
            w[0, j] -= lr * (r * X[i, j])
    return total


@njit(**JIT)
def neural_regression_epoch(C, scale, y, order, lr, W1T, b1, w2, b2):
    """``w2 @ relu(W1 x + b1) + b2`` with squared error; ``w2`` (1, H), ``b2`` (1,); the first
    layer's steps fused as in :func:`mlp_epoch`."""
    H = W1T.shape[1]
    rows, a, h, a_next, h_next, dh = _hidden_start(C, scale, order, W1T, b1)
    total = 0.0
    for step in range(len(order)):
        if step + 2 < len(order):
            prefetch_row(C, order[step + 2])
        r = dot(w2, 0, h, 0) + b2[0] - y[order[step]]
        total += 0.5 * r * r
        for u in range(H):
            dh[u] = w2[0, u] * r  # W_out^T dout with W_out = w2 before its update
            w2[0, u] -= lr * (r * h[0, u])
        b2[0] -= lr * r
        _hidden_layer_step(C, scale, order, step, W1T, b1, a, h, dh, lr, rows, a_next, h_next)
        a, a_next, h, h_next = a_next, a, h_next, h
    return total


# ---- dispatch: model arrays <-> kernel layout ------------------------------------------------------
def _work(param: np.ndarray, dtype: type, transpose: bool = False) -> np.ndarray:
    """The kernel's contiguous copy of ``param`` (or ``param`` itself when no copy is needed)."""
    return np.ascontiguousarray(param.T if transpose else param, dtype=dtype)


def _store(param: np.ndarray, work: np.ndarray, transpose: bool = False) -> None:
    """Write the kernel's ``work`` array back into the model's ``param`` in place."""
    if work is not param:
        param[...] = work.T if transpose else work


def kernel_input(X: np.ndarray, dtype: type) -> np.ndarray:
    """``X`` as the dense kernels read it: C-contiguous, float32 for ``dtype`` float32 (else its own
    float dtype; integers become ``dtype``)."""
    return np.ascontiguousarray(X, dtype=dtype if dtype is np.float32 or X.dtype.kind != "f" else None)


def encode(X: np.ndarray) -> fl.Encoded | None:
    """The linear classifiers' per-run preparation: the exact encoding of ``X`` (see :mod:`._fast_linear`)."""
    return fl.encode(X)


def perceptron(W: np.ndarray, X: np.ndarray, y: np.ndarray, lr: Any, order: np.ndarray, dtype: type,
               prepared: fl.Encoded | None = None) -> float:
    """One perceptron epoch on ``W`` (K, D) in place; the mean mistake count.

    Where the reference's scores are exact (``prepared`` encodes ``X``, power-of-two step), the
    blocked epoch runs: bit-identical to the reference, and faster than the float32 kernel, so
    ``numba32`` takes it too."""
    if fp.exact_for(W, float(lr), prepared, X, len(order)):
        out = fp.perceptron_epoch(prepared.codes, prepared.scale, prepared.row_norm, y, order,
                                  float(lr), W, fp.error_factor(W.shape[1]))
        return out / len(order)
    C, scale = fl.source(X, dtype, prepared)
    Wk = _work(W, dtype)  # (K, D)
    out = fl.perceptron_epoch(C, scale, y, order, lr, Wk)
    _store(W, Wk)
    return out / len(order)


def logistic(W: np.ndarray, l2: float, X: np.ndarray, y: np.ndarray, lr: Any, order: np.ndarray,
             dtype: type, prepared: fl.Encoded | None = None) -> float:
    """One L2 logistic-regression epoch on ``W`` (K, D) in place; the mean objective."""
    C, scale = fl.source(X, dtype, prepared)
    Wk = _work(W, dtype)  # (K, D)
    out = fl.logistic_epoch(C, scale, y, order, lr, dtype(l2), Wk)
    _store(W, Wk)
    return out / len(order)


def hidden_net(epoch: Callable, params: tuple[np.ndarray, ...], X: np.ndarray, y: np.ndarray, lr: Any,
               order: np.ndarray, dtype: type, prepared: fl.Encoded | None = None) -> float:
    """A one-hidden-layer kernel (``mlp_epoch``, ``neural_regression_epoch``) on the model's arrays
    ``params = (W1 (H, D), b1 (H,), W_out (K, H) or (H,), b_out (K,) or 0-d)``, updated in place;
    returns the mean loss. ``prepared``: the exact encoding of ``X`` (its codes are read instead
    of floats, 8x fewer bytes: :func:`dlhw.scratch._fast_linear.source`)."""
    W1, b1, W_out, b_out = params
    C, scale = fl.source(X, dtype, prepared)
    W1T, b1k = _work(W1, dtype, transpose=True), _work(b1, dtype)  # (D, H), (H,)
    out = [_work(W_out, dtype), _work(b_out, dtype)]  # a 0-d bias becomes (1,)
    W_outk = out[0].reshape(-1, W1T.shape[1])  # (K, H); a regression's w2 (H,) as (1, H)
    total = epoch(C, scale, y, order, lr, W1T, b1k, W_outk, out[1])
    _store(W1, W1T, transpose=True)
    _store(b1, b1k)
    for p, w in zip((W_out, b_out), out, strict=True):
        _store(p, w)
    return total / len(order)


def linear_regression(w: np.ndarray, X: np.ndarray, y: np.ndarray, lr: Any, order: np.ndarray,
                      dtype: type) -> float:
    """One squared-error SGD epoch on ``w`` (D,) in place; the mean loss."""
    wk = _work(w, dtype)  # (D,)
    total = linear_regression_epoch(X, y, order, lr, wk.reshape(1, -1))  # a (1, D) view of w
    _store(w, wk)
    return total / len(order)

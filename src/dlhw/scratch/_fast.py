"""Compiled twins of the scratch models' batch-1 SGD epoch (``backend="numba"``, the default).

Each ``_*_epoch`` kernel replays :meth:`ScratchModel._train_epoch_numpy` for one model: the same
examples in the same ``order``, each step with the current weights, the same formulas as
:mod:`dlhw.scratch._ops`. Only the order of the sums inside a dot product differs (the reference
uses BLAS), so in float64 the weights after an epoch equal the reference's to ~1e-13 relative
(``tests/scratch/test_fast.py`` holds them to 1e-12). Where they are elementwise the updates are
written in the reference's operation order (``W -= lr * (dz_k * x_j)``), and numba's ``fastmath``
stays off, so nothing is reassociated or fused.

Where the time goes and what is saved:

* **Sparse inputs.** Images are half (Fashion-MNIST) to mostly (EMNIST) zeros. Each example's
  nonzero indices and values are gathered once (branch-free); the forward dot products and the
  rank-1 updates then only visit those columns. Skipping ``w * 0`` is exact for finite weights.
* **Layout.** Inside the kernel the first layer is stored transposed, ``(D, K)`` / ``(D, H)``, so
  both ``W @ x`` (a sum of rows ``x_j * W[:, j]``) and the update run over contiguous memory and
  vectorise without reassociating any sum. The model's own arrays are written back in place.
* **Lazy L2.** Logistic regression's step ``W -= lr (dz x^T + l2 W)`` touches every weight. Here
  ``W = s * V``: the decay multiplies the scalar ``s`` by ``1 - lr l2`` and only the nonzero
  columns of ``V`` change; ``||V||^2`` (for the penalty in the loss) is kept up to date by the
  same loop. ``s`` is folded back into ``V`` when it leaves [1e-6, 1e6]. When ``lr * l2 > 0.5``
  the eager update (the reference's formula on every weight) is used instead.

``backend="numba32"`` runs the same kernels on float32 copies of the weights and inputs (the
model keeps float64 parameters): about half the memory traffic, so faster for the MLP, but only
float32-accurate (a few 1e-6 relative after an epoch; the perceptron on pixel data stays exact).
After divergence (inf/NaN) the two paths need not agree on where the NaNs are; both report it.
Kernels are compiled once per dtype and cached on disk (``cache=True``).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from numba import njit

from dlhw.errors import ConfigError

JIT = {"cache": True, "nogil": True}  # fastmath stays off: IEEE order, results equal the reference
RENORM_LOW, RENORM_HIGH = 1e-6, 1e6  # the lazy L2 scale is folded into V outside this range
EAGER_DECAY = 0.5  # lr * l2 above this: eager L2 (a decay factor near 0 makes the scale useless)


# ---- shared pieces ------------------------------------------------------------------------------
@njit(**JIT)
def _gather(X, i, idx, val):
    """Nonzeros of row ``X[i]`` (D,): indices into ``idx``, values into ``val``; returns their count."""
    n = 0
    for j in range(X.shape[1]):
        v = X[i, j]
        idx[n] = j  # branch-free compaction: always write, advance only past a nonzero
        val[n] = v
        n += v != 0
    return n


@njit(**JIT)
def _scores(VT, idx, val, n, z):
    """``z`` (K,) = ``W @ x`` for ``VT = W.T`` (D, K) and the ``n`` gathered nonzeros of ``x``."""
    z[:] = 0.0
    for t in range(n):
        j, v = idx[t], val[t]
        for k in range(z.shape[0]):
            z[k] += VT[j, k] * v


@njit(**JIT)
def _cross_entropy(z, y, dz):
    """``-log softmax(z)[y]`` (returned) and ``softmax(z) - e_y`` into ``dz`` (``_ops.cross_entropy``)."""
    m = z.max()
    norm = 0.0
    for k in range(z.shape[0]):
        dz[k] = z[k] - m  # the shift, stored in dz for now
        norm += np.exp(dz[k])
    log_norm = np.log(norm)
    loss = log_norm - dz[y]
    for k in range(z.shape[0]):
        dz[k] = np.exp(dz[k] - log_norm)
    dz[y] -= 1.0
    return loss


@njit(**JIT)
def _rank1(VT, idx, val, n, dz, step, track):
    """``W -= step * outer(dz, x)`` on the gathered columns of ``VT = W.T`` (D, K).

    Returns the change of ``||VT||^2`` when ``track`` (else 0).
    """
    change = 0.0
    for t in range(n):
        j, v = idx[t], val[t]
        if track:
            for k in range(VT.shape[1]):
                old = VT[j, k]
                VT[j, k] = old - step * (dz[k] * v)
                change += VT[j, k] * VT[j, k] - old * old
        else:
            for k in range(VT.shape[1]):
                VT[j, k] -= step * (dz[k] * v)
    return change


@njit(**JIT)
def _hidden_forward(W1T, b1, idx, val, n, a, h):
    """``a = W1 @ x + b1`` and ``h = relu(a)`` (H,) for ``W1T = W1.T`` (D, H) (``mlp.hidden_forward``)."""
    a[:] = 0.0
    for t in range(n):
        j, v = idx[t], val[t]
        for u in range(a.shape[0]):
            a[u] += W1T[j, u] * v
    for u in range(a.shape[0]):
        a[u] += b1[u]
        h[u] = a[u] if a[u] > 0 else 0.0


@njit(**JIT)
def _hidden_backward(W1T, b1, idx, val, n, a, dh, lr):
    """``da = dh * [a > 0]`` (in ``dh``), then ``W1 -= lr * outer(da, x)``, ``b1 -= lr * da``."""
    for u in range(dh.shape[0]):
        dh[u] = dh[u] if a[u] > 0 else 0.0
    for t in range(n):
        j, v = idx[t], val[t]
        for u in range(W1T.shape[1]):
            W1T[j, u] -= lr * (dh[u] * v)
    for u in range(dh.shape[0]):
        b1[u] -= lr * dh[u]


# ---- one epoch per model --------------------------------------------------------------------------
@njit(**JIT)
def _perceptron_epoch(X, y, order, lr, VT):
    """Mistake-driven updates of ``VT = W.T`` (D, K); returns the number of mistakes."""
    idx, val = np.empty(VT.shape[0], np.int64), np.empty(VT.shape[0], VT.dtype)
    z = np.empty(VT.shape[1], VT.dtype)
    mistakes = 0
    for i in order:
        n = _gather(X, i, idx, val)
        _scores(VT, idx, val, n, z)
        y_hat, y_i = np.argmax(z), y[i]
        if y_hat != y_i:
            mistakes += 1
            for t in range(n):
                step = lr * val[t]
                VT[idx[t], y_i] += step
                VT[idx[t], y_hat] -= step
    return mistakes


@njit(**JIT)
def _logistic_epoch(X, y, order, lr, l2, VT):
    """Softmax regression with L2 on ``VT = W.T`` (D, K); returns the summed per-example loss."""
    idx, val = np.empty(VT.shape[0], np.int64), np.empty(VT.shape[0], VT.dtype)
    z, dz = np.empty(VT.shape[1], VT.dtype), np.empty(VT.shape[1], VT.dtype)
    lazy = lr * l2 <= EAGER_DECAY
    decay, scale, sq = 1.0 - lr * l2, 1.0, _sumsq(VT)  # W = scale * VT.T; sq = ||VT||^2
    total = 0.0
    for i in order:
        n = _gather(X, i, idx, val)
        _scores(VT, idx, val, n, z)
        z *= VT.dtype.type(scale)  # W @ x = scale * (V @ x); exact while scale == 1 (l2 == 0)
        loss = _cross_entropy(z, y[i], dz)
        if l2 != 0.0:
            loss += 0.5 * l2 * (scale * scale * sq)
        total += loss
        if lazy:
            scale *= decay  # W_new = decay * W - lr * dz x^T = scale_new * (V - lr/scale_new dz x^T)
            sq += _rank1(VT, idx, val, n, dz, VT.dtype.type(lr / scale), l2 != 0.0)
            if not RENORM_LOW < abs(scale) < RENORM_HIGH:
                VT *= VT.dtype.type(scale)
                scale, sq = 1.0, _sumsq(VT)
        else:
            _eager_l2_step(VT, X[i], dz, lr, l2)
            sq = _sumsq(VT)
    if scale != 1.0:
        VT *= VT.dtype.type(scale)
    return total


@njit(**JIT)
def _sumsq(VT):
    """``||VT||^2`` (the sum of squares), accumulated in float64."""
    total = 0.0
    for j in range(VT.shape[0]):
        for k in range(VT.shape[1]):
            total += VT[j, k] * VT[j, k]
    return total


@njit(**JIT)
def _eager_l2_step(VT, x, dz, lr, l2):
    """The reference's ``W -= lr * (outer(dz, x) + l2 * W)`` on every weight of ``VT = W.T``."""
    for j in range(VT.shape[0]):
        for k in range(VT.shape[1]):
            VT[j, k] -= lr * (dz[k] * x[j] + l2 * VT[j, k])


@njit(**JIT)
def _mlp_epoch(X, y, order, lr, W1T, b1, W2, b2):
    """One-hidden-layer ReLU classifier; ``W1T = W1.T`` (D, H). Returns the summed cross-entropy."""
    D, H = W1T.shape
    idx, val = np.empty(D, np.int64), np.empty(D, W1T.dtype)
    a, h, dh = np.empty(H, W1T.dtype), np.empty(H, W1T.dtype), np.empty(H, W1T.dtype)
    z, dz = np.empty(W2.shape[0], W1T.dtype), np.empty(W2.shape[0], W1T.dtype)
    total = 0.0
    for i in order:
        n = _gather(X, i, idx, val)
        _hidden_forward(W1T, b1, idx, val, n, a, h)
        z[:] = 0.0  # z = W2 @ h + b2, skipping the units relu switched off
        for u in range(H):
            if h[u] != 0.0:
                for k in range(z.shape[0]):
                    z[k] += W2[k, u] * h[u]
        z += b2
        total += _cross_entropy(z, y[i], dz)
        dh[:] = 0.0  # dh = W2^T dz, with W2 before its update
        for k in range(z.shape[0]):
            for u in range(H):
                dh[u] += W2[k, u] * dz[k]
        for k in range(z.shape[0]):
            for u in range(H):
                W2[k, u] -= lr * (dz[k] * h[u])
            b2[k] -= lr * dz[k]
        _hidden_backward(W1T, b1, idx, val, n, a, dh, lr)
    return total


@njit(**JIT)
def _linear_regression_epoch(X, y, order, lr, w):
    """``w -= lr * ((w @ x - y) x)`` per example; returns the summed ``0.5 (w @ x - y)^2``."""
    idx, val = np.empty(w.shape[0], np.int64), np.empty(w.shape[0], w.dtype)
    total = 0.0
    for i in order:
        n = _gather(X, i, idx, val)
        pred = 0.0
        for t in range(n):
            pred += w[idx[t]] * val[t]
        r = pred - y[i]
        total += 0.5 * r * r
        for t in range(n):
            w[idx[t]] -= lr * (r * val[t])
    return total


@njit(**JIT)
def _neural_regression_epoch(X, y, order, lr, W1T, b1, w2, b2):
    """``w2 @ relu(W1 x + b1) + b2`` with squared error; ``b2`` (1,). Returns the summed loss."""
    D, H = W1T.shape
    idx, val = np.empty(D, np.int64), np.empty(D, W1T.dtype)
    a, h, dh = np.empty(H, W1T.dtype), np.empty(H, W1T.dtype), np.empty(H, W1T.dtype)
    total = 0.0
    for i in order:
        n = _gather(X, i, idx, val)
        _hidden_forward(W1T, b1, idx, val, n, a, h)
        pred = 0.0
        for u in range(H):
            pred += w2[u] * h[u]
        r = pred + b2[0] - y[i]
        total += 0.5 * r * r
        for u in range(H):
            dh[u] = w2[u] * r  # W_out^T dout with W_out = w2 before its update
            w2[u] -= lr * (r * h[u])
        b2[0] -= lr * r
        _hidden_backward(W1T, b1, idx, val, n, a, dh, lr)
    return total


# ---- dispatch: model arrays <-> kernel layout ------------------------------------------------------
def _work(param: np.ndarray, dtype: type, transpose: bool = False) -> np.ndarray:
    """The kernel's contiguous copy of ``param`` (or ``param`` itself when no copy is needed)."""
    return np.ascontiguousarray(param.T if transpose else param, dtype=dtype)


def _store(param: np.ndarray, work: np.ndarray, transpose: bool = False) -> None:
    """Write the kernel's ``work`` array back into the model's ``param`` in place."""
    if work is not param:
        param[...] = work.T if transpose else work


def _perceptron(model: Any, X: np.ndarray, y: np.ndarray, lr: Any, order: np.ndarray, dtype: type) -> float:
    VT = _work(model.W, dtype, transpose=True)  # (D, K)
    mistakes = _perceptron_epoch(X, y, order, lr, VT)
    _store(model.W, VT, transpose=True)
    return mistakes / len(order)


def _logistic(model: Any, X: np.ndarray, y: np.ndarray, lr: Any, order: np.ndarray, dtype: type) -> float:
    VT = _work(model.W, dtype, transpose=True)  # (D, K)
    total = _logistic_epoch(X, y, order, lr, float(model.l2), VT)
    _store(model.W, VT, transpose=True)
    return total / len(order)


def _hidden_net(epoch: Callable, out_names: tuple[str, str]) -> Callable:
    """The wrapper of a one-hidden-layer kernel (``W1`` transposed, then ``b1`` and the output layer)."""

    def run(model: Any, X: np.ndarray, y: np.ndarray, lr: Any, order: np.ndarray, dtype: type) -> float:
        W1T, b1 = _work(model.W1, dtype, transpose=True), _work(model.b1, dtype)  # (D, H), (H,)
        out = [_work(getattr(model, k), dtype) for k in out_names]  # a 0-d bias becomes (1,)
        total = epoch(X, y, order, lr, W1T, b1, *out)
        _store(model.W1, W1T, transpose=True)
        _store(model.b1, b1)
        for k, w in zip(out_names, out):
            _store(getattr(model, k), w)
        return total / len(order)

    return run


def _linear_regression(model: Any, X: np.ndarray, y: np.ndarray, lr: Any, order: np.ndarray,
                       dtype: type) -> float:
    w = _work(model.w, dtype)  # (D,)
    total = _linear_regression_epoch(X, y, order, lr, w)
    _store(model.w, w)
    return total / len(order)


def _epochs() -> dict[type, Callable]:
    from dlhw.scratch.linear import LogisticRegression, Perceptron
    from dlhw.scratch.mlp import MLP
    from dlhw.scratch.regression import LinearRegression, NeuralRegression

    return {Perceptron: _perceptron, LogisticRegression: _logistic, LinearRegression: _linear_regression,
            MLP: _hidden_net(_mlp_epoch, ("W2", "b2")),
            NeuralRegression: _hidden_net(_neural_regression_epoch, ("w2", "b2"))}


def train_epoch(model: Any, X: np.ndarray, y: np.ndarray, lr: float, order: np.ndarray,
                backend: str = "numba") -> float:
    """The compiled :meth:`ScratchModel.train_epoch` for checked inputs (``order`` int64, non-empty).

    ``backend`` ``"numba"`` computes in float64 (equal to the reference), ``"numba32"`` in float32.
    Updates the model's parameter arrays in place; returns the epoch's mean ``loss_name``.
    """
    fn = _epochs().get(type(model))
    if fn is None:
        raise ConfigError(f"no compiled epoch for {type(model).__name__}; use backend='numpy'")
    dtype = np.float32 if backend == "numba32" else np.float64
    return fn(model, np.ascontiguousarray(X), np.ascontiguousarray(y), dtype(lr), order, dtype)

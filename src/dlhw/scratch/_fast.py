"""Compiled twins of the scratch models' batch-1 SGD epoch (``backend="numba"``, the default).

Each ``_*_epoch`` kernel replays :meth:`ScratchModel._train_epoch_numpy` for one model: the same
examples in the same ``order``, each step with the current weights, the formulas of
:mod:`dlhw.scratch._ops`. Every elementwise update is written in the reference's operation order
(``W -= lr * (dz_k * x_j)``, ``W -= lr * (dz_k * x_j + l2 * W)``), so given the same gradient it
is bit-identical (but for one ulp in the paired logistic update without L2,
:func:`._fast_linear._step_pair_plain`); only the order of the terms inside a dot product
differs (the reference's BLAS blocks them too), so in float64 the weights after an epoch equal the reference's to ~1e-13
relative (``tests/scratch/test_fast.py`` holds them to 1e-12). Results repeat bit for bit.
Caveat: the MLP from the texts' N(0.1, 0.1^2) initialisation on real images starts with logits
in the hundreds and its SGD is chaotic there: a one-ulp change of one weight makes the *numpy
reference itself* drift by ~10x per 50 steps. Any reordering of a sum (another BLAS, or this
path) then gives a different, equally valid trajectory after a few hundred steps; agreement to
1e-12 holds in the tests' regime (a few hundred rows), not after a full epoch of that model.

Floating-point flags: ``fastmath`` is off everywhere except one flag, ``reassoc``, on the
two-line :func:`_dot`: it lets LLVM keep several partial sums in SIMD registers, i.e. reorder
the sum of the products exactly as a BLAS ``dot`` does. No contraction to FMA, no
reciprocal/approximate functions, no NaN/inf assumptions; without it the reduction runs one
scalar add at a time, and the linear models would be 2-3x slower.

Where the time goes and what is saved:

* **Hidden layers: sparse inputs.** Images are half (Fashion-MNIST) to mostly (EMNIST) zeros.
  Each example's nonzero indices and values are gathered once (branch-free), and ``W1`` is held
  transposed, ``(D, H)``, so ``W1 @ x`` (a sum of rows ``x_j W1[:, j]``) and the rank-1 update
  visit only those rows, each as a contiguous SIMD loop over the ``H`` units. Skipping
  ``w * 0`` is exact for finite weights.
* **Linear classifiers: a compact exact copy of X** (:mod:`._fast_linear`). With ``K = 10``
  classes a row of ``W.T`` is too short to vectorise and this CPU's gathers are slow, so they
  keep ``W`` (K, D) and run dense SIMD loops over the row; the row is read from a cached
  ``uint8`` encoding of ``X`` (exact for ``pixels / 256``), 8x less memory traffic, and the next
  row is prefetched (:mod:`._prefetch`): shuffled rows are cache misses the CPU cannot foresee.
* **The perceptron: certified float32 scores, in blocks** (:mod:`._fast_perceptron`). From zero
  weights with a power-of-two step (the texts' perceptron) the reference's scores on such data
  are exact, so a decision only needs the true arg-max: five examples are scored at once in
  float32 against unchanged weights, a rigorous error bound certifies the arg-max (else the
  exact float64 scores decide), and a mistake corrects the later scores of its block exactly.
  Bit-identical to the reference.

``backend="numba32"`` runs the same kernels on float32 copies of the weights and of ``X`` (the
model keeps float64 parameters): half the memory traffic, about 2x faster for the MLP, only
float32-accurate (about 1e-6 relative after an epoch). Load the data with ``dtype=np.float32``
to avoid a float32 copy of ``X`` per epoch. Exception: where the perceptron's blocked epoch
applies, ``"numba32"`` runs it too (it is faster than the float32 kernel, and exact). After
divergence (inf/NaN) the paths need not agree on where the NaNs are; both report it. Kernels compile once per dtype and are cached on disk.
Developers: numba's cache checks only each kernel's own file, so after editing a kernel that
others call from another module (e.g. :mod:`._prefetch`), delete ``scratch/__pycache__/*.nb*``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit

from dlhw.errors import ConfigError
from dlhw.scratch._prefetch import prefetch_row

JIT = {"cache": True, "nogil": True}  # fastmath off: IEEE operations in the reference's order


# ---- shared pieces ------------------------------------------------------------------------------
@njit(fastmath={"reassoc"}, **JIT)
def _dot(A, a, B, b):
    """``A[a] @ B[b]`` for rows of two 2-d arrays of equal width (reassociated sum only, see above)."""
    total = 0.0
    for j in range(A.shape[1]):
        total += A[a, j] * B[b, j]
    return total


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
def _hidden_forward(W1T, b1, idx, val, n, a, h):
    """``a = W1 @ x + b1`` and ``h[0] = relu(a)`` (H,) for ``W1T = W1.T`` (D, H) (``mlp.hidden_forward``)."""
    a[:] = 0.0
    for t in range(n):
        j, v = idx[t], val[t]
        for u in range(a.shape[0]):
            a[u] += W1T[j, u] * v
    for u in range(a.shape[0]):
        a[u] += b1[u]
        h[0, u] = a[u] if a[u] > 0 else 0.0


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


# ---- one epoch per model (the linear classifiers' are in _fast_linear) ---------------------------
@njit(**JIT)
def _mlp_epoch(X, y, order, lr, W1T, b1, W2, b2):
    """One-hidden-layer ReLU classifier; ``W1T = W1.T`` (D, H). Returns the summed cross-entropy."""
    D, H = W1T.shape
    idx, val = np.empty(D, np.int64), np.empty(D, W1T.dtype)
    a, h, dh = np.empty(H, W1T.dtype), np.empty((1, H), W1T.dtype), np.empty(H, W1T.dtype)
    z, dz = np.empty(W2.shape[0], W1T.dtype), np.empty(W2.shape[0], W1T.dtype)
    total = 0.0
    for step in range(len(order)):
        i = order[step]
        if step + 1 < len(order):
            prefetch_row(X, order[step + 1])
        n = _gather(X, i, idx, val)
        _hidden_forward(W1T, b1, idx, val, n, a, h)
        for k in range(z.shape[0]):
            z[k] = _dot(W2, k, h, 0) + b2[k]
        total += _cross_entropy(z, y[i], dz)
        dh[:] = 0.0  # dh = W2^T dz, with W2 before its update
        for k in range(z.shape[0]):
            for u in range(H):
                dh[u] += W2[k, u] * dz[k]
        for k in range(z.shape[0]):
            for u in range(H):
                W2[k, u] -= lr * (dz[k] * h[0, u])
            b2[k] -= lr * dz[k]
        _hidden_backward(W1T, b1, idx, val, n, a, dh, lr)
    return total


@njit(**JIT)
def _linear_regression_epoch(X, y, order, lr, w):
    """``w -= lr * ((w @ x - y) x)`` for ``w`` (1, D); returns the summed ``0.5 (w @ x - y)^2``."""
    total = 0.0
    for i in order:
        r = _dot(w, 0, X, i) - y[i]
        total += 0.5 * r * r
        for j in range(w.shape[1]):
            w[0, j] -= lr * (r * X[i, j])
    return total


@njit(**JIT)
def _neural_regression_epoch(X, y, order, lr, W1T, b1, w2, b2):
    """``w2 @ relu(W1 x + b1) + b2`` with squared error; ``w2`` (1, H), ``b2`` (1,)."""
    D, H = W1T.shape
    idx, val = np.empty(D, np.int64), np.empty(D, W1T.dtype)
    a, h, dh = np.empty(H, W1T.dtype), np.empty((1, H), W1T.dtype), np.empty(H, W1T.dtype)
    total = 0.0
    for step in range(len(order)):
        i = order[step]
        if step + 1 < len(order):
            prefetch_row(X, order[step + 1])
        n = _gather(X, i, idx, val)
        _hidden_forward(W1T, b1, idx, val, n, a, h)
        r = _dot(w2, 0, h, 0) + b2[0] - y[i]
        total += 0.5 * r * r
        for u in range(H):
            dh[u] = w2[0, u] * r  # W_out^T dout with W_out = w2 before its update
            w2[0, u] -= lr * (r * h[0, u])
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


def _linear_classifier(model: Any, X: np.ndarray, y: np.ndarray, lr: Any, order: np.ndarray,
                       dtype: type, prepared: Any = None) -> float:
    """Perceptron or logistic regression, on ``prepared`` (the exact encoding of ``X``) if given."""
    from dlhw.scratch import _fast_linear as fl
    from dlhw.scratch import _fast_perceptron as fp

    if not hasattr(model, "l2") and fp.exact_for(model.W, float(lr), prepared, X, len(order)):
        # exact scores: the blocked epoch, bit-identical to the reference (and faster than the
        # float32 kernel, so "numba32" takes it too)
        W = model.W  # float64 (K, D), updated in place
        out = fp.perceptron_epoch(prepared.codes, prepared.scale, prepared.row_norm, y, order,
                                  float(lr), W, fp.error_factor(W.shape[1]))
        return out / len(order)
    C, scale = fl.source(X, dtype, prepared)
    W = _work(model.W, dtype)  # (K, D)
    if hasattr(model, "l2"):
        out = fl.logistic_epoch(C, scale, y, order, lr, dtype(model.l2), W)
    else:
        out = fl.perceptron_epoch(C, scale, y, order, lr, W)
    _store(model.W, W)
    return out / len(order)


def _hidden_net(epoch: Callable, out_names: tuple[str, str]) -> Callable:
    """The wrapper of a one-hidden-layer kernel (``W1`` transposed, then ``b1`` and the output layer)."""

    def run(model: Any, X: np.ndarray, y: np.ndarray, lr: Any, order: np.ndarray, dtype: type) -> float:
        W1T, b1 = _work(model.W1, dtype, transpose=True), _work(model.b1, dtype)  # (D, H), (H,)
        out = [_work(getattr(model, k), dtype) for k in out_names]  # a 0-d bias becomes (1,)
        W_out = out[0].reshape(-1, W1T.shape[1])  # (K, H); NeuralRegression's w2 (H,) as (1, H)
        total = epoch(X, y, order, lr, W1T, b1, W_out, out[1])
        _store(model.W1, W1T, transpose=True)
        _store(model.b1, b1)
        for k, w in zip(out_names, out):
            _store(getattr(model, k), w)
        return total / len(order)

    return run


def _linear_regression(model: Any, X: np.ndarray, y: np.ndarray, lr: Any, order: np.ndarray,
                       dtype: type) -> float:
    w = _work(model.w, dtype)  # (D,)
    total = _linear_regression_epoch(X, y, order, lr, w.reshape(1, -1))  # a (1, D) view of w
    _store(model.w, w)
    return total / len(order)


def _epochs() -> dict[type, Callable]:
    from dlhw.scratch.linear import LogisticRegression, Perceptron
    from dlhw.scratch.mlp import MLP
    from dlhw.scratch.regression import LinearRegression, NeuralRegression

    return {Perceptron: _linear_classifier, LogisticRegression: _linear_classifier, LinearRegression: _linear_regression,
            MLP: _hidden_net(_mlp_epoch, ("W2", "b2")),
            NeuralRegression: _hidden_net(_neural_regression_epoch, ("w2", "b2"))}


def prepare(model: Any, X: np.ndarray) -> Any:
    """What :func:`train_epoch` can reuse across the epochs of one run on ``X``, or None.

    The linear classifiers get the exact ``uint8`` encoding of ``X`` (:func:`._fast_linear.encode`).
    """
    from dlhw.scratch import _fast_linear as fl

    return fl.encode(X) if _epochs().get(type(model)) is _linear_classifier else None


def train_epoch(model: Any, X: np.ndarray, y: np.ndarray, lr: float, order: np.ndarray,
                backend: str = "numba", prepared: Any = None) -> float:
    """The compiled :meth:`ScratchModel.train_epoch` for checked inputs (``order`` int64, non-empty).

    ``backend`` ``"numba"`` computes in float64 (equal to the reference), ``"numba32"`` in float32.
    Updates the model's parameter arrays in place; returns the epoch's mean ``loss_name``.
    """
    fn = _epochs().get(type(model))
    if fn is None:
        raise ConfigError(f"no compiled epoch for {type(model).__name__}; use backend='numpy'")
    dtype = np.float32 if backend == "numba32" else np.float64
    if fn is _linear_classifier:  # reads X (or its encoding) as it is: no per-epoch copy
        return fn(model, X, np.ascontiguousarray(y), dtype(lr), order, dtype, prepared)
    X = np.ascontiguousarray(X, dtype=dtype if backend == "numba32" or X.dtype.kind != "f" else None)
    return fn(model, X, np.ascontiguousarray(y), dtype(lr), order, dtype)

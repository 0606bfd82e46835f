"""The leaf of the compiled path: numba settings and the pieces every epoch kernel shares.

Imports nothing of ``dlhw.scratch``; the epoch kernels (:mod:`._fast`,
:mod:`._fast_linear`, :mod:`._fast_perceptron`) import it, and the models call those, never the
reverse. Floating-point flags: ``fastmath`` is off everywhere except ``reassoc`` on the two-line
:func:`dot` (it reorders the sum of the products exactly as a BLAS ``dot`` does; no FMA
contraction, no approximate functions, no NaN/inf assumptions).
"""

from __future__ import annotations

import numpy as np
from numba import njit

JIT = {"cache": True, "nogil": True}  # fastmath off: IEEE operations in the reference's order


@njit(fastmath={"reassoc"}, **JIT)
def dot(A, a, B, b):
    """``A[a] @ B[b]`` for rows of two 2-d arrays of equal width (reassociated sum only, see above)."""
    total = 0.0
    for j in range(A.shape[1]):
        total += A[a, j] * B[b, j]
    return total


@njit(**JIT)
def gather(C, i, scale, idx, val):
    """Nonzeros of row ``C[i] * scale`` (D,): indices into ``idx``, values into ``val``; returns
    their count. ``C`` holds uint8 codes with power-of-two ``scale`` (exact products), or the
    float rows themselves with ``scale`` 1 (:func:`dlhw.scratch._fast_linear.source`)."""
    n = 0
    for j in range(C.shape[1]):
        v = C[i, j] * scale[j]
        idx[n] = j  # branch-free compaction: always write, advance only past a nonzero
        val[n] = v
        n += v != 0
    return n


@njit(**JIT)
def cross_entropy(z, y, dz):
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
def _bias_relu(a, b1, h):
    """``a += b1`` and ``h[0] = relu(a)`` (H,): the end of a hidden layer's forward pass."""
    for u in range(a.shape[0]):
        a[u] += b1[u]
        h[0, u] = a[u] if a[u] > 0 else 0.0


@njit(**JIT)
def _through_relu(dh, a):
    """``dh *= [a > 0]`` (H,), in place: the gradient at ``h`` taken back through the ReLU."""
    for u in range(dh.shape[0]):
        dh[u] = dh[u] if a[u] > 0 else 0.0


@njit(**JIT)
def _bias_step(b1, dh, lr):
    """``b1 -= lr * dh`` (H,)."""
    for u in range(b1.shape[0]):
        b1[u] -= lr * dh[u]


@njit(**JIT)
def hidden_forward(W1T, b1, idx, val, n, a, h):
    """``a = W1 @ x + b1`` and ``h[0] = relu(a)`` (H,) for ``W1T = W1.T`` (D, H) (``mlp.hidden_forward``)."""
    a[:] = 0.0
    for t in range(n):
        j, v = idx[t], val[t]
        for u in range(a.shape[0]):
            a[u] += W1T[j, u] * v
    _bias_relu(a, b1, h)


@njit(**JIT)
def hidden_backward(W1T, b1, idx, val, n, a, dh, lr):
    """``da = dh * [a > 0]`` (in ``dh``), then ``W1 -= lr * outer(da, x)``, ``b1 -= lr * da``."""
    _through_relu(dh, a)
    for t in range(n):
        j, v = idx[t], val[t]
        for u in range(W1T.shape[1]):
            W1T[j, u] -= lr * (dh[u] * v)
    _bias_step(b1, dh, lr)


@njit(**JIT)
def union_rows(C, i, i2, scale, idx, v0, v1):
    """The columns where row ``i`` or ``i2`` of ``C * scale`` (as in :func:`gather`) is nonzero,
    ascending, into ``idx``, with both rows' values there into ``v0`` and ``v1`` (zeros
    included); returns their count."""
    n = 0
    for j in range(C.shape[1]):
        a, b = C[i, j] * scale[j], C[i2, j] * scale[j]
        idx[n] = j  # branch-free compaction, as in gather
        v0[n] = a
        v1[n] = b
        n += (a != 0) | (b != 0)
    return n


@njit(**JIT)
def hidden_backward_forward(W1T, b1, idx, v0, v1, n, a, dh, lr, a_next, h_next):
    """:func:`hidden_backward` for the example ``v0`` and then :func:`hidden_forward` for the next
    one, ``v1``, in one pass over the rows of ``W1T`` (D, H) that either touches.

    Over the ``n`` columns of :func:`union_rows`, row ``j`` is updated by the first example and
    at once, while it is in L1, read for the second (each row is read from L2 once, not twice).
    The operations and their order are those of the two calls one after the other (each row is
    updated before it is read; ``a_next`` sums over ``j`` ascending; ``b1`` is updated before
    it is added), so the results are bit-identical to them.
    """
    H = W1T.shape[1]
    _through_relu(dh, a)
    a_next[:] = 0.0
    for t in range(n):
        j, v, w = idx[t], v0[t], v1[t]
        if v != 0:
            for u in range(H):
                W1T[j, u] -= lr * (dh[u] * v)
        if w != 0:
            for u in range(H):
                a_next[u] += W1T[j, u] * w
    _bias_step(b1, dh, lr)
    _bias_relu(a_next, b1, h_next)


@njit(**JIT)
def rows_float32(X, lo, hi, x32, norm):
    """``x32 = X`` (n, D) as float32 and ``norm[i] = ||X[i]||_2`` (n,) float64, in one pass.

    Returns False (leaving the outputs partly filled) as soon as an entry is not exactly a
    float32 or a nonzero ``|X[i, j]|`` lies outside ``[lo, hi]`` (NaN and inf included): the
    conditions of :func:`dlhw.scratch._eval32.rows32`. ``norm`` is the plain sequential sum's
    square root, within ``(D + 1) * 2**-53`` relative of the exact norm.
    """
    for i in range(X.shape[0]):
        sq = 0.0
        for j in range(X.shape[1]):
            v = np.float64(X[i, j])
            f = np.float32(v)
            a = abs(v)
            if f != v or (a != 0.0 and not (lo <= a <= hi)):
                return False
            x32[i, j] = f
            sq += v * v
        norm[i] = np.sqrt(sq)
    return True

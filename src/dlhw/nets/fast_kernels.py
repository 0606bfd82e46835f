"""Compiled (numba) steps of small-batch float32 FFN training: the leaf of the torch fast path.

This module knows arrays only (it imports nothing of :mod:`dlhw.nets`' models or of torch);
:mod:`dlhw.training.torch_fast` hands it numpy views of a torch model's parameters and of its
optimiser's state (``tensor.numpy()`` shares memory), so every update lands in the tensors.

:func:`train_steps` runs steps ``first .. last - 1`` of an epoch for a network of ``L`` linear
layers (``L = 1``: logistic regression), each step what the plain loop does with autograd and
``torch.optim``: ``z_l = W_l h_l + b_l``, ``h_{l+1} = act(z_l) * mask_l`` (masks drawn by the
caller with torch's RNG, already scaled by ``1/(1-p)``), the mean cross-entropy of the batch,
the chain rule back with every layer's weights read before they change, and the optimiser's
update fused into the backward pass. The element-wise updates use the rounding of torch's CPU
kernels (checked bit for bit against them where the gradient is exact in both paths,
``tests/training/test_torch_fast.py::test_update_rounding_is_torchs``). Rows whose error is zero
(a ReLU that was off, a dropped unit) are skipped where that is exact: SGD without weight
decay leaves them as they are (``W + (-lr) * 0 = W``), and they add nothing to the error
propagated below.

* SGD: ``g = fma(wd, p, g)`` (``grad.add(param, alpha=wd)``), ``p = fma(-lr, g, p)``
  (``param.add_(grad, alpha=-lr)``), the scalars rounded to float32 as torch does.
* Adam: ``m = fma(1 - b1, g - m, m)`` (``lerp_``), ``v = fma((1 - b2) g, g, v * b2)``
  (``mul_`` then ``addcmul_``), ``d = sqrt(v) / sqrt(bc2) + eps``,
  ``p = p + (-step_size * m) / d`` (``addcdiv_``), with the per-step scalars ``-lr / bc1``
  and ``sqrt(bc2)`` computed by the caller with torch's Python expressions.

What cannot be bit-identical: dot products (torch's BLAS blocks its sums in an order it does
not publish; here SIMD partial sums, ``fastmath={"reassoc"}`` on :func:`_dot` only) and torch's
vectorised ``exp``, ``log``, ``tanh`` and MKL's ``sqrt`` (within an ulp or so of the correctly
rounded result, which is what libm gives here). The equivalence tests bound the difference.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

JIT = {"cache": True, "nogil": True, "boundscheck": False,
       "error_model": "numpy"}  # numpy: x / 0 is inf, no check per element
RELU, TANH = 0, 1  # activation codes
SGD, ADAM = 0, 1  # optimiser codes


@intrinsic
def fma32(typingctx, a, b, c):
    """``a * b + c`` rounded once (float32), like the ``fmadd`` of torch's vectorised kernels."""
    sig = types.float32(types.float32, types.float32, types.float32)

    def codegen(context, builder, signature, args):
        f32 = ir.FloatType()
        fn = builder.module.declare_intrinsic("llvm.fma", [f32], ir.FunctionType(f32, [f32] * 3))
        return builder.call(fn, args)

    return sig, codegen


@njit(fastmath={"reassoc"}, **JIT)
def _dot(w, h):
    """``w @ h`` for rows (n,) (float32 sum, SIMD partial sums: the order a BLAS dot uses)."""
    total = np.float32(0.0)
    for j in range(w.shape[0]):
        total += w[j] * h[j]
    return total


@njit(**JIT)
def _forward(Ws, bs, ins, outs, masks, act, dropout, mrow, nb):
    """Rows ``0..nb-1`` of ``ins[0]`` through the layers; scores into ``outs[L-1]``.

    Hidden layer ``l``: ``outs[l] = act(z)`` (kept for the backward pass) and
    ``ins[l+1] = outs[l] * masks[l][mrow + b]`` (or a copy without dropout).
    """
    L = len(Ws)
    for layer in range(L):
        W, bias, h, z = Ws[layer], bs[layer], ins[layer], outs[layer]
        for b in range(nb):
            hb = h[b]
            for k in range(W.shape[0]):
                z[b, k] = _dot(W[k], hb) + bias[k]
        if layer == L - 1:
            break
        nxt = ins[layer + 1]
        for b in range(nb):
            for k in range(W.shape[0]):
                v = z[b, k]
                if act == RELU:
                    a = v if v > 0 else np.float32(0.0)
                else:
                    a = np.tanh(v)
                z[b, k] = a
                nxt[b, k] = a * masks[layer][mrow + b, k] if dropout else a


@njit(**JIT)
def _cross_entropy(scores, y, rows, nb, delta):
    """Mean ``-log softmax`` of the batch (float32, summed then divided as ``nll_loss``);
    its gradient wrt the scores into ``delta`` (``log_softmax_backward``)."""
    K = scores.shape[1]
    total = np.float32(0.0)
    s = -np.float32(1.0) / np.float32(nb)  # nll_loss's gradient at the target, and its sum
    for b in range(nb):
        m = scores[b, 0]
        for k in range(1, K):
            m = max(m, scores[b, k])
        norm = np.float32(0.0)
        for k in range(K):
            norm += np.exp(scores[b, k] - m)
        log_norm = np.log(norm)
        target = y[rows[b]]
        for k in range(K):
            logp = scores[b, k] - m - log_norm
            if k == target:
                total += -logp
            g = s if k == target else np.float32(0.0)
            delta[b, k] = g - np.exp(logp) * s
    return total / np.float32(nb)


@njit(**JIT)
def _hidden_delta(W, delta, h_out, masks, act, dropout, mrow, nb, out):
    """``out = act'(.) * mask * (W^T delta)`` (B, in) for a hidden layer's output ``h_out``."""
    for b in range(nb):
        ob, ab = out[b], h_out[b]
        ob[:] = 0.0
        for k in range(W.shape[0]):
            d, Wk = delta[b, k], W[k]
            if d == 0:  # adds nothing (a unit that was off or dropped)
                continue
            for j in range(ob.shape[0]):
                ob[j] += d * Wk[j]
        if dropout:
            mb = masks[mrow + b]
            for j in range(ob.shape[0]):
                ob[j] *= mb[j]
        if act == RELU:
            for j in range(ob.shape[0]):
                ob[j] = ob[j] if ab[j] > 0 else np.float32(0.0)
        else:
            for j in range(ob.shape[0]):
                ob[j] = ob[j] * fma32(-ab[j], ab[j], np.float32(1.0))


@njit(**JIT)
def _sgd_row(p, g, nlr, wd):
    """``torch.optim.SGD`` (no momentum) on a row ``p`` (n,) with gradient ``g`` (n,)."""
    if wd == 0:
        for j in range(p.shape[0]):
            p[j] = fma32(nlr, g[j], p[j])
    else:
        for j in range(p.shape[0]):
            p[j] = fma32(nlr, fma32(wd, p[j], g[j]), p[j])


@njit(**JIT)
def _adam_row(p, g, m, v, hyper, value, bc2):
    """``torch.optim.Adam`` (no amsgrad) on a row ``p`` (n,), its moments ``m``, ``v`` (n,)."""
    w1, b2, c2, eps, wd = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4]
    for j in range(p.shape[0]):
        gj = fma32(wd, p[j], g[j]) if wd != 0 else g[j]
        mj = fma32(w1, gj - m[j], m[j])
        vj = fma32(c2 * gj, gj, v[j] * b2)
        m[j] = mj
        v[j] = vj
        p[j] = p[j] + (value * mj) / (np.sqrt(vj) / bc2 + eps)


@njit(**JIT)
def _update_layer(W, bias, delta, h, nb, opt, nlr, hyper, mW, vW, mb, vb, value, bc2, grad):
    """Gradient of the layer (``delta^T h``, ``sum_b delta``) and the optimiser step, fused.

    ``grad`` is scratch (max(in, out),): one row of the weight gradient at a time.
    """
    n_in = W.shape[1]
    g = grad[:n_in]
    skip_zero = opt == SGD and hyper[4] == 0  # a zero gradient row leaves the row as it is
    for k in range(W.shape[0]):
        if skip_zero:
            nonzero = False
            for b in range(nb):
                nonzero |= delta[b, k] != 0
            if not nonzero:  # a ReLU that was off or a dropped unit: W + (-lr) * 0 = W
                continue
        d0, h0 = delta[0, k], h[0]
        for j in range(n_in):
            g[j] = d0 * h0[j]
        for b in range(1, nb):
            db, hb = delta[b, k], h[b]
            for j in range(n_in):
                g[j] += db * hb[j]
        if opt == SGD:
            _sgd_row(W[k], g, nlr, hyper[4])
        else:
            _adam_row(W[k], g, mW[k], vW[k], hyper, value, bc2)
    gb = grad[:W.shape[0]]
    for k in range(W.shape[0]):
        gb[k] = delta[0, k]
    for b in range(1, nb):
        for k in range(W.shape[0]):
            gb[k] += delta[b, k]
    if opt == SGD:
        _sgd_row(bias, gb, nlr, hyper[4])
    else:
        _adam_row(bias, gb, mb, vb, hyper, value, bc2)


@njit(**JIT)
def train_steps(X, y, order, batch, first, last, Ws, bs, ins, outs, deltas, masks, act, dropout,
                opt, nlr, hyper, values, bc2s, mWs, vWs, mbs, vbs, losses):
    """Steps ``first .. last-1`` of an epoch; step ``s``'s mean loss into ``losses[s]``.

    X (n, d) float32, y (n,) int64, order (n,) int64 (row order of the epoch); batch: rows per
    step (the last step may have fewer). Ws[l] (out, in) and bs[l] (out,) are the parameters,
    updated in place. ins[l] (batch, in_l), outs[l] and deltas[l] (batch, out_l) are scratch.
    masks[l] ((last-first)*batch, out_l): step ``s``'s dropout mask of hidden layer ``l`` is rows
    ``(s-first)*batch ..`` (used only when ``dropout``). act: RELU or TANH; opt: SGD or ADAM.
    nlr = float32(-lr) (SGD); hyper = (1-b1, b2, 1-b2, eps, wd) float32; values[s-first],
    bc2s[s-first]: Adam's ``-lr/bc1`` and ``sqrt(bc2)`` of each step (float32).
    mWs/vWs/mbs/vbs: Adam's moments of each W and b (unused by SGD).
    """
    L = len(Ws)
    n = order.shape[0]
    x0 = ins[0]
    rows = np.empty(batch, np.int64)
    width = 0
    for layer in range(L):
        width = max(width, Ws[layer].shape[0], Ws[layer].shape[1])
    grad = np.empty(width, np.float32)
    for s in range(first, last):
        start = s * batch
        nb = min(batch, n - start)
        mrow = (s - first) * batch
        for b in range(nb):
            rows[b] = order[start + b]
            for j in range(x0.shape[1]):
                x0[b, j] = X[rows[b], j]
        _forward(Ws, bs, ins, outs, masks, act, dropout, mrow, nb)
        losses[s] = _cross_entropy(outs[L - 1], y, rows, nb, deltas[L - 1])
        value = values[s - first] if opt == ADAM else np.float32(0.0)
        bc2 = bc2s[s - first] if opt == ADAM else np.float32(1.0)
        for layer in range(L - 1, -1, -1):
            if layer > 0:  # the error at the layer's input, with W before its update
                _hidden_delta(Ws[layer], deltas[layer], outs[layer - 1], masks[layer - 1], act,
                              dropout, mrow, nb, deltas[layer - 1])
            _update_layer(Ws[layer], bs[layer], deltas[layer], ins[layer], nb, opt, nlr, hyper,
                          mWs[layer], vWs[layer], mbs[layer], vbs[layer], value, bc2, grad)

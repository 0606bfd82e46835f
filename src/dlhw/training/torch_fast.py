"""The fast path of small-batch PyTorch training (``kernel="fast"``): the plain epoch, compiled.

:func:`train_epoch_fast` is a twin of :func:`dlhw.training.torch_epoch.train_epoch` for the
models the homeworks train at batch 1: logistic regression and feed-forward networks (any
number of hidden layers, ReLU or tanh, dropout) with ``torch.optim.SGD`` (no momentum) or
``torch.optim.Adam`` (no amsgrad), with or without weight decay, float32 on the CPU. It takes
the same arguments, visits the same rows in the same order and leaves the model and the
optimiser's state where the plain loop would: the compiled kernel
(:mod:`dlhw.nets.fast_kernels`) works on numpy views of the parameters' and moments' memory,
and Adam's state (``step``, ``exp_avg``, ``exp_avg_sq``) is the torch optimiser's own, so
checkpoints, resume and divergence handling are the plain loop's. :func:`fast_unsupported`
says why a run cannot take it (another device, model, optimiser, loss or a large batch); the
caller then runs the plain loop.

Why this design: at batch 1 the plain loop is dispatch-bound. A step is a few dozen ATen
calls (forward, autograd, ``zero_grad``, the optimiser's per-tensor ops) around ~0.3 MFLOP of
arithmetic. One compiled call per chunk of 2048 steps removes the dispatch, and fuses the
optimiser's update into the backward pass (Adam's four arrays are read and written once per
step instead of about ten times, in SIMD). Stepping several grid configurations together
(the stacked ensembles of :mod:`dlhw.training.ensemble`) would still pay torch's dispatch per
step and share one example order, which Q4's configurations do not (each has its own seed).
Measured by ``benchmarks/torch_batch1.py`` (Fashion-MNIST, one thread, plain and fast
interleaved, best of 3; on the 2-core machine shared by ~8 jobs, load average ~14, so the
seconds are inflated several-fold and only the ratios are comparable), seconds per epoch:

==================  ==========  =========  ======
model               plain       fast       ratio
==================  ==========  =========  ======
logreg SGD          100.7       1.73       58x
FFN-200 x1 SGD      346.5       11.2       31x
FFN-200 x2 SGD      385.7       18.9       20x
FFN-200 x3 SGD      459.8       20.6       22x
FFN-200 x1 Adam     872.8       39.1       22x
==================  ==========  =========  ======

Subnormals: the kernel runs with flush-to-zero (FTZ/DAZ, :func:`flush_denormal`). Adam's
moments of rarely-lit pixels decay geometrically (``m`` by 0.9 a step) into float32
subnormals, on which this CPU's arithmetic is ~100x slower per instruction (measured here:
the fused Adam row update goes from 0.5 ms to 12 ms per step when its moments are subnormal);
flushing them changes a value by less than 2^-126 (1.2e-38), far inside the float32 bound
below, and never changes a parameter of normal size.

Equality with the plain loop: the element-wise arithmetic (ReLU, dropout, the SGD and Adam
updates with torch's float32 scalars and fused multiply-adds) is torch's, bit for bit; the dot
products sum in another order, and ``exp``/``log``/``tanh``/``sqrt`` are libm's (correctly
rounded or within an ulp) rather than torch's vectorised ones (torch's float32 ``sqrt`` is
MKL's, off by up to 0.55 ulp). So the two paths agree to
float32 rounding: ``tests/training/test_torch_fast.py`` derives and checks the bound (parameters
after 200 steps, the epoch's mean loss) and that the fast path repeats bit for bit.

Dropout masks come from the same generator as the plain loop's ``nn.Dropout``: torch's
process-global RNG, seeded per epoch by the caller (:func:`~dlhw.training.torch_epoch.seeded_torch_rng`).
Each step's mask of each hidden layer is drawn by the same call (``bernoulli_(1 - p)`` on a
contiguous (B, h) tensor, then ``div_(1 - p)``), in the plain loop's order (step by step, layer
by layer), into the rows of a buffer; one call per chunk would not do: torch's CPU
``bernoulli_`` seeds a fresh stream from the generator on every call. So the masks are the
plain loop's exactly, and with dropout the paths agree to float32 rounding as well.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.optim.optimizer import _get_scalar_dtype

from dlhw.nets import fast_kernels as fk
from dlhw.nets.config import TRAIN_KERNELS
from dlhw.training.torch_epoch import flush_denormal

KERNELS = TRAIN_KERNELS  # --kernel: fast = this module where it applies; autograd = the plain loop
# the fast path's largest batch: FFN-200 with dropout, 8000 rows, one thread, loaded machine,
# plain/fast = 5.4x (SGD) 16x (Adam) at batch 4, 2.5x / 4.5x at 16, 1.2x / 1.6x at 32
FAST_MAX_BATCH = 16
CHUNK = 2048  # steps per kernel call (dropout masks drawn per chunk; progress updates)
ACTS = {nn.ReLU: fk.RELU, nn.Tanh: fk.TANH}


def check_kernel(kernel: str) -> str:
    """``kernel`` if it is one of :data:`KERNELS`, else a ConfigError naming the choices."""
    from dlhw.errors import ConfigError

    if kernel not in KERNELS:
        raise ConfigError(f"kernel {kernel!r} is not one of {', '.join(KERNELS)}; use 'fast' "
                          f"(compiled batch-1 path where it applies) or 'autograd' (the plain loop)")
    return kernel


def _structure(model: nn.Module) -> tuple[list[nn.Linear], int, float] | str:
    """(linear layers, activation code, dropout p) of a Linear[-act[-Dropout]]*-Linear model, or why not."""
    leaves = [m for m in model.modules() if not list(m.children())]
    linears: list[nn.Linear] = []
    acts: set[int] = set()
    drops: list[float] = []
    for i, m in enumerate(leaves):
        if isinstance(m, nn.Linear):
            if linears and not isinstance(leaves[i - 1], (nn.ReLU, nn.Tanh, nn.Dropout)):
                return "two linear layers in a row"
            linears.append(m)
        elif type(m) in ACTS and i > 0 and isinstance(leaves[i - 1], nn.Linear):
            acts.add(ACTS[type(m)])
        elif isinstance(m, nn.Dropout) and i > 0 and type(leaves[i - 1]) in ACTS:
            drops.append(float(m.p))
        else:
            return f"module {type(m).__name__} at position {i} is not covered"
    hidden = len(linears) - 1
    if not linears or not isinstance(leaves[-1], nn.Linear) or len(acts) > 1:
        return "not a Linear-activation-...-Linear network with one activation"
    if any(lin.bias is None for lin in linears):
        return "a linear layer without bias"
    if drops and (len(drops) != hidden or len(set(drops)) != 1):
        return "dropout not after every hidden layer with one probability"
    if type(model).forward not in {getattr(c, "forward", None) for c in _plain_models()}:
        return f"{type(model).__name__}.forward is not one the fast path knows"
    return linears, (acts.pop() if acts else fk.RELU), (drops[0] if drops else 0.0)


def _plain_models() -> tuple[type, ...]:
    from dlhw.nets.models import FeedforwardNetwork, LogisticRegression

    return FeedforwardNetwork, LogisticRegression


def fast_unsupported(model: nn.Module, optimizer: torch.optim.Optimizer, criterion: nn.Module,
                     X: torch.Tensor, batch_size: int) -> str | None:
    """Why :func:`train_epoch_fast` cannot train this combination, or None when it can."""
    params = list(model.parameters())
    if X.device.type != "cpu" or any(p.device.type != "cpu" for p in params):
        return "not on the CPU"
    if X.dtype != torch.float32 or any(p.dtype != torch.float32 for p in params):
        return "not float32"
    if batch_size > FAST_MAX_BATCH:
        return f"batch size {batch_size} > {FAST_MAX_BATCH}"
    if type(criterion) is not nn.CrossEntropyLoss or criterion.weight is not None or \
            criterion.reduction != "mean" or criterion.label_smoothing != 0:
        return "the loss is not plain nn.CrossEntropyLoss()"
    structure = _structure(model)
    if isinstance(structure, str):
        return structure
    if len(optimizer.param_groups) != 1 or \
            [id(p) for p in optimizer.param_groups[0]["params"]] != [id(p) for p in params]:
        return "the optimiser does not hold exactly the model's parameters in one group"
    g = optimizer.param_groups[0]
    if isinstance(g["lr"], torch.Tensor) or g.get("maximize") or g.get("differentiable"):
        return "tensor lr, maximize or differentiable optimiser"
    if type(optimizer) is torch.optim.SGD:
        if g["momentum"] != 0 or g.get("fused"):
            return "SGD with momentum or fused"
    elif type(optimizer) is torch.optim.Adam:
        if g["amsgrad"] or g.get("capturable") or g.get("fused") or g.get("decoupled_weight_decay"):
            return "Adam with amsgrad, capturable, fused or decoupled weight decay"
        if isinstance(g["betas"][0], torch.Tensor) or isinstance(g["betas"][1], torch.Tensor):
            return "Adam with tensor betas"
    else:
        return f"optimiser {type(optimizer).__name__} is not SGD or Adam"
    if any(not p.is_contiguous() for p in params):
        return "non-contiguous parameters"
    return None


def _adam_state(optimizer: torch.optim.Optimizer, params: list[torch.nn.Parameter]) -> list[dict[str, Any]]:
    """Adam's per-parameter state, created as ``torch.optim.Adam`` creates it on its first step."""
    states = []
    for p in params:
        st = optimizer.state[p]
        if len(st) == 0:
            st["step"] = torch.tensor(0.0, dtype=_get_scalar_dtype())
            st["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            st["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        states.append(st)
    return states


def _adam_scalars(g: dict[str, Any], step0: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Per step: float32 ``-lr / bc1`` and ``sqrt(bc2)``, with torch's Python expressions."""
    lr, (beta1, beta2) = g["lr"], g["betas"]
    values, bc2s = np.empty(steps, np.float32), np.empty(steps, np.float32)
    for i in range(steps):
        step = step0 + i + 1
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        values[i] = -(lr / bias_correction1)
        bc2s[i] = bias_correction2**0.5
    return values, bc2s


@torch.no_grad()
def train_epoch_fast(model: nn.Module, optimizer: torch.optim.Optimizer, criterion: nn.Module,
                     X: torch.Tensor, y: torch.Tensor, order: np.ndarray, batch_size: int,
                     *, progress: Callable[[int], Any] | None = None) -> float:
    """:func:`~dlhw.training.torch_epoch.train_epoch`, compiled: the same arguments and result.

    One pass over (X (n, d), y (n,)) in row ``order``, batches of ``batch_size`` consecutive
    rows of it; the mean of the batches' mean losses (float32 arithmetic, as the plain loop's).
    Check :func:`fast_unsupported` first (this function assumes it returned None).
    """
    linears, act, p_drop = _structure(model)  # type: ignore[misc]
    model.train()
    g = optimizer.param_groups[0]
    params = list(model.parameters())
    order = np.ascontiguousarray(order, dtype=np.int64)
    steps = math.ceil(len(order) / batch_size)
    B = batch_size
    Ws = tuple(lin.weight.detach().numpy() for lin in linears)
    bs = tuple(lin.bias.detach().numpy() for lin in linears)
    ins = tuple(np.zeros((B, w.shape[1]), np.float32) for w in Ws)
    outs = tuple(np.zeros((B, w.shape[0]), np.float32) for w in Ws)
    deltas = tuple(np.zeros((B, w.shape[0]), np.float32) for w in Ws)
    adam = type(optimizer) is torch.optim.Adam
    wd = g["weight_decay"]
    if adam:
        states = _adam_state(optimizer, params)
        mWs = tuple(st["exp_avg"].numpy() for st in states[0::2])
        vWs = tuple(st["exp_avg_sq"].numpy() for st in states[0::2])
        mbs = tuple(st["exp_avg"].numpy() for st in states[1::2])
        vbs = tuple(st["exp_avg_sq"].numpy() for st in states[1::2])
        beta1, beta2 = g["betas"]
        hyper = np.array([1 - beta1, beta2, 1 - beta2, g["eps"], wd], np.float32)
        step0 = states[0]["step"].item()
    else:
        none2, none1 = np.zeros((0, 0), np.float32), np.zeros(0, np.float32)
        mWs = vWs = tuple(none2 for _ in Ws)
        mbs = vbs = tuple(none1 for _ in Ws)
        hyper = np.array([0, 0, 0, 0, wd], np.float32)
    nlr = np.float32(-g["lr"])
    Xn, yn = X.detach().numpy(), y.detach().numpy()
    losses = np.empty(steps, np.float32)
    dropout = p_drop > 0
    chunk = min(CHUNK, steps)
    masks_t = [torch.empty(chunk * B if dropout else 0, w.shape[0]) for w in Ws]
    masks = tuple(m.numpy() for m in masks_t)
    no_scalars = np.zeros(1, np.float32)
    for first in range(0, steps, chunk):
        last = min(first + chunk, steps)
        if dropout:
            _draw_masks(masks_t[:-1], first, last, B, len(order), 1 - p_drop)
        values, bc2s = (_adam_scalars(g, step0 + first, last - first) if adam
                        else (no_scalars, no_scalars))
        with flush_denormal():
            fk.train_steps(Xn, yn, order, B, first, last, Ws, bs, ins, outs, deltas, masks, act,
                           dropout, fk.ADAM if adam else fk.SGD, nlr, hyper, values, bc2s,
                           mWs, vWs, mbs, vbs, losses)
        if progress is not None:
            progress(last - first)
    if adam:
        for st in states:
            st["step"] += steps
    return float(torch.from_numpy(losses).mean().item())


def _draw_masks(buffers: list[torch.Tensor], first: int, last: int, B: int, n: int, keep: float) -> None:
    """Steps ``first..last-1``'s dropout masks, drawn as ``nn.Dropout`` draws them, into ``buffers``.

    Step ``s`` gets rows ``(s-first)*B ..`` of each buffer (``min(B, n - s*B)`` of them), drawn
    step after step, layer after layer: the plain loop's order of calls on the generator.
    """
    rows = min((last - first) * B, n - first * B)
    blocks = [buf[:rows].split(B) for buf in buffers]  # each step's (rows, h) view, made once
    for step in zip(*blocks):
        for block in step:
            block.bernoulli_(keep)
    for buf in buffers:
        buf.div_(keep)

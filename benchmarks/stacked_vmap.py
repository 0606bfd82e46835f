"""The stacked ensemble's hand-written backward vs torch's public ensembling API.

One training step's gradient computation (forward, loss, backward; no optimiser, no dropout)
for M members of one architecture on the same batch (B, d), three ways:

* ``hand (aten)``: :meth:`dlhw.nets.stacked.StackedFFN.loss_and_grad`, the chain rule written by
  hand, with ATen's fused activation backward (``threshold_backward`` / ``tanh_backward``);
* ``hand (public)``: the same with the public formulas (:data:`~dlhw.nets.stacked.PUBLIC_GRADS`);
* ``torch.func``: ``stack_module_state`` + ``vmap(grad(functional_call))``, autograd per member.

Each row also checks that the three give the same gradients (max abs difference). The best of
``--repeats`` timings is kept (a shared machine's interference only adds time).

    python benchmarks/stacked_vmap.py [--members 16 80] [--hidden 32 256] [--steps 50]
"""

from __future__ import annotations

import argparse
import copy
import time

import torch
from torch import nn
from torch.func import functional_call, grad, stack_module_state, vmap

from dlhw.nets.stacked import PUBLIC_GRADS, StackedFFN


def _models(M: int, d: int, h: int, k: int) -> list[nn.Module]:
    torch.manual_seed(0)  # benchmark script: the weights only need to be the same in every method
    return [nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, k)) for _ in range(M)]


def _best(fn, steps: int, repeats: int) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            fn()
        best = min(best, (time.perf_counter() - t0) / steps)
    return best


def row(M: int, h: int, B: int, steps: int, repeats: int, d: int = 784, k: int = 26) -> str:
    models = _models(M, d, h, k)
    X, y = torch.randn(B, d), torch.randint(0, k, (B,))
    aten = StackedFFN.from_modules(models, "relu", [0.0] * M)
    public = StackedFFN.from_modules(models, "relu", [0.0] * M)
    public.act_grad = PUBLIC_GRADS["relu"]
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")

    def loss(p, b, xb, yb):
        return nn.functional.cross_entropy(functional_call(base, (p, b), (xb,)), yb)

    per_member = vmap(grad(loss), in_dims=(0, 0, None, None))
    t_aten = _best(lambda: aten.loss_and_grad(X, y), steps, repeats)
    t_public = _best(lambda: public.loss_and_grad(X, y), steps, repeats)
    t_func = _best(lambda: per_member(params, buffers, X, y), steps, repeats)
    grads = per_member(params, buffers, X, y)
    aten.loss_and_grad(X, y)
    public.loss_and_grad(X, y)
    func = [grads[n] for n in ("0.weight", "0.bias", "2.weight", "2.bias")]
    diff = max(max((a - f).abs().max().item(), (a - p).abs().max().item())
               for a, p, f in zip(aten.grads, public.grads, func, strict=True))
    return (f"| {M} | {h} | {B} | {t_aten * 1e3:.2f} | {t_public * 1e3:.2f} | {t_func * 1e3:.2f} | "
            f"{t_func / t_aten:.1f}x | {diff:.1e} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--members", type=int, nargs="+", default=[16, 80])
    p.add_argument("--hidden", type=int, nargs="+", default=[32, 256])
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; ms per gradient step, best of "
          f"{a.repeats} x {a.steps} steps")
    print("| members | hidden | batch | hand (aten) ms | hand (public) ms | torch.func ms | func / hand "
          "| max diff |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for M in a.members:
        for h in a.hidden:
            print(row(M, h, a.batch, a.steps, a.repeats), flush=True)


if __name__ == "__main__":
    main()

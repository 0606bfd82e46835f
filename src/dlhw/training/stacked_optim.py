"""SGD and Adam on stacked parameters: one update for M members, each with its own hyperparameters.

Every parameter tensor has a leading member dimension (``(M, ...)``). SGD broadcasts the
learning rate and weight decay, tensors ``(M,)``, over the other dimensions: a few element-wise
operations on the stacked tensors. Adam runs torch's private fused kernel (``torch._fused_adam_``,
one pass over the parameters, moments and gradients instead of nine) once per distinct
(learning rate, weight decay) on the members' contiguous views, so the number of calls is the
number of hyperparameter values, not of members -- only where :func:`fused_adam_available`
finds it and a probe step matches; otherwise (torch < 2.4, a torch without it) the public path
runs: the same update as nine in-place element-wise operations. The arithmetic is that of
:class:`torch.optim.SGD` (no momentum) and :class:`torch.optim.Adam` (no amsgrad), with
``weight_decay`` added to the gradient before the update, as ``make_optimizer`` configures them:
a member ends with the weights the torch optimiser would give it, to float32 rounding.

The state converts to and from the torch optimisers' per-parameter state (:meth:`member_state`,
:meth:`from_torch`), so a member's checkpoint is exactly what the plain training loop writes.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any

import torch
from torch.torch_version import TorchVersion

from dlhw.errors import ConfigError

FUSED_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)
_Group = tuple[float, float, list[list[torch.Tensor]]]  # lr, weight decay, _fused_adam_'s lists


def fused_adam_available() -> bool:
    """True when this torch has the private ``torch._fused_adam_`` with a CPU kernel (>= 2.4) and one
    probe step gives the public element-wise Adam's numbers; else the public path is used."""
    fused = getattr(torch, "_fused_adam_", None)
    if fused is None or TorchVersion(torch.__version__) < (2, 4):
        return False
    try:
        p, g = torch.linspace(-1, 1, 8), torch.linspace(0.5, -0.5, 8)
        m, v = 0.1 * g, 0.001 * g * g  # the first step's moments, then Adam's bias-corrected update
        ref = p - 0.1 * (m / 0.1) / (v.sqrt() / math.sqrt(0.001) + 1e-8)
        fused([p], [g], [torch.zeros(8)], [torch.zeros(8)], [], [torch.ones(())], lr=0.1, beta1=0.9,
              beta2=0.999, weight_decay=0.0, eps=1e-8, amsgrad=False, maximize=False)
        return torch.allclose(p, ref, rtol=1e-6, atol=1e-7)
    except (RuntimeError, TypeError):
        return False


def _per_member(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``values`` (M,) shaped to broadcast over ``like`` (M, ...)."""
    return values.view(-1, *([1] * (like.dim() - 1)))


class StackedOptimizer:
    """``"sgd"`` or ``"adam"`` over stacked ``params`` (each ``(M, ...)``).

    Parameters
    ----------
    name : ``"sgd"`` or ``"adam"``.
    params : the stacked parameters, updated in place by :meth:`step`.
    lr, l2 : per-member learning rate and weight decay, tensors (M,) (float32, on the device).
    betas, eps : Adam's constants (the torch defaults).
    step : Adam steps already taken (shared: members step together).
    exp_avg, exp_avg_sq : Adam's moments per parameter (zeros when None).
    """

    def __init__(self, name: str, params: Sequence[torch.Tensor], lr: torch.Tensor, l2: torch.Tensor,
                 *, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, step: int = 0,
                 exp_avg: list[torch.Tensor] | None = None,
                 exp_avg_sq: list[torch.Tensor] | None = None) -> None:
        if name not in ("sgd", "adam"):
            raise ConfigError(f"stacked optimiser {name!r} is not supported; use 'sgd' or 'adam'")
        self.name, self.params, self.betas, self.eps, self.step_count = name, list(params), betas, eps, step
        self.lr, self.l2, self.neg_lr = lr, l2, -lr
        self.buffers: list[torch.Tensor] | None = None
        self.decay = bool((l2 != 0).any())
        self._groups: tuple[tuple[int, ...], list[_Group]] | None = None  # (grad pointers, groups)
        if name == "adam":
            self.exp_avg = exp_avg or [torch.zeros_like(p) for p in self.params]
            self.exp_avg_sq = exp_avg_sq or [torch.zeros_like(p) for p in self.params]
            self.fused = FUSED_ADAM() and all(p.dtype in FUSED_DTYPES and p.device.type in ("cpu", "cuda")
                                            for p in self.params)
            self.step_tensor = torch.tensor(float(step), dtype=torch.float32, device=self.params[0].device)

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor]) -> None:
        """One update of every member from ``grads`` (one per parameter, like it; may be changed)."""
        if self.name == "adam" and self.fused:
            self._fused_adam(grads)
            return
        if self.decay:  # g + wd * p, as torch's weight_decay (members with wd 0 get g exactly)
            for p, g in zip(self.params, grads):
                g.addcmul_(_per_member(self.l2, p), p)
        if self.name == "sgd":
            for p, g in zip(self.params, grads):
                p.addcmul_(g, _per_member(self.neg_lr, p))
            return
        self._adam(grads)

    def _member_groups(self, grads: Sequence[torch.Tensor]) -> list[_Group]:
        """Per distinct (lr, weight decay): the members' (param, grad, m, v) views, each contiguous,
        and the shared step tensor once per view (the lists ``torch._fused_adam_`` takes)."""
        key = tuple(g.data_ptr() for g in grads)
        if self._groups is None or self._groups[0] != key:
            members: dict[tuple[float, float], list[int]] = {}
            for i, hyper in enumerate(zip(self.lr.tolist(), self.l2.tolist())):
                members.setdefault(hyper, []).append(i)
            stacks = (self.params, grads, self.exp_avg, self.exp_avg_sq)
            groups = [(lr, wd, [[t[i] for t in stack for i in idx] for stack in stacks]
                       + [[self.step_tensor] * (len(idx) * len(self.params))])
                      for (lr, wd), idx in members.items()]
            self._groups = (key, groups)
        return self._groups[1]

    def _fused_adam(self, grads: Sequence[torch.Tensor]) -> None:
        """Adam as ``torch.optim.Adam(fused=True)``: one fused call per (lr, weight decay) group."""
        self.step_count += 1
        self.step_tensor += 1
        for lr, wd, (p, g, m, v, steps) in self._member_groups(grads):
            torch._fused_adam_(p, g, m, v, [], steps, lr=lr, beta1=self.betas[0], beta2=self.betas[1],
                               weight_decay=wd, eps=self.eps, amsgrad=False, maximize=False)

    def _adam(self, grads: Sequence[torch.Tensor]) -> None:
        """Adam's update element-wise, in place into preallocated buffers (torch < 2.4)."""
        beta1, beta2 = self.betas
        self.step_count += 1
        bias1 = 1 - beta1 ** self.step_count
        bias2_sqrt = math.sqrt(1 - beta2 ** self.step_count)
        step_size = self.neg_lr / bias1  # (M,)
        if self.buffers is None:
            self.buffers = [torch.empty_like(p) for p in self.params]
        for p, g, m, v, buf in zip(self.params, grads, self.exp_avg, self.exp_avg_sq, self.buffers):
            m.lerp_(g, 1 - beta1)
            v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            torch.sqrt(v, out=buf).div_(bias2_sqrt).add_(self.eps)  # the denominator
            torch.div(m, buf, out=buf)
            p.addcmul_(buf, _per_member(step_size, p))

    def select(self, keep: torch.Tensor, params: Sequence[torch.Tensor]) -> StackedOptimizer:
        """The optimiser of members ``keep`` (indices (K,)) over their new stacked ``params``."""
        moments = {}
        if self.name == "adam":
            moments = {"exp_avg": [m[keep].clone() for m in self.exp_avg],
                       "exp_avg_sq": [v[keep].clone() for v in self.exp_avg_sq]}
        return StackedOptimizer(self.name, params, self.lr[keep], self.l2[keep], betas=self.betas,
                                eps=self.eps, step=self.step_count, **moments)

    def member_state(self, i: int) -> list[dict[str, Any]]:
        """Member ``i``'s state per parameter, as the torch optimiser holds it (SGD: empty)."""
        if self.name == "sgd":
            return [{} for _ in self.params]
        step = torch.tensor(float(self.step_count))  # torch keeps Adam's step as a float32 tensor
        return [{"step": step.clone(), "exp_avg": m[i].detach().clone(),
                 "exp_avg_sq": v[i].detach().clone()}
                for m, v in zip(self.exp_avg, self.exp_avg_sq)]

    @classmethod
    def from_torch(cls, optimizers: Sequence[torch.optim.Optimizer],
                   params: Sequence[torch.Tensor]) -> StackedOptimizer:
        """Stack the hyperparameters and state of one torch optimiser per member (same kind)."""
        kinds = {type(o) for o in optimizers}
        if len(kinds) != 1 or next(iter(kinds)) not in (torch.optim.SGD, torch.optim.Adam):
            raise ConfigError(f"members must share one optimiser, SGD or Adam; got "
                              f"{sorted(k.__name__ for k in kinds)}")
        name = "adam" if kinds == {torch.optim.Adam} else "sgd"
        groups = [o.param_groups[0] for o in optimizers]
        _check_plain(name, groups)
        device = params[0].device
        lr = torch.tensor([g["lr"] for g in groups], dtype=params[0].dtype, device=device)
        l2 = torch.tensor([g["weight_decay"] for g in groups], dtype=params[0].dtype, device=device)
        extra: dict[str, Any] = {}
        if name == "adam":
            extra = {"betas": tuple(groups[0]["betas"]), "eps": groups[0]["eps"], **_adam_state(optimizers,
                                                                                                params)}
        return cls(name, params, lr, l2, **extra)


def _check_plain(name: str, groups: list[dict[str, Any]]) -> None:
    """Only the variants this module implements: no momentum, no amsgrad, shared Adam constants."""
    for g in groups:
        if name == "sgd" and (g.get("momentum", 0) or g.get("nesterov") or g.get("maximize")):
            raise ConfigError("stacked SGD supports plain SGD only (no momentum, nesterov or maximize)")
        if name == "adam" and (g.get("amsgrad") or g.get("maximize")
                               or (tuple(g["betas"]), g["eps"]) != (tuple(groups[0]["betas"]),
                                                                    groups[0]["eps"])):
            raise ConfigError("stacked Adam needs amsgrad off and the same betas and eps for every member")


def _adam_state(optimizers: Sequence[torch.optim.Optimizer],
                params: Sequence[torch.Tensor]) -> dict[str, Any]:
    """Adam's step and moments stacked over members (zeros for a fresh optimiser)."""
    steps = set()
    exp_avg, exp_avg_sq = [], []
    for j, stacked in enumerate(params):
        ms, vs = [], []
        for o in optimizers:
            p = o.param_groups[0]["params"][j]
            state = o.state.get(p, {})
            steps.add(int(float(state["step"])) if "step" in state else 0)
            ms.append(state.get("exp_avg", torch.zeros_like(p)))
            vs.append(state.get("exp_avg_sq", torch.zeros_like(p)))
        exp_avg.append(torch.stack(ms).to(stacked.device, stacked.dtype).contiguous())
        exp_avg_sq.append(torch.stack(vs).to(stacked.device, stacked.dtype).contiguous())
    if len(steps) != 1:
        raise ConfigError(f"members have taken different numbers of Adam steps {sorted(steps)}; "
                          f"train them in separate ensembles")
    return {"step": steps.pop(), "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}


FUSED_ADAM = functools.cache(fused_adam_available)  # checked once per process, on first use

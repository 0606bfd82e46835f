"""PyTorch twins of :mod:`dlhw.activations`: autograd Functions with closed-form backward passes.

``Sparsemax`` and ``Relumax`` compute their forward pass without tracking (the sort and the max
are not differentiated through); their backward applies the vector-Jacobian products derived in
:mod:`dlhw.activations.sparsemax` and :mod:`dlhw.activations.relumax`:

* sparsemax: J^T g = s * (g - mean_{i in S} g_i), S the support of p;
* relumax_b: J^T g = (w - e_k sum(w)) / Z, w = s * (g - <p, g>), k the first argmax.

They work for float32 and float64 tensors of any shape, on any device (no device-specific code),
along any ``dim``. Ties and kinks follow the numpy conventions (documented there). Inputs must
be finite or -inf with one finite entry per slice; unlike numpy, the tensors are not scanned for
NaN (that would synchronise the GPU).
"""

from __future__ import annotations

from typing import Any

import torch

from dlhw.errors import ConfigError, ShapeError
from dlhw.validation import check_choice, check_positive

REDUCTIONS = ("mean", "sum", "none")


def _arange_along(z: torch.Tensor, dim: int) -> torch.Tensor:
    """1..K shaped to broadcast along ``dim`` of ``z``."""
    shape = [1] * z.dim()
    shape[dim] = z.shape[dim]
    return torch.arange(1, z.shape[dim] + 1, dtype=z.dtype, device=z.device).view(shape)


def sparsemax_threshold(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """tau with sum relu(z - tau) = 1 along ``dim`` by sorting (size-1 ``dim`` kept); no grad."""
    with torch.no_grad():
        top = z.amax(dim=dim, keepdim=True)
        srt = torch.sort(z - top, dim=dim, descending=True).values  # shifted, descending
        css = srt.cumsum(dim)
        support = 1 + _arange_along(z, dim) * srt > css  # a prefix of length k(z)
        k = support.sum(dim=dim, keepdim=True)
        return (css.gather(dim, k - 1) - 1) / k.to(z.dtype) + top


class Sparsemax(torch.autograd.Function):
    """sparsemax along ``dim`` (use :func:`sparsemax`); backward s * (g - mean_S g)."""

    @staticmethod
    def forward(ctx: Any, z: torch.Tensor, dim: int) -> torch.Tensor:
        p = torch.clamp(z - sparsemax_threshold(z, dim), min=0)
        ctx.save_for_backward(p)
        ctx.dim = dim
        return p

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor, None]:
        (p,) = ctx.saved_tensors
        s = (p > 0).to(g.dtype)  # support indicator
        mean_s = (s * g).sum(dim=ctx.dim, keepdim=True) / s.sum(dim=ctx.dim, keepdim=True)
        return s * (g - mean_s), None


def _check_b(b: Any, z: torch.Tensor, dim: int) -> Any:
    """``b`` as a float > 0, or a tensor of the batch shape unsqueezed at ``dim`` (all > 0)."""
    if not isinstance(b, torch.Tensor):
        return check_positive(b, "relumax b")
    if bool((~torch.isfinite(b) | (b <= 0)).any()):  # one device sync, only for tensor b
        raise ConfigError("relumax b must be finite and > 0 everywhere; pass b > 0 (e.g. b=1.0)")
    b = b.detach().to(dtype=z.dtype, device=z.device)
    return b if b.dim() == 0 else b.unsqueeze(dim)


class Relumax(torch.autograd.Function):
    """relumax_b along ``dim`` (use :func:`relumax`); backward (w - e_k sum w) / Z. b gets no grad."""

    @staticmethod
    def forward(ctx: Any, z: torch.Tensor, b: Any, dim: int) -> torch.Tensor:
        k = torch.argmax(z, dim=dim, keepdim=True)  # first index of the max
        a = torch.clamp(z - z.gather(dim, k) + b, min=0)  # a_k = b exactly
        Z = a.sum(dim=dim, keepdim=True)  # >= b > 0
        p = a / Z
        ctx.save_for_backward(p, Z, k)
        ctx.dim = dim
        return p

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        p, Z, k = ctx.saved_tensors
        s = (p > 0).to(g.dtype)
        w = s * (g - (p * g).sum(dim=ctx.dim, keepdim=True))
        grad = w.scatter_add(ctx.dim, k, -w.sum(dim=ctx.dim, keepdim=True))  # e_k term
        return grad / Z, None, None


def _check_dim(z: torch.Tensor, dim: int) -> int:
    """``dim`` as a non-negative axis of ``z`` (ShapeError for a scalar or an out-of-range dim)."""
    if not -z.dim() <= dim < z.dim() or z.dim() == 0:
        raise ShapeError(f"dim={dim} is out of range for a tensor of shape {tuple(z.shape)}; "
                         f"use -{z.dim()} <= dim < {z.dim()} on a tensor with at least one axis")
    return dim % z.dim()


def softmax(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """torch.softmax along ``dim``, for a uniform API beside :func:`sparsemax` and :func:`relumax`."""
    return torch.softmax(z, dim=dim)


def sparsemax(z: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """sparsemax(z) along ``dim``: the projection of each slice onto the simplex."""
    return Sparsemax.apply(z, _check_dim(z, dim))


def relumax(z: torch.Tensor, b: Any = 1.0, dim: int = -1) -> torch.Tensor:
    """relumax_b(z) along ``dim``; ``b`` > 0 is a number or a tensor of the batch shape."""
    dim = _check_dim(z, dim)
    return Relumax.apply(z, _check_b(b, z, dim), dim)


def relumax_loss(z: torch.Tensor, y: torch.Tensor, b: float = 1.0, eps: float = 1e-3,
                 reduction: str = "mean") -> torch.Tensor:
    """-log((relumax_b(z)_y + eps) / (1 + K eps)) for ``z`` (N, K) and labels ``y`` (N,)."""
    check_choice(reduction, "reduction", REDUCTIONS)
    eps = check_positive(eps, "eps")
    p_y = relumax(z, b, dim=-1).gather(-1, y.long().unsqueeze(-1)).squeeze(-1)  # (N,)
    per = -torch.log((p_y + eps) / (1 + z.shape[-1] * eps))
    return per if reduction == "none" else (per.mean() if reduction == "mean" else per.sum())

"""The torch autograd Functions: torch.autograd.gradcheck in float64 across dims and batch shapes,
agreement with the numpy twins (forward, backward, loss), float32, and CUDA when present."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dlhw.activations as A
from dlhw.activations import torch as T
from dlhw.errors import ConfigError, ShapeError

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
SHAPES_DIMS = [((5,), 0), ((3, 5), -1), ((3, 5), 0), ((2, 3, 4), 1), ((2, 3, 4), -1), ((2, 3, 4), 0)]
MAPS = {"sparsemax": lambda z, dim: T.sparsemax(z, dim), "relumax": lambda z, dim: T.relumax(z, 0.7, dim)}
NP_MAPS = {"sparsemax": lambda z, dim: A.sparsemax(z, dim), "relumax": lambda z, dim: A.relumax(z, 0.7, dim)}


def _logits(shape, seed, dtype=torch.float64, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return (1.5 * torch.randn(shape, generator=g, dtype=torch.float64)).to(dtype=dtype, device=device)


@pytest.mark.parametrize("shape,dim", SHAPES_DIMS)
@pytest.mark.parametrize("name", MAPS)
def test_gradcheck(name, shape, dim, seed):
    z = _logits(shape, seed).requires_grad_()
    assert torch.autograd.gradcheck(lambda x: MAPS[name](x, dim), (z,), eps=1e-6, atol=1e-8)


def test_gradcheck_relumax_with_batched_b(seed):
    z = _logits((3, 4), seed).requires_grad_()
    b = torch.tensor([0.3, 1.0, 2.0], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: T.relumax(x, b, dim=1), (z,), eps=1e-6, atol=1e-8)
    np.testing.assert_allclose(T.relumax(z, b, dim=1).detach().numpy(),
                               A.relumax(z.detach().numpy(), b.numpy(), dim=1), atol=1e-15)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape,dim", SHAPES_DIMS)
@pytest.mark.parametrize("name", MAPS)
def test_torch_matches_numpy(name, shape, dim, device, seed):
    """Forward equal to numpy; backward equal to v @ J with numpy's closed-form Jacobian."""
    z = _logits(shape, seed, device=device).requires_grad_()
    v = _logits(shape, seed + 1, device=device)
    p = MAPS[name](z, dim)
    (p * v).sum().backward()
    z_np, v_np = z.detach().cpu().numpy(), v.cpu().numpy()
    np.testing.assert_allclose(p.detach().cpu().numpy(), NP_MAPS[name](z_np, dim), rtol=0, atol=1e-14)
    jac = A.sparsemax_jacobian if name == "sparsemax" else (lambda x: A.relumax_jacobian(x, 0.7))
    zl, vl = np.moveaxis(z_np, dim, -1).reshape(-1, shape[dim]), np.moveaxis(v_np, dim,
                                                                             -1).reshape(-1, shape[dim])
    expected = np.stack([vr @ jac(zr) for zr, vr in zip(zl, vl)])
    got = np.moveaxis(z.grad.cpu().numpy(), dim, -1).reshape(-1, shape[dim])
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", MAPS)
def test_float32(name, device, seed):
    z64 = _logits((4, 6), seed)
    z = z64.to(dtype=torch.float32, device=device).requires_grad_()
    p = MAPS[name](z, -1)
    assert p.dtype == torch.float32 and p.device.type == device
    np.testing.assert_allclose(p.detach().cpu().numpy(), NP_MAPS[name](z64.numpy(), -1), atol=1e-5)
    p[:, 0].sum().backward()
    assert z.grad.dtype == torch.float32 and torch.isfinite(z.grad).all()
    np.testing.assert_allclose(z.grad.sum(dim=-1).cpu().numpy(), 0.0, atol=1e-5)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_relumax_loss_matches_numpy(reduction, seed):
    z = _logits((5, 4), seed).requires_grad_()
    y = torch.tensor([0, 1, 2, 3, 1])
    loss = T.relumax_loss(z, y, b=2.0, eps=0.05, reduction=reduction)
    loss.sum().backward()
    expected = A.relumax_loss(z.detach().numpy(), y.numpy(), 2.0, 0.05, reduction=reduction)
    np.testing.assert_allclose(loss.detach().numpy(), expected, atol=1e-14)
    grad = A.relumax_loss_grad(z.detach().numpy(), y.numpy(), 2.0, 0.05, reduction=reduction)
    np.testing.assert_allclose(z.grad.numpy(), grad, atol=1e-13)


def test_softmax_wrapper_matches_numpy(seed):
    z = _logits((3, 5), seed)
    np.testing.assert_allclose(T.softmax(z, 0).numpy(), A.softmax(z.numpy(), 0), atol=1e-15)


def test_threshold_matches_numpy(seed):
    z = _logits((3, 5), seed)
    np.testing.assert_allclose(T.sparsemax_threshold(z, 0).numpy(), A.sparsemax_threshold_sort(z.numpy(), 0),
                               atol=1e-15)


def test_stable_for_large_and_minus_inf():
    z = torch.tensor([[1e6, 1e6 - 0.4, -torch.inf, -1e6]], dtype=torch.float64, requires_grad=True)
    for name in MAPS:
        p = MAPS[name](z, -1)
        np.testing.assert_allclose(p.detach().numpy(), NP_MAPS[name](z.detach().numpy(), -1), atol=1e-12)
        (p[0, 0] + 2 * p[0, 1]).backward()
        assert torch.isfinite(z.grad).all() and z.grad[0, 2] == 0 and z.grad[0, 3] == 0
        z.grad = None


def test_relumax_tie_uses_first_argmax_like_numpy():
    z = torch.tensor([0.5, 1.0, 1.0, 0.2], dtype=torch.float64, requires_grad=True)
    v = torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64)
    (T.relumax(z, 1.0) * v).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), v.numpy() @ A.relumax_jacobian(z.detach().numpy(), 1.0),
                               atol=1e-14)


@pytest.mark.parametrize("b", [0.0, -1.0, float("nan"), torch.tensor([1.0, 0.0])])
def test_relumax_rejects_non_positive_b(b):
    with pytest.raises(ConfigError, match="b"):
        T.relumax(torch.zeros(2, 3), b)


def test_relumax_loss_rejects_bad_eps():
    with pytest.raises(ConfigError, match="eps"):
        T.relumax_loss(torch.zeros(2, 3), torch.tensor([0, 1]), eps=0.0)


@pytest.mark.parametrize("name", MAPS)
def test_bad_dim_raises_shape_error(name):
    with pytest.raises(ShapeError, match="dim=2 is out of range"):
        MAPS[name](torch.zeros(2, 3), 2)
    with pytest.raises(ShapeError, match="out of range"):
        MAPS[name](torch.tensor(1.0), 0)

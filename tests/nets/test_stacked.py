"""The stacked model's hand-written gradients and the stacked optimisers, against autograd and torch.optim."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.torch_version import TorchVersion

from dlhw.nets.stacked import StackedFFN
from dlhw.training.stacked_optim import StackedOptimizer


def _net(activation: str, dropout: list[float], sizes=(12, 7, 5, 4), seed=0) -> StackedFFN:
    g = torch.Generator().manual_seed(seed)
    M = len(dropout)
    shapes = list(zip(sizes[1:], sizes[:-1]))  # (out, in) per layer
    weights = [torch.randn(M, o, i, generator=g) * 0.5 for o, i in shapes]
    biases = [torch.randn(M, o, generator=g) * 0.1 for o, _ in shapes]
    return StackedFFN(weights, biases, activation, dropout)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("layers", [1, 3])
def test_hand_written_gradients_equal_autograd(activation, layers):
    """Member by member: the loss and gradients of the same network under autograd."""
    sizes = (12, 7, 5, 4)[:1] + (7, 5)[:layers - 1] + (4,)
    net = _net(activation, [0.0, 0.3, 0.5], sizes)
    g = torch.Generator().manual_seed(1)
    X, y = torch.randn(9, 12, generator=g), torch.randint(0, 4, (9,), generator=g)
    gens = [torch.Generator().manual_seed(s) for s in range(3)]
    masks = net.masks(gens, 9)
    losses = net.loss_and_grad(X, y, masks)
    act = {"relu": torch.relu, "tanh": torch.tanh}[activation]
    for i in range(net.size):
        params = [p[i].clone().requires_grad_(True) for p in net.parameters()]
        h = X
        for layer in range(layers):
            h = h @ params[2 * layer].T + params[2 * layer + 1]
            if layer < layers - 1:
                h = act(h) * masks[layer][i].T  # masks: (M, units, B)
        loss = F.cross_entropy(h, y)
        loss.backward()
        assert torch.allclose(losses[i], loss, atol=1e-6)
        for p, mine in zip(params, net.grads):
            assert torch.allclose(p.grad, mine[i], atol=1e-6), (i, (p.grad - mine[i]).abs().max())
    if layers > 1:  # the masks: ones for the member without dropout, 0 or 1/(1-p) for the others
        assert torch.equal(masks[0][0], torch.ones_like(masks[0][0]))
        assert set(masks[0][2].unique().tolist()) == {0.0, 2.0}


def test_masks_are_the_plain_draws_of_each_member():
    """Member i's mask is ``bernoulli_(1 - p)`` on a (B, h) tensor from its own generator."""
    net = _net("relu", [0.2, 0.0, 0.4])
    masks = net.masks([torch.Generator().manual_seed(s) for s in (5, 6, 7)], 11)
    for i, (p, seed) in enumerate(zip((0.2, 0.4), (5, 7))):
        expected = torch.empty(11, 7).bernoulli_(1 - p, generator=torch.Generator().manual_seed(seed))
        assert torch.equal(masks[0][2 * i].T, expected / (1 - p))


@pytest.mark.parametrize("name", ["sgd", "adam"])
@pytest.mark.parametrize("fused", [True, False])
def test_stacked_step_equals_torch_optimisers(name, fused):
    """Three steps with per-member lr and weight decay: torch.optim's weights, member by member."""
    g = torch.Generator().manual_seed(0)
    M = 4
    params = [torch.randn(M, 6, 5, generator=g), torch.randn(M, 6, generator=g)]
    grads = [[torch.randn(p.shape, generator=g) for p in params] for _ in range(3)]
    lr, l2 = torch.tensor([0.1, 0.01, 0.1, 0.03]), torch.tensor([0.0, 0.0, 0.1, 0.01])
    if name == "adam":
        lr = lr / 10
    stacked = [p.clone() for p in params]
    opt = StackedOptimizer(name, stacked, lr, l2)
    if name == "adam":
        opt.fused = fused and opt.fused
    for gs in grads:
        opt.step([t.clone() for t in gs])
    cls = torch.optim.SGD if name == "sgd" else torch.optim.Adam
    for i in range(M):
        mine = [p[i].clone().requires_grad_(True) for p in params]
        ref = cls(mine, lr=float(lr[i]), weight_decay=float(l2[i]), foreach=False)
        for gs in grads:
            for p, grad in zip(mine, gs):
                p.grad = grad[i].clone()
            ref.step()
        for p, s in zip(mine, stacked):
            assert torch.allclose(p, s[i], atol=1e-6, rtol=1e-5), (i, (p - s[i]).abs().max())
        if name == "adam":
            state = opt.member_state(i)
            assert [int(st["step"]) for st in state] == [3, 3]
            assert torch.allclose(state[0]["exp_avg_sq"], ref.state[mine[0]]["exp_avg_sq"], atol=1e-7)


def test_private_fused_adam_is_used_only_behind_its_feature_check(monkeypatch):
    """torch._fused_adam_ is private: missing or broken, the optimiser takes the public path."""
    from dlhw.training import stacked_optim as so

    def broken(*args, **kwargs):
        raise RuntimeError("no kernel")

    params = [torch.zeros(2, 3)]
    try:
        monkeypatch.setattr(torch, "_fused_adam_", broken)
        so.FUSED_ADAM.cache_clear()
        assert not so.fused_adam_available()
        assert not so.StackedOptimizer("adam", params, torch.ones(2), torch.zeros(2)).fused
        monkeypatch.delattr(torch, "_fused_adam_")
        assert not so.fused_adam_available()
    finally:
        monkeypatch.undo()
        so.FUSED_ADAM.cache_clear()
    # present and with a CPU kernel (torch >= 2.4): used; torch 2.3 (the floor) takes the public path
    with_cpu_kernel = hasattr(torch, "_fused_adam_") and TorchVersion(torch.__version__) >= (2, 4)
    assert so.fused_adam_available() == with_cpu_kernel


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_public_activation_backward_equals_the_aten_ops(activation, monkeypatch):
    """The ATen backward ops are private API: the public formulas give the same bits, and the
    feature check falls back to them when the ops are missing."""
    from dlhw.nets import stacked

    aten = stacked.aten_activation_grads()
    assert aten is not None  # this torch has them and they pass the probe
    g = torch.Generator().manual_seed(3)
    grad, z = torch.randn(4, 7, 9, generator=g), torch.randn(4, 7, 9, generator=g)
    out = torch.relu(z) if activation == "relu" else torch.tanh(z)
    public = stacked.PUBLIC_GRADS[activation]
    assert torch.equal(aten[activation](grad.clone(), out), public(grad.clone(), out))
    monkeypatch.setattr(torch, "ops", object())
    assert stacked.aten_activation_grads() is None

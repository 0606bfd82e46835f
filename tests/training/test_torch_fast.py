"""The compiled batch-1 path (dlhw.training.torch_fast) against the plain loop (autograd + torch.optim).

The bound. Both paths evaluate the same formulas in float32; the element-wise arithmetic
(ReLU, dropout, the SGD and Adam updates) is torch's bit for bit (``test_update_rounding_is_torchs``),
so they differ only where a sum is taken in another order (every dot product, length at most
``n`` = the largest fan-in) and where ``exp``/``log``/``tanh``/``sqrt`` are libm's instead of
torch's vectorised ones (within 2 ulps here). A float32 dot of length ``n`` is within
``gamma_n * sum |w_j x_j|`` of the exact value, ``gamma_n = n u / (1 - n u)``, ``u = 2^-24``
(Higham, Accuracy and Stability, 3.1), so the two paths' scores, deltas and gradients differ
by at most ``2 gamma_n`` relative to the magnitudes summed, and a step's update by at most
``2 gamma_n + 4u`` of its size (the libm/torch ulps of exp, log, tanh, sqrt add ``4u``).
To first order (the feedback of earlier differences through later steps is second order,
``T lr L << 1`` over the ``T = 200`` steps here; for a normalized Adam step the relative change
of ``m / sqrt(v)`` is that of ``g``, doubled), the parameters after ``T`` steps satisfy,
element-wise,

    |theta_fast - theta_plain| <= 4 (2 gamma_n + 4u) * sum_t |delta theta_t| + 2u |theta_plain|

with ``delta theta_t`` the plain loop's own update at step ``t`` (recorded), and the mean
training loss of the pass differs by at most ``4 (2 gamma_n + 4u)`` times the mean of the
per-step ``sum_k |z_k|`` (scores' magnitudes, the scale a score error is relative to) plus
``2u`` of the loss. A parameter that no step moves (a pixel that is always zero) must come
out identical. The tests also print nothing and pass in well under a second each.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from dlhw.errors import ConfigError
from dlhw.nets import NetConfig, make_optimizer, train_step
from dlhw.training.torch_epoch import (
    cpu_threads,
    init_model,
    seeded_torch_rng,
    train_epoch,
)
from dlhw.training.torch_fast import (
    FAST_MAX_BATCH,
    check_kernel,
    fast_unsupported,
    train_epoch_fast,
)

U = 2.0 ** -24
N_FEATURES, N_CLASSES, STEPS = 64, 5, 200
CASES = {  # name -> NetConfig fields
    "logreg-sgd": {"model": "logistic_regression", "lr": 0.05},
    "logreg-adam-l2": {"model": "logistic_regression", "optimizer": "adam", "lr": 0.01, "l2": 0.01},
    "relu-sgd": {"model": "mlp", "hidden_size": 32, "lr": 0.05},
    "relu-sgd-l2-2layers": {"model": "mlp", "hidden_size": 32, "layers": 2, "lr": 0.05, "l2": 0.01},
    "tanh-adam-3layers": {"model": "mlp", "hidden_size": 24, "layers": 3, "activation": "tanh",
                          "optimizer": "adam", "lr": 0.003},
    "relu-adam-l2": {"model": "mlp", "hidden_size": 32, "optimizer": "adam", "lr": 0.003, "l2": 0.001},
    "relu-sgd-dropout": {"model": "mlp", "hidden_size": 32, "dropout": 0.3, "lr": 0.05},
    "tanh-adam-dropout-2layers": {"model": "mlp", "hidden_size": 24, "layers": 2, "dropout": 0.5,
                                  "activation": "tanh", "optimizer": "adam", "lr": 0.003},
}


@pytest.fixture(autouse=True)
def one_thread():
    """One intra-op thread, as train_torch runs small batches (a busy pool costs ms per step)."""
    with cpu_threads(1):
        yield


def gamma(n: int) -> float:
    return n * U / (1 - n * U)


def data(seed: int = 0, n: int = STEPS * 3):
    """Image-like rows: values in [0, 1), ~half exact zeros, column 0 always zero; labels (n,)."""
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, N_FEATURES, generator=g) * (torch.rand(n, N_FEATURES, generator=g) < 0.5)
    X[:, 0] = 0.0
    y = torch.randint(0, N_CLASSES, (n,), generator=g)
    return X, y


def build_run(cfg: dict):  # not `setup`: pytest 8.0 calls a module's setup()
    cfg = NetConfig.from_dict(cfg)
    model = init_model(cfg, N_CLASSES, N_FEATURES, seed=3)
    return cfg, model, make_optimizer(cfg.optimizer, model.parameters(), cfg.lr, cfg.l2)


def plain_recorded(cfg: dict, X, y, order, batch: int):
    """The plain loop step by step: (mean loss, params, sum_t |update_t| per param, mean sum|z|)."""
    _, model, opt = build_run(cfg)
    crit = nn.CrossEntropyLoss()
    moved = [torch.zeros_like(p) for p in model.parameters()]
    losses, scale = [], []
    idx = torch.from_numpy(order)
    model.train()
    with seeded_torch_rng(11, "cpu"), cpu_threads(1):  # as train_torch runs small batches
        for xb, yb in zip(X[idx].split(batch), y[idx].split(batch)):
            before = [p.detach().clone() for p in model.parameters()]
            with torch.no_grad(), torch.random.fork_rng():  # the scores' size, without using dropout draws
                model.eval()
                scale.append(float(model(xb).abs().sum(dim=1).mean()))
                model.train()
            losses.append(train_step(xb, yb, model, opt, crit))
            for acc, b, p in zip(moved, before, model.parameters()):
                acc += (p.detach() - b).abs()
    loss = float(torch.stack(losses).mean())
    return loss, [p.detach().clone() for p in model.parameters()], moved, float(np.mean(scale))


def fast_run(cfg: dict, X, y, order, batch: int):
    _, model, opt = build_run(cfg)
    crit = nn.CrossEntropyLoss()
    assert fast_unsupported(model, opt, crit, X, batch) is None
    with seeded_torch_rng(11, "cpu"):
        loss = train_epoch_fast(model, opt, crit, X, y, order, batch)
    return loss, [p.detach().clone() for p in model.parameters()], opt


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("name", list(CASES))
def test_fast_equals_plain_to_float32_rounding(name, batch):
    X, y = data()
    order = np.random.default_rng(1).permutation(len(y))[:STEPS * batch]
    ref_loss, ref, moved, scale = plain_recorded(CASES[name], X, y, order, batch)
    loss, got, _ = fast_run(CASES[name], X, y, order, batch)
    n = max(N_FEATURES, CASES[name].get("hidden_size", 0))
    rel = 4 * (2 * gamma(n) + 4 * U)
    for i, (g, r, m) in enumerate(zip(got, ref, moved)):
        bound = rel * m + 2 * U * r.abs()
        excess = (g - r).abs() - bound
        assert float(excess.max()) <= 0, f"{name} parameter {i}: off by {float((g - r).abs().max()):.3g}"
        assert torch.equal(g[m == 0], r[m == 0])  # nothing moved it in the plain loop: not moved here
    assert abs(loss - ref_loss) <= rel * scale + 2 * U * ref_loss


@pytest.mark.parametrize("name", ["relu-sgd-dropout", "tanh-adam-dropout-2layers", "logreg-adam-l2"])
def test_fast_path_repeats_bit_for_bit(name):
    X, y = data(2)
    order = np.random.default_rng(2).permutation(len(y))
    first, second = fast_run(CASES[name], X, y, order, 1), fast_run(CASES[name], X, y, order, 1)
    assert first[0] == second[0]
    assert all(torch.equal(a, b) for a, b in zip(first[1], second[1]))


def test_dropout_masks_are_the_plain_loops():
    """Same masks: a wrong draw (one stream per chunk, or a shifted step) moves weights by ~lr, not ulps."""
    X, y = data(4)
    order = np.random.default_rng(4).permutation(len(y))[:STEPS]
    cfg = {**CASES["relu-sgd-dropout"], "lr": 0.2}
    _, ref, _, _ = plain_recorded(cfg, X, y, order, 1)
    _, got, _ = fast_run(cfg, X, y, order, 1)
    assert max(float((a - b).abs().max()) for a, b in zip(got, ref)) < 1e-5
    with seeded_torch_rng(12, "cpu"):  # another dropout seed: visibly different weights
        _, model, opt = build_run(cfg)
        train_epoch_fast(model, opt, nn.CrossEntropyLoss(), X, y, order, 1)
    assert max(float((a - b.detach()).abs().max()) for a, b in zip(ref, model.parameters())) > 1e-3


def test_adam_state_is_torchs_and_resumes_in_the_plain_loop():
    """After a fast pass the optimiser's state is what torch.optim.Adam would hold; the plain
    loop continues from it as from its own."""
    X, y = data(5)
    order = np.random.default_rng(5).permutation(len(y))[:100]
    cfg = CASES["relu-adam-l2"]
    _, m_fast, o_fast = build_run(cfg)
    _, m_ref, o_ref = build_run(cfg)
    crit = nn.CrossEntropyLoss()
    train_epoch_fast(m_fast, o_fast, crit, X, y, order, 1)
    train_epoch(m_ref, o_ref, crit, X, y, order, 1)
    s_fast, s_ref = o_fast.state_dict()["state"], o_ref.state_dict()["state"]
    assert s_fast.keys() == s_ref.keys()
    for k in s_ref:
        assert list(s_fast[k]) == list(s_ref[k])
        assert s_fast[k]["step"].dtype == s_ref[k]["step"].dtype and float(s_fast[k]["step"]) == 100
        for name in ("exp_avg", "exp_avg_sq"):
            torch.testing.assert_close(s_fast[k][name], s_ref[k][name], rtol=1e-4, atol=1e-9)
    train_epoch(m_fast, o_fast, crit, X, y, order, 1)  # the plain loop on the fast path's state
    train_epoch(m_ref, o_ref, crit, X, y, order, 1)
    for a, b in zip(m_fast.parameters(), m_ref.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


def test_update_rounding_is_torchs():
    """One SGD and one Adam step of a logistic regression with hand-set scores: the element-wise
    updates (fma placement, float32 scalars, eps outside the sqrt, bias corrections) are torch's.
    With one input of value 1 the gradient is the softmax term exactly in both paths."""
    for opt_name, l2 in (("sgd", 0.0), ("sgd", 0.1), ("adam", 0.0)):  # Adam with l2: sqrt(v) is MKL's
        cfg = {"model": "logistic_regression", "optimizer": opt_name, "lr": 0.37, "l2": l2}
        X = torch.zeros(3, N_FEATURES)
        X[:, 0] = 1.0
        y = torch.tensor([1, 2, 0])
        order = np.arange(3)
        _, ref_model, ref_opt = build_run(cfg)
        _, fast_model, fast_opt = build_run(cfg)
        with torch.no_grad():  # equal scores: the softmax is exactly 1/K, no exp/log rounding
            for m in (ref_model, fast_model):
                m.linear.weight[:, 0] = 0.5
                m.linear.bias.zero_()
        crit = nn.CrossEntropyLoss()
        train_epoch(ref_model, ref_opt, crit, X[:1], y[:1], order[:1], 1)
        train_epoch_fast(fast_model, fast_opt, crit, X[:1], y[:1], order[:1], 1)
        for a, b in zip(fast_model.parameters(), ref_model.parameters()):
            assert torch.equal(a, b), (opt_name, l2, (a - b).abs().max())


def test_unsupported_cases_fall_back_with_a_reason():
    X, _ = data()
    _, model, opt = build_run(CASES["relu-sgd"])
    crit = nn.CrossEntropyLoss()
    assert "batch size" in fast_unsupported(model, opt, crit, X, FAST_MAX_BATCH + 1)
    assert "not float32" in fast_unsupported(model, opt, crit, X.double(), 1)
    assert "not on the CPU" in fast_unsupported(model, opt, crit, X.to("meta"), 1)  # e.g. CUDA: plain loop
    assert "loss" in fast_unsupported(model, opt, nn.CrossEntropyLoss(label_smoothing=0.1), X, 1)
    momentum = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    assert "momentum" in fast_unsupported(model, momentum, crit, X, 1)
    rms = torch.optim.RMSprop(model.parameters(), lr=0.1)
    assert "RMSprop" in fast_unsupported(model, rms, crit, X, 1)
    other = nn.Sequential(nn.Linear(N_FEATURES, 8), nn.Sigmoid(), nn.Linear(8, N_CLASSES))
    assert fast_unsupported(other, make_optimizer("sgd", other.parameters(), 0.1), crit, X, 1)
    assert check_kernel("fast") == "fast"
    with pytest.raises(ConfigError, match="autograd"):
        check_kernel("numba")


def test_kernel_module_is_a_leaf():
    """The kernels import no model, no torch and nothing of dlhw: the fast path points one way."""
    import ast
    import inspect

    from dlhw.nets import fast_kernels

    tree = ast.parse(inspect.getsource(fast_kernels))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert names <= {"__future__", "numpy", "numba", "llvmlite"}, names


def test_train_torch_kernels_agree(tmp_path):
    """train_torch with kernel="fast" (the default) and "autograd": the same run to float32 rounding."""
    from dlhw.data import Dataset
    from dlhw.training.torch_loop import train_torch

    X, y = data(6, n=300)
    ds = Dataset("toy", (X[:200].numpy(), y[:200].numpy()), (X[200:250].numpy(), y[200:250].numpy()),
                 (X[250:].numpy(), y[250:].numpy()), N_CLASSES)
    cfg = {**CASES["tanh-adam-dropout-2layers"], "epochs": 2}
    runs = {k: train_torch(cfg, ds, out_dir=tmp_path / k, kernel=k, progress=False, plots=False)
            for k in ("fast", "autograd")}
    fast, plain = (runs[k].history.metrics for k in ("fast", "autograd"))
    np.testing.assert_allclose(fast["train_loss"], plain["train_loss"], rtol=1e-5)
    np.testing.assert_allclose(fast["dev_loss"], plain["dev_loss"], rtol=1e-4)
    with pytest.raises(ConfigError, match="kernel"):
        train_torch(cfg, ds, out_dir=tmp_path / "bad", kernel="numpy")

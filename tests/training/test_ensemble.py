"""Ensembles: a member of a stacked model ends where the plain loop ends, member by member."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlhw.errors import ConfigError, ShapeError
from dlhw.io import load_json, load_npz
from dlhw.nets import NetConfig, make_optimizer
from dlhw.nets.stacked import StackedFFN
from dlhw.training import torch_loop
from dlhw.training.ensemble import (
    EnsembleMember,
    shape_key,
    train_ensemble,
    train_stacked_epoch,
)
from dlhw.training.history import History
from dlhw.training.stacked_optim import StackedOptimizer
from dlhw.training.torch_loop import (
    as_tensors,
    dropout_seed,
    epoch_order,
    init_model,
    seeded_torch_rng,
    train_epoch,
    train_torch,
)

ATOL = 2e-5


@pytest.fixture(scope="module")
def tiny(fashion_small):
    """600 training rows, 200 dev and test rows, float32."""
    return fashion_small.subset(600, 200).map_features(lambda X: X.astype(np.float32))


def _grid(base: NetConfig) -> list[NetConfig]:
    """Two learning rates x l2 {0, 0.01}; Adam's steps are ten times smaller than SGD's."""
    lrs = (0.05, 0.005) if base.optimizer == "sgd" else (0.005, 0.0005)
    return [base.replace(lr=lr, l2=l2) for lr in lrs for l2 in (0.0, 0.01)]


def _plain(cfg: NetConfig, seed: int, data_seed: int, X, y, epochs: int) -> torch.nn.Module:
    """The plain loop: init from ``seed``, batches from ``data_seed``, dropout from ``seed``."""
    model = init_model(cfg, 10, X.shape[1], seed)
    opt = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr, cfg.l2)
    for epoch in range(1, epochs + 1):
        with seeded_torch_rng(dropout_seed(seed, epoch), "cpu"):
            train_epoch(model, opt, torch.nn.CrossEntropyLoss(), X, y,
                        epoch_order(data_seed, epoch, len(y)), cfg.batch_size)
    return model


def _stacked(cfgs: list[NetConfig], seeds: list[int], data_seed: int, X, y, epochs: int) -> StackedFFN:
    models = [init_model(c, 10, X.shape[1], s) for c, s in zip(cfgs, seeds)]
    net = StackedFFN.from_modules(models, cfgs[0].activation, [c.dropout for c in cfgs])
    opt = StackedOptimizer.from_torch([make_optimizer(c.optimizer, m.parameters(), c.lr, c.l2)
                                       for c, m in zip(cfgs, models)], net.parameters())
    for epoch in range(1, epochs + 1):
        gens = [torch.Generator().manual_seed(dropout_seed(s, epoch)) for s in seeds]
        train_stacked_epoch(net, opt, X, y, epoch_order(data_seed, epoch, len(y)),
                            cfgs[0].batch_size, gens)
    return net


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_member_ends_with_the_plain_loop_weights(tiny, optimizer, dropout):
    """Same init, same batches (and, on the CPU, the same dropout masks): the same weights."""
    X, y = as_tensors(tiny)["train"]
    cfgs = _grid(NetConfig(hidden_size=24, layers=2, dropout=dropout, optimizer=optimizer,
                           batch_size=32, epochs=2))
    seeds = [11, 12, 13, 14]
    net = _stacked(cfgs, seeds, 7, X, y, epochs=2)
    for i, (cfg, seed) in enumerate(zip(cfgs, seeds)):
        plain = _plain(cfg, seed, 7, X, y, epochs=2)
        mine = net.copy_to(i, init_model(cfg, 10, X.shape[1], 0))
        for (name, a), b in zip(plain.named_parameters(), mine.parameters()):
            assert torch.allclose(a, b, atol=ATOL, rtol=1e-4), (i, name, (a - b).abs().max())
    initial = init_model(cfgs[0], 10, X.shape[1], seeds[0])  # and training did move the weights
    assert not torch.allclose(initial.net[0].weight, net.weights[0][0], atol=1e-3)


def test_train_ensemble_matches_train_torch_files(tiny, tmp_path):
    """The member whose seed is the data seed: train_torch's history and best checkpoint."""
    cfgs = _grid(NetConfig(hidden_size=16, layers=1, optimizer="adam", batch_size=64, epochs=3))
    members = [EnsembleMember(c, 5 + i, tmp_path / f"m{i}") for i, c in enumerate(cfgs)]
    outcomes = train_ensemble(members, tiny, data_seed=5, progress=False)
    alone = train_torch(cfgs[0], tiny, out_dir=tmp_path / "alone", seed=5, progress=False,
                        plots=False, test=False)
    mine = outcomes[0]
    for key in ("train_loss", "train_accuracy", "dev_accuracy", "dev_loss"):
        np.testing.assert_allclose(mine.history.metrics[key], alone.history.metrics[key], atol=1e-5)
    assert mine.best_epoch == alone.best_epoch
    a, b = load_npz(tmp_path / "m0" / "best.npz"), load_npz(tmp_path / "alone" / "best.npz")
    assert sorted(a) == sorted(b)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], atol=ATOL)
    files = {p.name for p in (tmp_path / "m0").iterdir()}
    assert files == {p.name for p in (tmp_path / "alone").iterdir()}  # the same files
    assert load_json(tmp_path / "m0" / "config.json")["data_seed"] == 5
    assert History.load(tmp_path / "m3").epochs == 3
    assert 0.0 <= torch_loop.test_best(tmp_path / "m2", tiny)["test_accuracy"] <= 1.0
    assert len({o.best_dev_accuracy for o in outcomes}) > 1  # members really differ


def test_rerun_returns_stored_results_and_divergence_is_per_member(tiny, tmp_path):
    cfgs = [NetConfig(hidden_size=8, optimizer="sgd", lr=lr, batch_size=64, epochs=2)
            for lr in (0.01, 1e12)]
    members = [EnsembleMember(c, i, tmp_path / f"m{i}") for i, c in enumerate(cfgs)]
    first = train_ensemble(members, tiny, data_seed=0, progress=False)
    assert type(first[1]).__name__ == "DivergenceError"
    assert first[0].history.epochs == 2  # the healthy member finished
    stamp = (tmp_path / "m0" / "run.json").stat().st_mtime_ns
    again = train_ensemble(members, tiny, data_seed=0, progress=False)
    assert (tmp_path / "m0" / "run.json").stat().st_mtime_ns == stamp
    assert again[0].best_dev_accuracy == first[0].best_dev_accuracy
    assert type(again[1]).__name__ == "DivergenceError"


def test_mixed_shapes_and_optimisers_are_refused(tiny, tmp_path):
    a = NetConfig(hidden_size=8, batch_size=64, epochs=1)
    assert shape_key(a) == shape_key(a.replace(lr=0.5, dropout=0.2, l2=0.1))
    assert shape_key(a) != shape_key(a.replace(hidden_size=9))
    with pytest.raises(ConfigError, match="shape"):
        train_ensemble([EnsembleMember(a, 0, tmp_path / "a"),
                        EnsembleMember(a.replace(optimizer="adam"), 0, tmp_path / "b")],
                       tiny, data_seed=0, progress=False)
    small, wide = (init_model(c, 10, 784, 0) for c in (a, a.replace(hidden_size=9)))
    with pytest.raises(ShapeError):
        StackedFFN.from_modules([small, wide], "relu", [0.0, 0.0])


def test_final_training_accuracy_only_changes_nothing_else(tiny, tmp_path):
    """``train_accuracy="final"`` skips the training-split pass of every epoch but the last: the
    same weights and per-epoch metrics, and the final training accuracy equals the every-epoch run's."""
    cfgs = _grid(NetConfig(hidden_size=16, layers=1, optimizer="adam", batch_size=64, epochs=3))
    every = train_ensemble([EnsembleMember(c, 5 + i, tmp_path / f"e{i}") for i, c in enumerate(cfgs)],
                           tiny, data_seed=5, progress=False)
    final = train_ensemble([EnsembleMember(c, 5 + i, tmp_path / f"f{i}") for i, c in enumerate(cfgs)],
                           tiny, data_seed=5, progress=False, train_accuracy="final")
    for a, b in zip(every, final, strict=True):
        assert b.history.metrics["train_accuracy"] == a.history.metrics["train_accuracy"][-1:]
        for key in ("train_loss", "dev_loss", "dev_accuracy"):
            assert b.history.metrics[key] == a.history.metrics[key]
        assert b.metrics()["final_train_accuracy"] == a.metrics()["final_train_accuracy"]
    csv = (tmp_path / "f0" / "metrics.csv").read_text().splitlines()
    col = csv[0].split(",").index("train_accuracy")
    assert [row.split(",")[col] for row in csv[1:]][:2] == ["", ""]  # started at the last epoch
    with pytest.raises(ConfigError, match="train_accuracy"):
        train_ensemble([EnsembleMember(cfgs[0], 5, tmp_path / "x")], tiny, data_seed=5,
                       progress=False, train_accuracy="sometimes")


def test_epochs_flush_subnormals_and_restore_the_mode():
    """Inside flush_denormal a float32 subnormal result is 0; afterwards the mode is as before."""
    from dlhw.training.torch_epoch import flush_denormal

    tiny = torch.tensor([2.0**-120], dtype=torch.float32)
    assert (tiny * 2.0**-10).item() != 0.0  # IEEE: a subnormal
    with flush_denormal():
        assert (tiny * 2.0**-10).item() == 0.0
    assert (tiny * 2.0**-10).item() != 0.0

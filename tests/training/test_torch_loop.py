"""dlhw.training.torch_loop and torch_checkpoint: seeding, checkpoints, resume, divergence, learning."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlhw.data import Dataset
from dlhw.errors import CheckpointError, DivergenceError
from dlhw.io import load_npz
from dlhw.nets import (
    FeedforwardNetwork,
    LogisticRegression,
    make_optimizer,
    train_batch,
)
from dlhw.training.torch_checkpoint import load_checkpoint, save_checkpoint
from dlhw.training.torch_loop import (
    epoch_batches,
    epoch_order,
    init_model,
    train_epoch,
    train_torch,
)

CFG = {"model": "mlp", "hidden_size": 16, "layers": 2, "dropout": 0.3, "optimizer": "adam",
       "lr": 0.01, "batch_size": 4, "epochs": 3}


def _blobs(seed: int = 0, n: int = 240, d: int = 12, k: int = 3) -> Dataset:
    """Three Gaussian blobs split 160/40/40: learnable in a few epochs."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    X = rng.normal(size=(n, d)) + 2.0 * np.eye(k, d)[y]
    return Dataset("blobs", (X[:160], y[:160]), (X[160:200], y[160:200]), (X[200:], y[200:]), k)


def _same_state(a, b):
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_epoch_order_is_a_seeded_permutation():
    p = epoch_order(0, 1, 50)
    assert sorted(p) == list(range(50))
    assert np.array_equal(p, epoch_order(0, 1, 50))
    assert not np.array_equal(p, epoch_order(0, 2, 50))
    batches = epoch_batches(0, 1, 50, 16)
    assert [len(b) for b in batches] == [16, 16, 16, 2]
    assert np.array_equal(np.concatenate(batches), p)


def test_same_seed_identical_weights_after_an_epoch():
    ds = _blobs()
    X, y = (torch.as_tensor(a) for a in (ds.train[0].astype(np.float32), ds.train[1]))
    models = []
    state = torch.random.get_rng_state()
    for _ in range(2):
        model = init_model(CFG, 3, 12, seed=5)
        opt = make_optimizer("adam", model.parameters(), lr=0.01)
        with torch.random.fork_rng():
            torch.random.default_generator.manual_seed(1)
            train_epoch(model, opt, torch.nn.CrossEntropyLoss(), X, y, epoch_order(5, 1, 160), 4)
        models.append(model)
    assert _same_state(*models)
    assert torch.equal(state, torch.random.get_rng_state())


def test_checkpoint_round_trips_without_pickle(tmp_path):
    model = FeedforwardNetwork(3, 6, 5, 2, "relu", 0.0, seed=1)
    opt = make_optimizer("adam", model.parameters(), lr=0.1)
    train_batch(torch.ones(2, 6), torch.tensor([0, 2]), model, opt, torch.nn.CrossEntropyLoss())
    save_checkpoint(tmp_path / "c.npz", model, opt, meta={"epoch": 4})
    assert all(a.dtype != object for a in load_npz(tmp_path / "c.npz").values())
    other = FeedforwardNetwork(3, 6, 5, 2, "relu", 0.0, seed=2)
    other_opt = make_optimizer("adam", other.parameters(), lr=0.1)
    assert load_checkpoint(tmp_path / "c.npz", other, other_opt) == {"epoch": 4}
    assert _same_state(model, other)
    s1, s2 = opt.state_dict()["state"], other_opt.state_dict()["state"]
    assert all(torch.equal(s1[i][k], s2[i][k]) for i in s1 for k in s1[i])


def test_corrupt_or_mismatched_checkpoint_raises(tmp_path):
    model = LogisticRegression(3, 6)
    path = save_checkpoint(tmp_path / "c.npz", model)
    with pytest.raises(CheckpointError, match="does not match the model"):
        load_checkpoint(path, LogisticRegression(3, 7))
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(path, model)


def test_resume_after_interruption_gives_identical_results(tmp_path):
    ds = _blobs()
    full = train_torch(CFG, ds, out_dir=tmp_path / "full", seed=1, progress=False, plots=False)

    def interrupt(epoch, _):
        if epoch == 2:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        train_torch(CFG, ds, out_dir=tmp_path / "cut", seed=1, progress=False, plots=False,
                    on_epoch=interrupt)
    seen = []
    resumed = train_torch(CFG, ds, out_dir=tmp_path / "cut", seed=1, progress=False, plots=False,
                          on_epoch=lambda e, m: seen.append(e))
    assert seen == [3]
    for key in ("train_loss", "train_accuracy", "dev_loss", "dev_accuracy"):
        assert resumed.history.metrics[key] == full.history.metrics[key]
    for name in ("best.npz", "last.npz"):  # best and final weights (and Adam state) identical
        a, b = load_npz(tmp_path / "full" / name), load_npz(tmp_path / "cut" / name)
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert sorted(p.name for p in (tmp_path / "cut").glob("last*")) == ["last.json", "last.npz"]
    assert resumed.test_accuracy == full.test_accuracy


def test_finished_run_is_reused_and_other_seed_is_not(tmp_path):
    ds = _blobs()
    state = torch.random.get_rng_state()
    first = train_torch(CFG, ds, out_dir=tmp_path, seed=0, progress=False, plots=False)
    assert torch.equal(state, torch.random.get_rng_state())  # dropout ran on a forked RNG
    calls = []
    again = train_torch(CFG, ds, out_dir=tmp_path, seed=0, progress=False, plots=False,
                        on_epoch=lambda e, m: calls.append(e))
    assert calls == [] and again.history.metrics == first.history.metrics
    with pytest.raises(CheckpointError, match="nothing was deleted"):  # never replaced implicitly
        train_torch(CFG, ds, out_dir=tmp_path, seed=9, progress=False, plots=False)
    train_torch(CFG, ds, out_dir=tmp_path, seed=9, progress=False, plots=False, overwrite=True,
                on_epoch=lambda e, m: calls.append(e))
    assert calls == [1, 2, 3]


def test_divergence_names_epoch_and_lr(tmp_path):
    ds = _blobs()
    X = ds.train[0].copy()
    X[0, 0] = 1e38  # overflows float32 scores -> NaN loss
    bad = Dataset("blobs", (X, ds.train[1]), ds.dev, ds.test, 3)
    cfg = {**CFG, "model": "logistic_regression", "optimizer": "sgd", "lr": 0.5}
    with pytest.raises(DivergenceError, match=r"epoch 1 \(lr=0.5"):
        train_torch(cfg, bad, out_dir=tmp_path, progress=False, plots=False)
    with pytest.raises(DivergenceError, match="epoch 1"):  # recorded: fails again at once
        train_torch(cfg, bad, out_dir=tmp_path, progress=False, plots=False)


@pytest.mark.parametrize("cfg, floor", [
    ({"model": "logistic_regression", "lr": 0.05, "batch_size": 16, "epochs": 3}, 0.70),
    ({"model": "mlp", "hidden_size": 64, "dropout": 0.3, "lr": 0.05, "batch_size": 16,
      "epochs": 3}, 0.70),
])
def test_learns_fashion_small(fashion_small, tmp_path, cfg, floor):
    result = train_torch(cfg, fashion_small, out_dir=tmp_path, seed=0, progress=False)
    assert result.best_dev_accuracy > floor
    assert result.test_accuracy > floor - 0.03
    assert (tmp_path / "loss.png").exists() and (tmp_path / "accuracy.pdf").exists()
    m = result.metrics()
    assert m["epochs"] == 3 and 1 <= m["best_epoch"] <= 3 and m["seconds_per_epoch"] > 0

"""Grids trained as ensembles: grouping by shape, memory-budget splits, resume per member."""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.grid import GridError, GridSpec, SerialBackend
from dlhw.grid.ensemble import EnsembleWork, ensemble_runner, member_bytes
from dlhw.io import load_npz
from dlhw.nets import NetConfig
from dlhw.training import ensemble as ens

SPEC = GridSpec(base={"optimizer": "adam", "batch_size": 64, "epochs": 3},
                axes={"hidden_size": (8, 16), "lr": (0.003, 0.001), "dropout": (0.0, 0.2)})


@pytest.fixture(scope="module")
def tiny(fashion_small):
    return fashion_small.subset(500, 200).map_features(lambda X: X.astype(np.float32))


def _runner(root, tiny, **kw):
    work = EnsembleWork(data=lambda: tiny, data_seed=1)
    return ensemble_runner(root, work, n_features=tiny.n_features, n_classes=tiny.n_classes,
                           backend=SerialBackend(), seed=3, progress=False, **kw)


def test_groups_by_shape_and_splits_to_fit_the_budget(tiny, tmp_path):
    runner = _runner(tmp_path / "a", tiny)
    runner.run(SPEC)
    assert sorted(len(ids) for ids in runner.dispatched) == [4, 4]  # one ensemble per width
    assert all(len({i.split("-lr=")[0] for i in ids}) == 1 for ids in runner.dispatched)
    need = member_bytes(NetConfig(hidden_size=16, optimizer="adam", batch_size=64), 784, 10)
    small = _runner(tmp_path / "b", tiny, budget_bytes=2 * need)
    small.run(SPEC)
    sizes = {w: sorted(len(ids) for ids in small.dispatched if ids[0].startswith(f"hidden-size={w}-"))
             for w in (8, 16)}
    assert sizes == {16: [2, 2], 8: [1, 3]}  # each shape's own cap: the narrow members are smaller


def test_interrupted_ensemble_grid_resumes_per_member(tiny, tmp_path, monkeypatch):
    reference = _runner(tmp_path / "ref", tiny).run(SPEC)
    real_store, calls = ens.MemberRun.store_epoch, []

    def crash_mid_epoch_2(self, epoch, *args):  # 4 members of width 8 finish epoch 1, two epoch 2
        if epoch == 2 and sum(e == 2 for e in calls) == 2:
            raise RuntimeError("simulated crash")
        calls.append(epoch)
        return real_store(self, epoch, *args)

    monkeypatch.setattr(ens.MemberRun, "store_epoch", crash_mid_epoch_2)
    with pytest.raises(GridError, match="simulated crash"):
        _runner(tmp_path / "run", tiny).run(SPEC)
    root = tmp_path / "run"
    assert not list(root.glob("hidden-size=8-*/record.json"))  # unfinished members are not done
    epochs = sorted(int(_state(d)["epoch"]) for d in root.glob("hidden-size=8-*/run"))
    assert epochs == [1, 1, 2, 2]  # members stopped at different epochs

    calls.clear()
    monkeypatch.setattr(ens.MemberRun, "store_epoch", real_store)
    resumed = _runner(root, tiny).run(SPEC)
    assert resumed.complete
    for a, b in zip(reference.records, resumed.records):
        assert a["id"] == b["id"]
        assert a["metrics"]["best_dev_accuracy"] == pytest.approx(b["metrics"]["best_dev_accuracy"], abs=1e-9)
        assert a["metrics"]["final_train_loss"] == pytest.approx(b["metrics"]["final_train_loss"], rel=1e-5)
    best = reference.best_member()
    x, y = load_npz(best.run_dir / "best.npz"), load_npz(root / best.id / "run" / "best.npz")
    assert all(np.allclose(x[k], y[k], atol=1e-6) for k in x)


def _state(folder):
    from dlhw.io import load_json

    return load_json(folder / "state.json")


def test_finished_members_are_not_retrained(tiny, tmp_path, monkeypatch):
    _runner(tmp_path, tiny).run(SPEC)
    monkeypatch.setattr(ens, "train_ensemble", lambda *a, **k: pytest.fail("retrained"))
    result = _runner(tmp_path, tiny).run(SPEC)
    assert result.complete and len(result.records) == len(SPEC)

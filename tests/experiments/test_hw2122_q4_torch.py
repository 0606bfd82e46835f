"""hw2122 Q4 experiments: each runs with --quick and writes result.json per docs/results.md."""

from __future__ import annotations

import math

import pytest

from dlhw.errors import ConfigError
from dlhw.experiments import get_experiment
from dlhw.experiments.base import RunContext
from dlhw.experiments.dataref import load_ref
from dlhw.experiments.execute import execute
from dlhw.experiments.hw2122.q4_torch import DEFAULTS, apply_variant, net_config
from dlhw.results import load_result


def test_variants_change_one_hyperparameter():
    base = {**DEFAULTS.to_dict(), "dataset": "fashion-mnist", "quick": True}
    assert net_config({**base, "variant": "default"}) == DEFAULTS
    assert net_config({**base, "variant": "lr=0.1"}) == DEFAULTS.replace(lr=0.1)
    assert net_config({**base, "variant": "hidden_size=100"}) == DEFAULTS.replace(hidden_size=100)
    assert net_config({**base, "variant": "optimizer=adam"}).optimizer == "adam"
    with pytest.raises(ConfigError, match="NAME=VALUE"):
        apply_variant({"variant": "width=3"})


@pytest.mark.parametrize("exp_id, n_configs", [("hw2122.q4.1", 3), ("hw2122.q4.2", 7),
                                               ("hw2122.q4.3", 2)])
def test_quick_run_writes_the_contract(tmp_path, data_dir, monkeypatch, exp_id, n_configs):
    # batch 1 costs a step per row: a smaller quick slice keeps the suite fast
    monkeypatch.setattr("dlhw.experiments.hw2122.q4_torch.QUICK_TRAIN_ROWS", 600)
    load_ref.cache_clear()
    ctx = RunContext(out_dir=tmp_path / exp_id, seed=0, data_dir=str(data_dir), quick=True,
                     epochs=1, progress=False)
    execute(get_experiment(exp_id), ctx)
    res = load_result(ctx.out_dir)
    assert res is not None and res.experiment == exp_id and res.quick
    m = res.metrics
    assert all(0.3 < m[k] <= 1 for k in ("test_accuracy_final", "test_accuracy_best", "best_dev_accuracy"))
    assert isinstance(m["best_config"], dict) and m["best_config"]["batch_size"] == 1
    assert m["n_configs"] == n_configs
    table = res.tables["grid"]
    assert len(table.rows) == n_configs and len(table.highlight) == 1
    best_row = table.rows[table.highlight[0]]
    assert best_row[table.columns.index("best_dev_accuracy")] == pytest.approx(m["best_dev_accuracy"])
    tests = [r[table.columns.index("test_accuracy_final")] for r in table.rows]
    assert sum(t is not None for t in tests) == 1  # the test set is scored for the best only
    assert not math.isnan(m["seconds_per_epoch"])
    assert set(res.figures) == {"best_curves"}  # the text's two curves, each once
    for name in ("best_curves",):
        assert (ctx.out_dir / res.figures[name]).exists()
        assert (ctx.out_dir / res.figures[name]).with_suffix(".pdf").exists()


def test_interrupted_grid_resumes(tmp_path, data_dir, monkeypatch):
    """Regression: the torch work wrote its config.json over the grid store's, so a grid whose
    member lost its record (an interrupted run) failed on resume with a CheckpointError."""
    monkeypatch.setattr("dlhw.experiments.hw2122.q4_torch.QUICK_TRAIN_ROWS", 300)
    load_ref.cache_clear()
    ctx = RunContext(out_dir=tmp_path / "q41", seed=0, data_dir=str(data_dir), quick=True,
                     epochs=1, progress=False, jobs=1)
    exp = get_experiment("hw2122.q4.1")
    first = execute(exp, ctx)
    records = sorted((ctx.out_dir / "grid").glob("*/record.json"))
    assert len(records) == 3
    records[0].unlink()  # as if killed before the record was written
    second = execute(exp, ctx)
    assert records[0].exists()
    assert second.metrics["best_dev_accuracy"] == first.metrics["best_dev_accuracy"]

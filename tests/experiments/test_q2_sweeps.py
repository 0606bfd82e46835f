"""hw2526.q2.2a (width) and q2.3a (depth) in quick mode write result.json per docs/results.md."""

from __future__ import annotations

import pytest

from dlhw.errors import ConfigError
from dlhw.experiments import get_experiment
from dlhw.experiments.base import RunContext
from dlhw.experiments.execute import execute
from dlhw.results import load_result


def _ctx(tmp_path, exp_id, data_dir, **options):
    return RunContext(out_dir=tmp_path / exp_id, quick=True, dataset="fashion-mnist", epochs=2,
                      data_dir=str(data_dir), jobs=1, progress=False, runs_root=tmp_path,
                      options=options)


def test_depth_needs_the_width_result(tmp_path, data_dir):
    with pytest.raises(ConfigError, match="hw2526.q2.2a"):
        execute(get_experiment("hw2526.q2.3a"), _ctx(tmp_path, "hw2526.q2.3a", data_dir))


def test_width_then_depth_quick(tmp_path, data_dir):
    width = execute(get_experiment("hw2526.q2.2b"), _ctx(tmp_path, "hw2526.q2.2a", data_dir, widths=[16, 32]))
    stored = load_result(tmp_path / "hw2526.q2.2a")
    m = stored.metrics
    assert stored.experiment == "hw2526.q2.2a" and stored.key_metric == "test_accuracy_best"
    assert set(m["per_width"]) == {"16", "32"} and m["n_configs"] == 2 * 4 * 2 * 2
    for entry in m["per_width"].values():
        assert {"best_dev_accuracy", "final_train_accuracy", "config"} <= set(entry)
    assert m["best_dev_accuracy"] == max(e["best_dev_accuracy"] for e in m["per_width"].values())
    assert m["best_width"] == m["best_config"]["width"]
    assert 0.3 < m["test_accuracy_best"] <= 1.0 and len(m["best_history"]["train_loss"]) == 2
    grid = stored.tables["grid"]
    assert len(grid.rows) == 32 and len(grid.highlight) == 2  # the best of each width
    col = grid.columns.index("best_dev_accuracy")
    for i in grid.highlight:
        w = grid.rows[i][grid.columns.index("width")]
        assert grid.rows[i][col] == m["per_width"][str(w)]["best_dev_accuracy"]
    assert stored.tables["per_width"].rows[stored.tables["per_width"].highlight[0]][0] == m["best_width"]
    for fig in ("best_curves", "train_accuracy_vs_width"):
        assert (tmp_path / "hw2526.q2.2a" / stored.figures[fig]).is_file()
        assert (tmp_path / "hw2526.q2.2a" / f"{fig}.pdf").is_file()
    assert width.metrics == m

    depth = execute(get_experiment("hw2526.q2.3a"), _ctx(tmp_path, "hw2526.q2.3a", data_dir, depths=[1, 2]))
    d = load_result(tmp_path / "hw2526.q2.3a").metrics
    tuned = m["per_width"]["32"]["config"]
    assert {k: d["best_config"][k] for k in tuned} == tuned and d["best_config"]["width"] == 32
    assert set(d["per_depth"]) == {"1", "2"} and d["best_depth"] in (1, 2)
    assert {"best_dev_accuracy", "final_train_accuracy"} <= set(d["per_depth"]["1"])
    # depth 1 is the 32-unit configuration of the width sweep: same seed, same batches, same result
    assert d["per_depth"]["1"]["best_dev_accuracy"] == m["per_width"]["32"]["best_dev_accuracy"]
    assert set(depth.tables) == {"grid", "per_depth"}
    assert set(depth.figures) == {"best_curves", "train_accuracy_vs_depth"}

"""hw2526.q1.2b and hw2526.q1.2c run end to end with --quick on a Fashion-MNIST slice."""

from __future__ import annotations

import json

import pytest

from dlhw.experiments import get_experiment
from dlhw.experiments.base import RunContext
from dlhw.experiments.execute import execute
from dlhw.results import load_result


def _run(exp_id, out, data_dir, **options):
    ctx = RunContext(out_dir=out, data_dir=str(data_dir), quick=True, dataset="fashion-mnist",
                     progress=False, options=options)
    return execute(get_experiment(exp_id), ctx)


@pytest.mark.slow
def test_q1_2c_quick_grid_writes_the_contract(tmp_path, data_dir):
    out = tmp_path / "q12c"
    result = _run("hw2526.q1.2c", out, data_dir, lrs=[1e-2], l2s=[1e-5])
    stored = load_result(out)
    assert stored is not None and stored.experiment == "hw2526.q1.2c" and stored.quick
    m = stored.metrics
    assert set(m["best_config"]) == {"features", "lr", "l2"} and m["n_configs"] == 2
    table = stored.tables["grid"]
    dev = [row[table.columns.index("best_dev_accuracy")] for row in table.rows]
    assert table.highlight == [dev.index(max(dev))] and m["best_dev_accuracy"] == max(dev)
    test_col = [row[table.columns.index("test_accuracy_best")] for row in table.rows]
    assert sum(v is not None for v in test_col) == 1 and 0.3 < m["test_accuracy_best"] <= 1
    for name in ("best_curves",):
        assert (out / stored.figures[name]).is_file()
        assert (out / stored.figures[name]).with_suffix(".pdf").is_file()
    # test.json exists only for the best configuration
    tested = [p.parent.name for p in (out / "grid").glob("*/test.json")]
    assert len(tested) == 1 and json.loads((out / "grid" / tested[0] / "record.json").read_text())[
        "varied"] == m["best_config"]
    assert any("0.0001" in note for note in stored.notes)
    # rerunning resumes: nothing is trained again, the result is the same
    again = _run("hw2526.q1.2c", out, data_dir, lrs=[1e-2], l2s=[1e-5])
    assert again.metrics["dev_accuracy_by_config"] == result.metrics["dev_accuracy_by_config"]


@pytest.mark.slow
def test_q1_2b_quick_compares_maps_with_pixels(tmp_path, data_dir):
    out = tmp_path / "q12b"
    _run("hw2526.q1.2b", out, data_dir, maps=["pool4", "hog"])
    stored = load_result(out)
    per_map = stored.metrics["per_map"]
    assert list(per_map) == ["pixels", "pool4", "hog"]
    assert per_map["pixels"]["time_vs_pixels"] == 1.0 and per_map["pool4"]["n_features"] == 49
    assert all(v["seconds_per_epoch"] > 0 and 0 < v["best_dev_accuracy"] <= 1 for v in per_map.values())
    assert "Dalal" in " ".join(stored.metrics["feature_maps"]["hog"]["references"])
    assert stored.tables["features"].columns[0] == "features"
    assert (out / "features_table.md").is_file() and (out / "features_table.csv").is_file()

"""The grid runner: records, resume after failures and kill -9, jobs, groups, the table."""

from __future__ import annotations

import csv
import json

import pytest

from dlhw.errors import ConfigError
from dlhw.grid import GridError, GridRunner, GridSpec, SerialBackend, run_grid
from dlhw.testing.grid_toy import (
    FAIL_FILE,
    count_calls,
    evaluate_test,
    grouped,
    quadratic,
    score,
)

SPEC = GridSpec(base={"epochs": 3}, axes={"lr": (1e-4, 1e-3), "l2": (0.0, 1e-3)})


def _metrics(result):
    return {r["id"]: r["metrics"] for r in result.records}


def test_runs_every_config_and_writes_records(tmp_path):
    result = run_grid(SPEC, quadratic, tmp_path, jobs=1, progress=False)
    assert result.complete and len(result.records) == 4
    for r in result.records:
        folder = tmp_path / r["id"]
        assert json.loads((folder / "config.json").read_text())["params"] == r["params"]
        assert (folder / "record.json").is_file() and (folder / "history.json").is_file()
        assert r["metrics"]["best_dev_accuracy"] == pytest.approx(score(r["params"]))
    assert json.loads((tmp_path / "grid.json").read_text())["axes"]["lr"] == [1e-4, 1e-3]


def test_rerun_skips_finished_configs(tmp_path):
    run_grid(SPEC, quadratic, tmp_path, jobs=1, progress=False)
    again = GridRunner(tmp_path, fn=quadratic, jobs=1, progress=False)
    again.run(SPEC)
    assert again.dispatched == [] and set(count_calls(tmp_path).values()) == {1}


def test_resume_after_a_failure_reruns_only_the_failed_config(tmp_path):
    (tmp_path / FAIL_FILE).write_text("2 raise")
    with pytest.raises(GridError, match=r"1 of 4 configurations failed .*simulated failure"):
        run_grid(SPEC, quadratic, tmp_path, jobs=1, progress=False)
    failed_id = SPEC.expand()[2].id
    assert not (tmp_path / failed_id / "record.json").exists()
    assert sum(count_calls(tmp_path).values()) == 4  # fail late: the others still ran
    (tmp_path / FAIL_FILE).unlink()
    result = run_grid(SPEC, quadratic, tmp_path, jobs=1, progress=False)
    calls = count_calls(tmp_path)
    assert calls[failed_id] == 2 and sum(calls.values()) == 5  # only the failed one again
    assert result.complete


def test_fail_fast_starts_nothing_after_the_failure(tmp_path):
    (tmp_path / FAIL_FILE).write_text("1 raise")
    with pytest.raises(GridError):
        run_grid(SPEC, quadratic, tmp_path, jobs=1, progress=False, fail_fast=True)
    assert sum(count_calls(tmp_path).values()) == 2


def test_kill_9_mid_config_is_never_counted_as_finished(tmp_path):
    (tmp_path / FAIL_FILE).write_text("2 kill")
    with pytest.raises(GridError, match="BrokenProcessPool|terminated abruptly"):
        run_grid(SPEC, quadratic, tmp_path, jobs=2, progress=False)
    killed = SPEC.expand()[2].id
    assert (tmp_path / killed / "partial.txt").exists()
    assert not (tmp_path / killed / "record.json").exists()
    before = count_calls(tmp_path)
    (tmp_path / FAIL_FILE).unlink()
    result = run_grid(SPEC, quadratic, tmp_path, jobs=2, progress=False)
    after = count_calls(tmp_path)
    assert result.complete and after[killed] == before[killed] + 1
    finished_before = {i for i in before if i != killed and after[i] == before[i]}
    assert all(after[i] == 1 for i in finished_before)  # finished work was not redone


def test_jobs_2_equals_jobs_1(tmp_path):
    serial = run_grid(SPEC, quadratic, tmp_path / "a", jobs=1, progress=False)
    parallel = run_grid(SPEC, quadratic, tmp_path / "b", jobs=2, progress=True)
    assert _metrics(serial) == _metrics(parallel)
    assert [r["seed"] for r in serial.records] == [r["seed"] for r in parallel.records]
    assert len({r["seed"] for r in serial.records}) == 4  # independent children
    assert serial.table().rows == parallel.table().rows


def test_seeds_depend_on_the_grid_seed(tmp_path):
    a = run_grid(SPEC, quadratic, tmp_path / "a", jobs=1, progress=False, seed=0)
    b = run_grid(SPEC, quadratic, tmp_path / "b", jobs=1, progress=False, seed=1)
    assert [r["seed"] for r in a.records] != [r["seed"] for r in b.records]


def test_table_best_row_is_the_argmax_and_only_it_is_tested(tmp_path):
    spec = GridSpec(base={}, axes={"lr": (1e-4, 1e-2, 1e-3), "l2": (1e-3, 0.0)})
    result = run_grid(spec, quadratic, tmp_path, jobs=1, progress=False)
    values = [r["metrics"]["best_dev_accuracy"] for r in result.records]
    best = values.index(max(values))
    assert result.best_index() == best and result.best()["params"] == {"lr": 1e-3, "l2": 0.0}
    test = result.test_best(evaluate_test)
    assert result.test_best(evaluate_test) == test  # cached: test computed once
    assert (tmp_path / "tested.txt").read_text().split() == [result.best()["id"]]
    table = result.table(test=test)
    assert table.highlight == [best]
    assert table.columns == ["lr", "l2", "best_dev_accuracy", "test_accuracy"]
    assert [row[-1] is None for row in table.rows] == [i != best for i in range(6)]
    csv_path, md_path = result.write_table(tmp_path / "table", table)
    rows = list(csv.DictReader(csv_path.open()))
    assert [r["best"] for r in rows] == ["1" if i == best else "0" for i in range(6)]
    assert max(rows, key=lambda r: float(r["best_dev_accuracy"]))["best"] == "1"
    md = md_path.read_text().splitlines()
    assert md[2 + best].startswith("| **") and sum("**" in line for line in md) == 1


def test_min_mode_and_nan_never_wins(tmp_path):
    result = run_grid(SPEC, quadratic, tmp_path, jobs=1, progress=False, mode="min")
    values = [r["metrics"]["best_dev_accuracy"] for r in result.records]
    assert result.best_index() == values.index(min(values))
    result.records[result.best_index()]["metrics"]["best_dev_accuracy"] = float("nan")
    assert result.best_index() != values.index(min(values))


def test_groups_run_together_and_resume_per_member(tmp_path):
    spec = GridSpec(base={}, axes={"l2": (0.0, 1e-3), "lr": (1e-4, 1e-3, 1e-2)})
    first = spec.expand()[0]
    run_grid(GridSpec(base={}, axes={"l2": (0.0,), "lr": (1e-4,)}), quadratic, tmp_path,
             jobs=1, progress=False)  # finishes member 0 alone (same id: same params)
    runner = GridRunner(tmp_path, group_fn=grouped, group_by=lambda p: p["l2"],
                        backend=SerialBackend(), progress=False)
    result = runner.run(spec)
    assert result.complete and count_calls(tmp_path)[first.id] == 1
    groups = (tmp_path / "groups.txt").read_text().splitlines()
    assert groups == ["1 2", "3 4 5"]
    one_group = GridRunner(tmp_path, group_fn=grouped, group_by=lambda p: 0, max_group=4,
                           progress=False)
    assert [len(t.members) for t in one_group.tasks(one_group.members(spec))] == [4, 2]
    default = GridRunner(tmp_path, group_fn=grouped, progress=False)  # groups of one
    assert [len(t.members) for t in default.tasks(default.members(spec))] == [1] * 6


def test_runner_options_are_checked(tmp_path):
    with pytest.raises(ConfigError, match="exactly one of fn"):
        GridRunner(tmp_path)
    with pytest.raises(ConfigError, match="group_by needs group_fn"):
        GridRunner(tmp_path, fn=quadratic, group_by=lambda p: 0)
    with pytest.raises(ConfigError, match="mode"):
        GridRunner(tmp_path, fn=quadratic, mode="best")
    with pytest.raises(ConfigError, match="jobs"):
        run_grid(SPEC, quadratic, tmp_path, jobs=-2, progress=False)


def test_missing_metric_is_a_clear_error(tmp_path):
    result = run_grid(SPEC, quadratic, tmp_path, jobs=1, progress=False, metric="dev_acc")
    with pytest.raises(ConfigError, match="no metric 'dev_acc'"):
        result.best()

"""Atomic writes and pickle-free loading."""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.errors import CheckpointError
from dlhw.io import atomic_write_text, load_json, load_npz, save_json, save_npz
from dlhw.results import ExperimentResult, Table, load_result, save_result


def test_npz_roundtrip_and_sidecar(tmp_path):
    arrays = {"W": np.arange(6.0).reshape(2, 3), "b": np.zeros(2)}
    save_npz(tmp_path / "ck.npz", arrays, meta={"epoch": 3})
    back = load_npz(tmp_path / "ck.npz")
    assert set(back) == {"W", "b"}
    np.testing.assert_array_equal(back["W"], arrays["W"])
    assert load_json(tmp_path / "ck.json") == {"epoch": 3}


def test_object_arrays_are_refused(tmp_path):
    np.savez(tmp_path / "evil.npz", x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(CheckpointError, match="corrupt or not an .npz"):
        load_npz(tmp_path / "evil.npz")


def test_corrupt_and_missing(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="bad.npz is corrupt"):
        load_npz(tmp_path / "bad.npz")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_npz(tmp_path / "none.npz")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_json(tmp_path / "bad.json")


def test_atomic_write_leaves_no_temp_and_replaces(tmp_path):
    atomic_write_text(tmp_path / "a.txt", "one")
    atomic_write_text(tmp_path / "a.txt", "two")
    assert (tmp_path / "a.txt").read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_failed_write_keeps_the_old_file(tmp_path):
    save_json(tmp_path / "r.json", {"ok": 1})
    with pytest.raises(TypeError):
        save_json(tmp_path / "r.json", {"bad": object()})
    assert load_json(tmp_path / "r.json") == {"ok": 1}
    assert len(list(tmp_path.iterdir())) == 1


def test_result_roundtrip(tmp_path):
    res = ExperimentResult(experiment="x.q1", title="t", dataset="ames", seed=3,
                           metrics={"test_rmse": np.float64(0.5)}, key_metric="test_rmse",
                           tables={"grid": Table(["a", "b"], [[1, 2], [3, 4]], highlight=[1])})
    save_result(tmp_path, res)
    back = load_result(tmp_path)
    assert back.metrics["test_rmse"] == 0.5 and back.tables["grid"].highlight == [1]
    assert back.meta["dlhw_version"] and "cores" in back.meta["machine"]
    assert load_result(tmp_path / "nothing") is None

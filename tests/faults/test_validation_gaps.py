"""Fault 5: bad options and files are refused up front with one clear line."""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.cli import main
from dlhw.errors import CheckpointError, ConfigError, DataError


def _err(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err, err
    return err


def test_negative_seed_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "hw2122.q3.1a", "--seed", "-1"])
    assert exit_.value.code == 2 and "is not a seed" in _err(capsys)


@pytest.mark.parametrize("device", ["tpu", "cuda:x"])
def test_bad_device_is_refused_before_any_data(tmp_path, capsys, device):
    # the data folder does not exist either: the device is checked first, before any loading
    status = main(["run", "hw2122.q3.1a", "--device", device, "--out", str(tmp_path / "o")])
    err = _err(capsys)
    assert status == 2 and "--device" in err and err.count("\n") == 0
    assert not (tmp_path / "o").exists()


def test_learning_rate_beyond_float32_is_refused():
    from dlhw.nets import NetConfig

    with pytest.raises(ConfigError, match="lr must be at most 3.4e\\+38"):
        NetConfig(model="mlp", lr=1e39)


def test_save_path_into_a_missing_folder_is_refused_before_training(tmp_path, capsys):
    from dlhw.cli_homework import main_2526

    status = main_2526("perceptron", ["--save-path", str(tmp_path / "nope" / "best.npz"),
                                      "--epochs", "1"])
    err = _err(capsys)
    assert status == 2 and "does not exist; create it first" in err
    assert not (tmp_path / "runs").exists()


def test_missing_data_dir_is_not_silently_replaced_by_the_environment(tmp_path, monkeypatch):
    from dlhw.data import find

    monkeypatch.setenv("DLHW_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError, match="--data-dir .*does not exist"):
        find("fashion-mnist", tmp_path / "typo")


def _emnist(folder, **override):
    rng = np.random.default_rng(0)
    arrays = {}
    for s, n in (("train", 30), ("valid", 10), ("test", 10)):
        arrays[f"X_{s}"] = rng.integers(0, 256, size=(n, 784)).astype(np.uint8)
        arrays[f"y_{s}"] = rng.integers(1, 27, size=n)
    arrays.update(override)
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "emnist-letters.npz", **arrays)
    return folder


@pytest.mark.parametrize(("override", "message"), [
    ({"y_train": np.full(30, 1.5)}, "non-integer float64"),
    ({"y_train": np.array(["a"] * 30)}, "text values"),
    ({"X_train": np.full((30, 784), 300, dtype=np.uint16)}, "pixel values in \\[300, 300\\]"),
    ({"X_valid": np.zeros((0, 784), np.uint8), "y_valid": np.zeros(0, np.int64)}, "valid split is empty"),
    ({k: np.zeros((0, 784) if k[0] == "X" else 0, np.uint8 if k[0] == "X" else np.int64)
      for k in ("X_train", "y_train", "X_valid", "y_valid", "X_test", "y_test")}, "split is empty"),
    ({"y_test": np.arange(10) % 26}, "different label bases \\(train 1..26, valid \\d+..\\d+, test 0..9\\)"),
])
def test_emnist_file_anomalies_are_one_line(tmp_path, monkeypatch, override, message):
    from dlhw.data import load

    monkeypatch.delenv("DLHW_DATA_DIR", raising=False)
    monkeypatch.setenv("DLHW_CACHE_DIR", str(tmp_path / "cache"))
    folder = _emnist(tmp_path / "d", **override)
    with pytest.raises(DataError, match=message):
        load("emnist-letters", data_dir=folder)


def test_good_emnist_file_still_loads(tmp_path, monkeypatch):
    from dlhw.data import load

    monkeypatch.setenv("DLHW_CACHE_DIR", str(tmp_path / "cache"))
    ds = load("emnist-letters", data_dir=_emnist(tmp_path / "d"))
    assert ds.train[1].min() >= 0 and ds.train[1].max() <= 25 and ds.train[0].max() < 1


def test_non_numeric_metric_is_not_printed_into_the_report(tmp_path):
    from dlhw.report.build import load_sources
    from dlhw.results import ExperimentResult, save_result

    save_result(tmp_path / "hw2122.q3.1a" / "seed0", ExperimentResult(
        experiment="hw2122.q3.1a", title="t", dataset="fashion-mnist", seed=0,
        metrics={"test_accuracy_final": "0.99 (trust me)"}, key_metric="test_accuracy_final"))
    src = load_sources(tmp_path, tmp_path / "rep")
    assert src.results["hw2122.q3.1a"] is None
    assert "metric test_accuracy_final is '0.99 (trust me)', not a number" in src.problems["hw2122.q3.1a"]


def test_grid_record_of_another_configuration_is_refused(tmp_path):
    from dlhw.grid.store import GridStore
    from dlhw.io import save_json

    save_json(tmp_path / "cfg-a" / "record.json", {"id": "cfg-b", "metrics": {}})
    with pytest.raises(CheckpointError, match="is the record of 'cfg-b', not of 'cfg-a'"):
        GridStore(tmp_path).read_record("cfg-a")


def test_collapse_to_chance_accuracy_is_flagged(tmp_path):
    """An MLP at lr 10 collapses to chance without NaN: the result and the report say so."""
    from dlhw.experiments.base import Experiment, RunOptions
    from dlhw.experiments.execute import execute
    from dlhw.report.assemble import run_blocks
    from dlhw.report.build import load_sources
    from dlhw.results import ExperimentResult

    def collapsed(ctx):
        return ExperimentResult(experiment="hw2122.q3.2b", title="MLP", dataset="fashion-mnist",
                                seed=0, metrics={"test_accuracy": 0.1}, key_metric="test_accuracy")

    res = execute(Experiment("hw2122.q3.2b", "MLP", "hw2122", collapsed),
                  RunOptions(runs_dir=tmp_path).context("hw2122.q3.2b"))
    assert res.metrics["at_chance_level"] is True and "chance level (1/10" in res.notes[-1]
    src = load_sources(tmp_path, tmp_path / "rep")
    shown = " ".join(getattr(b, "text", "") for b in run_blocks(
        "hw2122.q3.2b", {"metrics": [], "tables": [], "figures": []}, src, first=True))
    assert "chance level" in shown


def test_empty_validation_split_is_a_data_error_not_a_learning_rate_hint(tmp_path):
    from dataclasses import replace

    from fault_helpers import blobs

    from dlhw.scratch import Perceptron
    from dlhw.training.protocol import train
    from dlhw.training.torch_loop import train_torch

    ds = blobs()
    empty = replace(ds, dev=(ds.dev[0][:0], ds.dev[1][:0]))
    with pytest.raises(DataError, match="the dev split of blobs is empty"):
        train(Perceptron(3, 6), empty, epochs=1, out_dir=tmp_path / "n")
    with pytest.raises(DataError, match="the dev split of blobs is empty"):
        train_torch({"model": "logistic_regression", "epochs": 1}, empty, out_dir=tmp_path / "t")

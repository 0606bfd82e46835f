"""``dlhw export tensorboard``: event files read back with TensorBoard's own EventAccumulator."""

from __future__ import annotations

import csv

import pytest

from dlhw.cli import main
from dlhw.grid import GridSpec, run_grid
from dlhw.training.history import History

event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator",
    reason="tensorboard is not installed (pip install 'dlhw[tensorboard]'); the export is untested here")

SPEC = GridSpec(base={"epochs": 3}, axes={"lr": (0.001, 0.01), "optimizer": ("sgd", "adam")})


def _curve(lr: float, epoch: int) -> float:
    return round(1.0 / (1 + lr * 100 * epoch), 6)


def toy_work(member):
    """Three epochs of made-up metrics, saved the way the training loops save them."""
    h = History()
    for e in range(1, 4):
        h.append(train_loss=_curve(member.params["lr"], e), dev_accuracy=0.5 + 0.01 * e)
    h.save(member.run_dir)
    return {"best_dev_accuracy": h.best_value, "best_epoch": h.best_epoch, "model": "toy"}


def _load(folder):
    acc = event_accumulator.EventAccumulator(str(folder))
    acc.Reload()
    return acc


def test_export_writes_scalars_and_the_grid_hparams(tmp_path, capsys):
    runs = tmp_path / "runs"
    result = run_grid(SPEC, toy_work, runs / "sweep" / "grid", jobs=1, progress=False)
    single = History()
    for e in range(1, 3):
        single.append(train_loss=2.0 / e, dev_accuracy=0.4 * e, **({"train_accuracy": 0.9} if e == 2 else {}))
    single.save(runs / "hw2122.q3.1b")
    out = tmp_path / "tb"
    assert main(["export", "tensorboard", str(runs), "--out", str(out)]) == 0
    assert "wrote 5 runs (1 grids with an hparams view)" in capsys.readouterr().out

    solo = _load(out / "runs" / "hw2122.q3.1b")
    assert [(s.step, s.value) for s in solo.Scalars("train_loss")] == [(1, 2.0), (2, 1.0)]
    assert [s.value for s in solo.Scalars("dev_accuracy")] == pytest.approx([0.4, 0.8])
    # a metric measured from the last epoch only (an ensemble's final training accuracy) sits there
    assert [(s.step, s.value) for s in solo.Scalars("train_accuracy")] == [(2, pytest.approx(0.9))]

    from tensorboard.plugins.hparams import plugin_data_pb2

    for record in result.records:
        trial = _load(out / "runs" / "sweep" / "grid" / record["id"])
        lr = record["params"]["lr"]
        curve = [_curve(lr, e) for e in (1, 2, 3)]
        assert [s.value for s in trial.Scalars("train_loss")] == pytest.approx(curve)
        assert trial.Scalars("hparams/best_dev_accuracy")[0].value == pytest.approx(0.53)
        content = trial.PluginTagToContent("hparams")["_hparams_/session_start_info"]
        start = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
        assert start.hparams["lr"].number_value == lr
        assert start.hparams["optimizer"].string_value == record["params"]["optimizer"]
    experiment = _load(out / "runs" / "sweep" / "grid").PluginTagToContent("hparams")["_hparams_/experiment"]
    info = plugin_data_pb2.HParamsPluginData.FromString(experiment).experiment
    assert {h.name for h in info.hparam_infos} == {"lr", "optimizer", "seed"}
    assert {m.name.tag for m in info.metric_infos} == {"hparams/best_dev_accuracy", "hparams/best_epoch"}

    # exporting again replaces the event files: one file per run, no doubled curves
    assert main(["export", "tensorboard", str(runs), "--out", str(out)]) == 0
    assert len(list((out / "runs" / "hw2122.q3.1b").glob("events.out.tfevents.*"))) == 1
    assert len(_load(out / "runs" / "hw2122.q3.1b").Scalars("train_loss")) == 2


def test_metrics_csv_beside_history_json(tmp_path):
    h = History()
    h.append(train_loss=0.5, dev_accuracy=0.75)
    h.append(train_loss=0.25, dev_accuracy=0.8, epoch_seconds=1.5)
    h.save(tmp_path)
    with open(tmp_path / "metrics.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["epoch", "step", "train_loss", "dev_accuracy", "epoch_seconds"]
    assert rows == [{"epoch": "1", "step": "1", "train_loss": "0.5", "dev_accuracy": "0.75",
                     "epoch_seconds": ""},
                    {"epoch": "2", "step": "2", "train_loss": "0.25", "dev_accuracy": "0.8",
                     "epoch_seconds": "1.5"}]
    assert History.load(tmp_path).metrics["train_loss"] == [0.5, 0.25]


def test_export_errors_are_one_line(tmp_path, capsys):
    assert main(["export", "tensorboard", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["export", "tensorboard", str(tmp_path), "--out", str(tmp_path / "tb")]) == 2
    assert "no history.json under" in capsys.readouterr().err

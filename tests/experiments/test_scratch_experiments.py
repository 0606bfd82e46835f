"""Every scratch experiment runs with --quick and writes the contract's metrics and figures;
the homework command lines print what the skeletons print."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dlhw.cli import main
from dlhw.cli_homework import data_dir_of, main_2526, main_q2, main_q3
from dlhw.results import load_result
from dlhw.training.checkpoint import model_from_checkpoint

CLASSIFIER_METRICS = {"test_accuracy_final", "test_accuracy_best", "best_dev_accuracy", "best_epoch",
                      "epochs", "final_train_accuracy", "final_dev_accuracy", "seconds_per_epoch",
                      "compile_seconds"}
SEED_METRICS = {"per_seed", "seeds", "headline_seed", "test_rmse_median", "test_rmse_min", "test_rmse_max"}
REGRESSION_METRICS = {"train_rmse", "test_rmse", "best_test_rmse", "best_epoch", "epochs",
                      "seconds_per_epoch", "compile_seconds"} | SEED_METRICS
ANALYTIC_METRICS = {"analytic_train_rmse", "analytic_test_rmse", "final_distance_to_analytic",
                    "initial_distance_to_analytic"}

CASES = {
    "hw2122.q2.2a": (REGRESSION_METRICS | ANALYTIC_METRICS, {"rmse", "distance"}, "ames"),
    "hw2122.q2.2b": (REGRESSION_METRICS | {"train_target_std", "active_hidden_fraction_train", "collapsed",
                                           "collapsed_runs", "test_rmse_median_healthy"}, {"rmse"}, "ames"),
    "hw2122.q3.1a": (CLASSIFIER_METRICS, {"accuracy"}, "fashion-mnist"),
    "hw2122.q3.1b": (CLASSIFIER_METRICS | {"final_train_loss"}, {"accuracy", "loss"}, "fashion-mnist"),
    "hw2122.q3.2b": (CLASSIFIER_METRICS | {"final_train_loss"}, {"accuracy", "loss"}, "fashion-mnist"),
    "hw2526.q1.1": (CLASSIFIER_METRICS, {"accuracy"}, "fashion-mnist"),
    "hw2526.q1.2a": (CLASSIFIER_METRICS | {"final_train_loss"}, {"accuracy", "loss"}, "fashion-mnist"),
    "hw2526.q1.3": (CLASSIFIER_METRICS | {"final_train_loss"}, {"accuracy", "loss"}, "fashion-mnist"),
}


@pytest.mark.slow
@pytest.mark.parametrize("exp_id", sorted(CASES))
def test_quick_run_writes_the_contract(exp_id, data_dir, tmp_path):
    metrics, figures, dataset = CASES[exp_id]
    args = ["run", exp_id, "--quick", "--no-progress", "--data-dir", str(data_dir), "--out", str(tmp_path)]
    if exp_id.startswith("hw2526"):
        args += ["--dataset", "fashion-mnist"]  # EMNIST Letters is not in the offline data
    if exp_id == "hw2526.q1.2a":  # options override the text's defaults
        args += ["--learning-rate", "0.01", "--l2-penalty", "0.001"]
    assert main(args) == 0
    result = load_result(tmp_path)
    if exp_id == "hw2526.q1.2a":
        assert result.config["learning_rate"] == 0.01 and result.config["l2"] == 0.001
    assert result.experiment == exp_id and result.dataset == dataset and result.quick
    assert metrics <= set(result.metrics), metrics - set(result.metrics)
    assert result.metrics["epochs"] == 2
    assert set(result.figures) == figures
    for name in figures:
        assert (tmp_path / f"{name}.png").stat().st_size > 0 and (tmp_path / f"{name}.pdf").exists()
    assert (tmp_path / "best.npz").exists() and (tmp_path / "history.json").exists()
    key = result.metrics[result.key_metric]
    assert (0.3 < key <= 1.0) if result.key_metric.startswith("test_accuracy") else (0 < key < 100)
    if "test_accuracy_final" in metrics:  # the headline is the test accuracy the text asks for
        assert result.key_metric == {"hw2122": "test_accuracy_final",
                                     "hw2526": "test_accuracy_best"}[exp_id[:6]]
        assert "test_accuracy" not in result.metrics
    if "per_seed" in metrics:  # the seed study: 5 seeds incl. the skeleton's 42 and the headline 0
        assert result.metrics["seeds"] == [0, 1, 2, 3, 42] and result.metrics["headline_seed"] == 0
        assert result.tables["seeds"].highlight == [0]
        assert result.metrics["per_seed"]["0"]["test_rmse"] == result.metrics["test_rmse"]


def test_hw2526_defaults_to_emnist(tmp_path):
    from dlhw.experiments import get_experiment
    from dlhw.experiments.base import RunContext
    from dlhw.experiments.hw2526.q1_linear import pick_dataset

    assert pick_dataset(RunContext(out_dir=tmp_path)) == "emnist-letters"
    assert get_experiment("hw2526.q1.3").datasets[0] == "emnist-letters"


# ---- the homework command lines ------------------------------------------------------------
REPO = Path(__file__).resolve().parents[2]


def _shim(script: str, *args: str, cwd: Path, data_dir: Path) -> subprocess.CompletedProcess:
    """Run a root-level homework script as a user would; data found through DLHW_DATA_DIR only."""
    env = {**os.environ, "DLHW_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, str(REPO / script), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_hw1_q3_prints_the_skeletons_lines(data_dir, tmp_path):
    proc = _shim("hw1-q3.py", "perceptron", "-epochs", "2", "-quick", cwd=tmp_path, data_dir=data_dir)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Training epoch 1" in out and "Training epoch 2" in out
    assert re.search(r"val acc: 0\.\d{4} \| test acc: 0\.\d{4}", out)
    final = re.search(r"Final test acc: (0\.\d{4})", out).group(1)
    best = re.search(r"Best checkpoint \(epoch \d+\): val acc 0\.\d{4} \| test acc (0\.\d{4})", out).group(1)
    (run,) = (tmp_path / "runs" / "hw2122.q3.1a").glob("seed42-quick-*")  # the skeleton's seed 42
    result = load_result(run)
    assert result.experiment == "hw2122.q3.1a"
    assert final == f"{result.metrics['test_accuracy_final']:.4f}"
    assert best == f"{result.metrics['test_accuracy_best']:.4f}"
    assert result.config["learning_rate"] == 1.0  # the text's perceptron: no learning rate


@pytest.mark.slow
def test_hw1_perceptron_writes_checkpoint_plot_and_scores(data_dir, tmp_path):
    proc = _shim("hw1-perceptron.py", "--dataset", "fashion-mnist", "--quick", "--epochs", "2",
                 "--save-path", "best.npz", "--accuracy-plot", "accs.png", cwd=tmp_path, data_dir=data_dir)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"train acc: 0\.\d{4} \| val acc: 0\.\d{4}", proc.stdout)
    test_acc = float(re.search(r"Best model test acc: (0\.\d{4})", proc.stdout).group(1))
    scores = json.loads((tmp_path / "Q1-perceptron-scores.json").read_text())
    assert set(scores) == {"best_valid", "selected_epoch", "test", "time"}
    assert round(scores["test"], 4) == test_acc
    model, _ = model_from_checkpoint(tmp_path / "best.npz")
    assert (tmp_path / "accs.png").stat().st_size > 0 and model.n_classes == 10


@pytest.mark.slow
def test_hw1_mlp_front(data_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLHW_DATA_DIR", str(data_dir))
    assert main_2526("mlp", ["--dataset", "fashion-mnist", "--quick", "--epochs", "1",
                             "--hidden-size", "16"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"train loss: \d+\.\d{4} \| train acc: 0\.\d{4}", out)
    assert "Best model test acc" in out
    assert (tmp_path / "Q1-mlp-scores.json").exists() and (tmp_path / "Q1-mlp-loss.pdf").exists()


@pytest.mark.slow
def test_hw1_q2_both_models(data_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLHW_DATA_DIR", str(data_dir))
    assert main_q2(["linear_regression", "-epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "Epoch 2... " in out and re.search(r"Loss - train: \d\.\d{3} \| test: \d\.\d{3}", out)
    assert "Analytic solution - train" in out
    assert main_q2(["nn", "-epochs", "1", "-hidden_size", "8"]) == 0
    assert "Epoch 1... " in capsys.readouterr().out


def test_homework_errors_are_one_line(tmp_path, capsys):
    assert main_q3(["mlp", "-layers", "2", "-out_dir", str(tmp_path)]) == 2
    assert "-layers must be 1" in capsys.readouterr().err
    assert data_dir_of(str(tmp_path / "absent.npz")) is None
    (tmp_path / "ames.npz").write_bytes(b"")
    assert data_dir_of(str(tmp_path / "ames.npz")) == str(tmp_path)

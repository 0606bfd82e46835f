"""The numpy homework command lines (hw1-q2.py, hw1-q3.py, hw1-perceptron.py, hw1-mlp.py, ...) print
what the skeletons print and write what they write."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dlhw.cli_homework import data_dir_of, main_2526, main_q2, main_q3
from dlhw.results import load_result
from dlhw.training.checkpoint import model_from_checkpoint

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
    assert "Seeds" not in out  # one seed, as the skeleton
    (run,) = (tmp_path / "runs" / "hw2122.q2.2a").glob("seed42-*")
    assert set(load_result(run).metrics["per_seed"]) == {"42"}
    assert main_q2(["nn", "-epochs", "1", "-hidden_size", "8", "-seeds", "3", "42"]) == 0
    out = capsys.readouterr().out
    assert "Epoch 1... " in out
    line = re.search(r"Seeds 3, 42 \(this run: seed 42\): test RMSE median (\d\.\d{3})", out)
    (run,) = (tmp_path / "runs" / "hw2122.q2.2b").glob("seed42-*")
    m = load_result(run).metrics
    assert set(m["per_seed"]) == {"3", "42"} and line.group(1) == f"{m['test_rmse_median']:.3f}"


def test_homework_errors_are_one_line(tmp_path, capsys):
    assert main_q3(["mlp", "-layers", "2", "-out_dir", str(tmp_path)]) == 2
    assert "-layers must be 1" in capsys.readouterr().err
    assert data_dir_of(str(tmp_path / "absent.npz")) is None
    (tmp_path / "ames.npz").write_bytes(b"")
    assert data_dir_of(str(tmp_path / "ames.npz")) == str(tmp_path)

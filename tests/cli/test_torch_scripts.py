"""hw1-ffn.py and hw1-q4.py: the skeletons' flags, per-epoch lines, test accuracy, plots, errors."""

from __future__ import annotations

import re

from dlhw.cli_torch import main_ffn, main_q4


def test_hw1_q4_mlp_prints_epochs_and_test_accuracy(tmp_path, data_dir, capsys):
    args = ["mlp", "-quick", "-epochs", "2", "-hidden_sizes", "16", "-layers", "2", "-batch_size", "8",
            "-data_path", str(data_dir), "-out_dir", str(tmp_path), "-no_progress"]
    assert main_q4(args) == 0
    out = capsys.readouterr().out
    assert "mlp-h16x2-relu-d0.3-sgd-lr0.01-l20-b8-e2" in out
    assert len(re.findall(r"Training loss: [\d.]+ \| train acc: [\d.]+ \| valid loss", out)) == 2
    assert 0.3 < float(re.search(r"Final test acc: ([\d.]+)", out).group(1)) <= 1
    assert (tmp_path / "loss.png").exists() and (tmp_path / "accuracy.pdf").exists()
    # "Final test acc" is the model after the last epoch (last.npz), as in the skeleton; the best
    # checkpoint's is the extra line
    import json

    from dlhw.data import load
    from dlhw.experiments.base import QUICK_EVAL_ROWS, QUICK_TRAIN_ROWS
    from dlhw.training.torch_loop import test_best

    ds = load("fashion-mnist", data_dir=str(data_dir), dtype="float32").subset(QUICK_TRAIN_ROWS,
                                                                               QUICK_EVAL_ROWS)
    scores = test_best(tmp_path, ds)
    assert f"Final test acc: {scores['test_accuracy_final']:.4f}" in out
    best_epoch = json.loads((tmp_path / "best.json").read_text())["meta"]["epoch"]
    assert f"Best checkpoint (epoch {best_epoch}): valid acc" in out
    assert f"test acc {scores['test_accuracy']:.4f}" in out
    assert main_q4(args) == 0  # finished: reused, same numbers printed again
    again = capsys.readouterr().out
    assert "finished run found" in again
    assert re.search(r"Final test acc: [\d.]+", again).group(0) in out


def test_hw1_ffn_fashion_and_clear_errors(tmp_path, data_dir, capsys):
    args = ["-dataset", "fashion-mnist", "-quick", "-epochs", "1", "-data_path", str(data_dir),
            "-out_dir", str(tmp_path / "ffn"), "-no_progress", "-optimizer", "adam"]
    assert main_ffn(args) == 0
    assert "mlp-h32x1-relu-d0-adam-lr0.001-l20-b64-e1" in capsys.readouterr().out
    assert main_ffn(args[:-2] + ["-dropout", "1.5"]) == 2
    assert "dropout must be in [0, 1)" in capsys.readouterr().err

"""The training protocol: determinism, resume, divergence, best checkpoint, outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from dlhw.errors import CheckpointError, ConfigError, DivergenceError
from dlhw.scratch import MLP, LinearRegression, LogisticRegression, Perceptron
from dlhw.testing.toydata import blobs
from dlhw.training.checkpoint import model_from_checkpoint
from dlhw.training.history import History
from dlhw.training.protocol import epoch_order, train

REPO = Path(__file__).resolve().parents[2]


def _no_time(history: History) -> dict:
    return {k: v for k, v in history.metrics.items() if not k.endswith("seconds")}


def _run(toy, out, epochs=4, seed=3, **kw):
    model = MLP(toy.n_classes, toy.n_features, 5, seed=seed)
    return model, train(model, toy, epochs=epochs, learning_rate=0.05, seed=seed, out_dir=out, **kw)


def test_same_seed_same_history_bit_for_bit(toy, tmp_path):
    m1, r1 = _run(toy, tmp_path / "a")
    m2, r2 = _run(toy, tmp_path / "b")
    assert _no_time(r1.history) == _no_time(r2.history)
    assert r1.test_metrics == r2.test_metrics
    for k, v in m1.state_dict().items():
        np.testing.assert_array_equal(v, m2.state_dict()[k])
    _, r3 = _run(toy, tmp_path / "c", seed=4)
    assert _no_time(r3.history) != _no_time(r1.history)


def test_epoch_orders_are_permutations_from_seed_and_epoch():
    a = epoch_order(0, 1, 50)
    np.testing.assert_array_equal(np.sort(a), np.arange(50))
    np.testing.assert_array_equal(a, epoch_order(0, 1, 50))
    assert not np.array_equal(a, epoch_order(0, 2, 50))
    assert not np.array_equal(a, epoch_order(1, 1, 50))


def test_resume_after_interruption_is_bit_identical(toy, tmp_path):
    _, full = _run(toy, tmp_path / "full", epochs=5)

    def stop(epoch, values):
        if epoch == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(toy, tmp_path / "cut", epochs=5, on_epoch=stop)
    model, resumed = _run(toy, tmp_path / "cut", epochs=5)  # a fresh model: weights come from disk
    assert resumed.resumed_epochs == 3
    assert _no_time(resumed.history) == _no_time(full.history)
    assert resumed.test_metrics == full.test_metrics
    best_full, _ = model_from_checkpoint(full.best_path)
    for k, v in best_full.state_dict().items():
        np.testing.assert_array_equal(v, model.state_dict()[k])


def _assert_same_checkpoints(a: Path, b: Path) -> None:
    """``best.npz`` and ``last.npz`` of two run folders: the same epochs, the same weights bit for bit."""
    for name in ("best.npz", "last.npz"):
        ma, meta_a = model_from_checkpoint(a / name)
        mb, meta_b = model_from_checkpoint(b / name)
        assert meta_a["epoch"] == meta_b["epoch"]
        for k, v in ma.state_dict().items():
            np.testing.assert_array_equal(v, mb.state_dict()[k])


def _logistic_run(out, on_epoch=None, checkpoint_seconds=2.0):
    return train(LogisticRegression(3, 6), blobs(0), epochs=4, learning_rate=0.1, seed=1,
                 out_dir=out, on_epoch=on_epoch, checkpoint_seconds=checkpoint_seconds)


@pytest.mark.parametrize("every, on_disk", [(0.0, 2), (3600.0, 0)])
def test_resume_after_kill_9(tmp_path, every, on_disk):
    """A process killed with SIGKILL mid-run resumes from its last *written* epoch: every epoch
    with ``checkpoint_seconds=0``, none of the first two when the writes are an hour apart (a
    kill -9 skips the flush that Ctrl-C gets); either way the results equal an uninterrupted run."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_protocol import _logistic_run
        def kill(epoch, values):
            if epoch == 2:
                os.kill(os.getpid(), signal.SIGKILL)
        _logistic_run({str(tmp_path / "killed")!r}, kill, checkpoint_seconds={every!r})
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.run([sys.executable, "-c", script], env=env, timeout=120)
    assert proc.returncode == -9
    if on_disk:
        assert History.load(tmp_path / "killed").epochs == on_disk
    else:
        assert not (tmp_path / "killed" / "last.npz").exists()
    resumed, full = _logistic_run(tmp_path / "killed"), _logistic_run(tmp_path / "full")
    assert resumed.resumed_epochs == on_disk
    assert _no_time(resumed.history) == _no_time(full.history)
    assert resumed.test_metrics == full.test_metrics


def test_epoch_files_are_written_at_most_every_checkpoint_seconds(toy, tmp_path, monkeypatch):
    """Fast epochs do not each pay for fsynced writes: an hour apart, best and last are written
    once, after the last epoch, and hold that run's best and last weights."""
    from dlhw.training import protocol

    writes = []
    real = protocol.save_checkpoint
    monkeypatch.setattr(protocol, "save_checkpoint", lambda path, *a, **k: writes.append(Path(path).name)
                        or real(path, *a, **k))
    model, res = _run(toy, tmp_path / "slow", epochs=6, checkpoint_seconds=3600)
    assert writes == ["best.npz", "last.npz"]
    _, every = _run(toy, tmp_path / "every", epochs=6, checkpoint_seconds=0)
    assert writes.count("last.npz") == 1 + 6
    _assert_same_checkpoints(tmp_path / "slow", tmp_path / "every")
    assert _no_time(History.load(tmp_path / "slow")) == _no_time(History.load(tmp_path / "every"))
    with pytest.raises(ConfigError, match="checkpoint_seconds"):
        _run(toy, tmp_path / "bad", checkpoint_seconds=-1)


def test_divergence_names_epoch_and_learning_rate(toy_regression, tmp_path):
    with pytest.raises(DivergenceError, match=r"epoch 1 \(lr=1e\+06\)"):
        train(LinearRegression(toy_regression.n_features), toy_regression, epochs=3,
              learning_rate=1e6, out_dir=tmp_path)


def test_best_checkpoint_is_reloaded_for_test(toy, tmp_path):
    model, res = _run(toy, tmp_path, epochs=6)
    h = res.history
    assert h.best_epoch == int(np.argmax(h.metrics["dev_accuracy"])) + 1
    best, meta = model_from_checkpoint(res.best_path)
    assert meta["epoch"] == h.best_epoch
    assert res.test_metrics["test_accuracy"] == best.evaluate(*toy.test)
    saved = json.loads(res.history_path.read_text())
    assert saved["best_epoch"] == h.best_epoch
    for name in ("accuracy", "loss"):
        assert res.figures[name] == f"{name}.png"
        assert (tmp_path / f"{name}.png").stat().st_size > 0 and (tmp_path / f"{name}.pdf").exists()
    metrics = res.metrics()
    assert metrics["best_dev_accuracy"] == max(h.metrics["dev_accuracy"])
    assert metrics["final_train_loss"] == h.metrics["train_loss"][-1]


def test_regression_monitors_training_rmse(toy_regression, tmp_path):
    model = LinearRegression(toy_regression.n_features)
    res = train(model, toy_regression, epochs=4, learning_rate=0.01, out_dir=tmp_path)
    h = res.history
    assert h.monitor == "train_rmse" and h.mode == "min"
    assert set(h.metrics) >= {"train_loss", "train_rmse", "test_rmse"}
    assert h.best_epoch == int(np.argmin(h.metrics["train_rmse"])) + 1
    assert res.figures == {"rmse": "rmse.png"}
    m = res.metrics()
    assert m["best_test_rmse"] == min(h.metrics["test_rmse"]) and m["test_rmse"] == h.metrics["test_rmse"][-1]


def test_a_different_run_in_the_same_folder_is_refused(toy, tmp_path):
    _run(toy, tmp_path, epochs=2)
    with pytest.raises(CheckpointError, match="different run"):
        train(Perceptron(3, 6), toy, epochs=2, out_dir=tmp_path)
    res = train(Perceptron(3, 6), toy, epochs=2, out_dir=tmp_path, resume=False)
    assert res.resumed_epochs == 0
    with pytest.raises(CheckpointError, match="nothing was deleted"):  # "auto" never deletes either
        train(LogisticRegression(3, 6), toy, epochs=2, out_dir=tmp_path, resume="auto")
    assert train(Perceptron(3, 6), toy, epochs=2, out_dir=tmp_path, resume="auto").resumed_epochs == 2
    _run(toy, tmp_path / "x", epochs=3)
    with pytest.raises(CheckpointError, match="more than"):
        _run(toy, tmp_path / "x", epochs=2)


def test_track_test_and_monitor_checks(toy, tmp_path):
    res = train(LogisticRegression(3, 6), toy, epochs=2, learning_rate=0.1, out_dir=tmp_path,
                track_test=True)
    assert len(res.history.metrics["test_accuracy"]) == 2
    with pytest.raises(ConfigError, match="monitor"):
        train(LogisticRegression(3, 6), toy, epochs=1, out_dir=tmp_path / "m", monitor="val_accuracy")


def test_metrics_csv_lies_beside_history_json(toy, tmp_path):
    """One row per epoch, Lightning CSVLogger's columns first, the same numbers as history.json."""
    import csv

    _, res = _run(toy, tmp_path / "run", epochs=3)
    with open(tmp_path / "run" / "metrics.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"] and list(rows[0])[:2] == ["epoch", "step"]
    assert [float(r["dev_accuracy"]) for r in rows] == res.history.metrics["dev_accuracy"]
    assert [float(r["train_loss"]) for r in rows] == History.load(tmp_path / "run").metrics["train_loss"]


def test_test_false_never_touches_the_test_split(toy, tmp_path):
    """``test=False`` (a grid's members): the test split is not read, its scores are NaN."""
    from dataclasses import replace

    X_test, y_test = toy.test
    broken = replace(toy, test=(X_test[:, :1], y_test))  # would raise a ShapeError if scored
    res = train(LogisticRegression(3, X_test.shape[1]), broken, epochs=2, out_dir=tmp_path, test=False)
    m = res.metrics()
    assert np.isnan(m["test_accuracy_best"]) and np.isnan(m["test_accuracy_final"])
    assert not np.isnan(m["best_dev_accuracy"])
    assert "best_checkpoint_test" not in res.history.config


def test_final_and_best_test_accuracy_are_both_kept(toy, tmp_path):
    """test_accuracy_final scores the weights after the last epoch (last.npz), _best the
    reloaded best-validation checkpoint."""
    res = train(Perceptron(3, 6), toy, epochs=8, out_dir=tmp_path, track_test=True)
    m = res.metrics()
    final, _ = model_from_checkpoint(res.last_path)
    best, _ = model_from_checkpoint(res.best_path)
    assert m["test_accuracy_final"] == final.evaluate(*toy.test) == res.history.metrics["test_accuracy"][-1]
    assert m["test_accuracy_best"] == best.evaluate(*toy.test)
    assert m["test_accuracy_best"] == res.history.metrics["test_accuracy"][res.history.best_epoch - 1]
    assert "test_accuracy" not in m  # only the two unconfusable names


def test_compile_time_is_kept_out_of_the_epoch_seconds(toy, tmp_path, monkeypatch):
    """The warm-up pass is timed as compile_seconds; seconds_per_epoch is the median epoch."""
    from dlhw.training import protocol

    calls = []
    real = protocol.warm_up
    monkeypatch.setattr(protocol, "warm_up", lambda *a: calls.append(a[3]) or real(*a))
    _, res = _run(toy, tmp_path, epochs=3)
    m = res.metrics()
    assert calls == ["numba"] and m["compile_seconds"] >= 0.0
    assert m["seconds_per_epoch"] == float(np.median(res.history.metrics["epoch_seconds"]))
    # the warm-up trains a copy: the run equals one without it
    monkeypatch.setattr(protocol, "warm_up", lambda *a: 0.0)
    _, res2 = _run(toy, tmp_path / "b", epochs=3)
    assert _no_time(res2.history) == _no_time(res.history)
    assert real(Perceptron(3, 6), (*toy.train, None), 1.0, "numpy") == 0.0  # nothing to compile


def test_figure_time_is_recorded_apart(toy, tmp_path, monkeypatch):
    """``plot_seconds`` is the time of drawing the figures at the end (None when none are drawn)."""
    from dlhw.training import protocol

    real = protocol.plot_curves

    def slow(*args):
        import time

        time.sleep(0.2)
        return real(*args)

    monkeypatch.setattr(protocol, "plot_curves", slow)
    _, res = _run(toy, tmp_path / "a", epochs=2)
    assert 0.2 <= res.metrics()["plot_seconds"] < 60 and res.figures
    model = MLP(toy.n_classes, toy.n_features, 5, seed=3)
    res = train(model, toy, epochs=2, learning_rate=0.05, seed=3, out_dir=tmp_path / "b", plots=False)
    assert res.metrics()["plot_seconds"] is None and res.figures == {}


def test_scoring_beside_training_gives_the_in_line_numbers_in_order(toy, tmp_path, monkeypatch):
    """Epoch k is scored in a worker thread while epoch k + 1 trains (compiled kernels, 2+ cores):
    the same history, checkpoints and callbacks, in order, as scoring in line (one core)."""
    from dlhw.training import protocol

    threads, seen = [], []

    def hook(model, epoch):
        import threading

        threads.append((epoch, threading.current_thread().name))
        return {"w_norm": float(np.linalg.norm(model.W1))}

    def on_epoch(epoch, values):
        seen.append((epoch, values["dev_accuracy"], values["w_norm"]))

    monkeypatch.setattr(protocol.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(protocol, "OVERLAP_MIN_SECONDS", 0.0)  # the toy's scoring is quick
    m1, r1 = _run(toy, tmp_path / "beside", epochs=5, epoch_hook=hook, on_epoch=on_epoch)
    assert [e for e, _ in threads] == [1, 2, 3, 4, 5]
    assert threads[0][1] == "MainThread" and all(n.startswith("dlhw-eval") for _, n in threads[1:])
    beside, threads[:] = list(seen), []
    seen.clear()
    monkeypatch.setattr(protocol.os, "cpu_count", lambda: 1)
    m2, r2 = _run(toy, tmp_path / "inline", epochs=5, epoch_hook=hook, on_epoch=on_epoch)
    assert {n for _, n in threads} == {"MainThread"}
    assert seen == beside and [e for e, *_ in seen] == [1, 2, 3, 4, 5]
    assert _no_time(r1.history) == _no_time(r2.history) and r1.test_metrics == r2.test_metrics
    _assert_same_checkpoints(tmp_path / "beside", tmp_path / "inline")


def test_a_divergence_beside_scoring_keeps_the_scored_epoch(toy, tmp_path, monkeypatch):
    """Training that diverges at epoch 3 while epoch 2 is being scored: epoch 2 is recorded,
    on disk and said, before the error."""
    from dlhw.training import protocol

    monkeypatch.setattr(protocol.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(protocol, "OVERLAP_MIN_SECONDS", 0.0)
    model = MLP(toy.n_classes, toy.n_features, 5, seed=3)
    real, calls = model.train_epoch, []

    def diverging(*args, **kwargs):
        calls.append(1)
        loss = real(*args, **kwargs)
        return float("nan") if len(calls) == 4 else loss  # the warm-up pass is call 1

    model.train_epoch = diverging
    seen = []
    with pytest.raises(DivergenceError, match="epoch 3"):
        train(model, toy, epochs=5, learning_rate=0.05, seed=3, out_dir=tmp_path,
              on_epoch=lambda e, v: seen.append(e), checkpoint_seconds=3600)
    assert seen == [1, 2]
    assert History.load(tmp_path).epochs == 2
    _, meta = model_from_checkpoint(tmp_path / "last.npz")
    assert meta["epoch"] == 2


def test_quick_scoring_stays_in_line(toy, tmp_path, monkeypatch):
    """Scoring faster than OVERLAP_MIN_SECONDS is not handed to the worker thread."""
    import threading

    from dlhw.training import protocol

    monkeypatch.setattr(protocol.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(protocol, "OVERLAP_MIN_SECONDS", 3600.0)
    names = set()
    _run(toy, tmp_path, epochs=3, epoch_hook=lambda m, e: names.add(threading.current_thread().name) or {})
    assert names == {"MainThread"}


@pytest.mark.parametrize("kind", ["perceptron", "logistic_regression", "mlp"])
def test_pixel_rows_train_as_float_rows_and_never_make_floats(kind, data_dir, tmp_path):
    """A lazily loaded image data set (``load(..., lazy=True)``) gives the same run as the eager
    one, and the compiled classifiers never make its float rows (they read the pixels)."""
    from dlhw.data import load
    from dlhw.scratch import make_model

    runs, bias = {}, kind != "mlp"
    extra = {"hidden_size": 16, "seed": 0} if kind == "mlp" else {}
    for lazy in (False, True):
        data = load("fashion-mnist", data_dir=data_dir, bias=bias, lazy=lazy).subset(3000, 800)
        model = make_model(kind, n_classes=10, n_features=784 + bias, **extra)
        runs[lazy] = train(model, data, epochs=2, learning_rate=0.5, seed=1, out_dir=tmp_path / str(lazy))
        if lazy:
            assert all("array" not in vars(X) for X, _ in data.splits().values())
    assert _no_time(runs[True].history) == _no_time(runs[False].history)
    assert runs[True].test_metrics == runs[False].test_metrics
    _assert_same_checkpoints(tmp_path / "True", tmp_path / "False")


def test_blas_runs_on_one_thread_while_scoring_beside_training(toy, tmp_path, monkeypatch):
    """While epochs are scored beside training, BLAS uses one thread (a second one would run on
    the training's core); the process's own setting is back once the epochs are done."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from dlhw.training import protocol

    def blas_threads() -> list[int]:
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    seen = []
    monkeypatch.setattr(protocol.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(protocol, "OVERLAP_MIN_SECONDS", 0.0)
    with threadpool_limits(limits=2, user_api="blas"):  # what a 2-core machine starts with
        before = blas_threads()
        _run(toy, tmp_path / "beside", epochs=3, epoch_hook=lambda m, e: seen.append(blas_threads()) or {})
        after = blas_threads()
    assert before and seen and all(threads == [1] * len(before) for threads in seen)
    assert after == before
    seen.clear()
    monkeypatch.setattr(protocol.os, "cpu_count", lambda: 1)  # scored in line: BLAS left alone
    with threadpool_limits(limits=2, user_api="blas"):
        _run(toy, tmp_path / "inline", epochs=2, epoch_hook=lambda m, e: seen.append(blas_threads()) or {})
    assert seen and all(threads == before for threads in seen)

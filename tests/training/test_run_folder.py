"""RunFolder: records and state of this run only, fingerprint checks, the exclusive lock."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from dlhw.errors import CheckpointError, DivergenceError
from dlhw.training.history import History
from dlhw.training.run_folder import RunFolder, divergence_message

FP = {"config": {"lr": 0.1}, "seed": 0}
OTHER = {"config": {"lr": 0.1}, "seed": 1}


def test_record_and_state_belong_to_their_fingerprint(tmp_path):
    f, g = RunFolder(tmp_path, FP), RunFolder(tmp_path, OTHER)
    assert f.finished() is None and f.state() is None and f.foreign() is None
    f.write_config()
    f.save_state(3, "last-1.npz", History())
    assert f.state()["epoch"] == 3 and g.state() is None
    assert g.foreign() == FP and "seed 0 != 1" in g.different_run_error(g.foreign()).args[0]
    f.record_finished({"test_accuracy": 0.5})
    assert f.finished() == {"test_accuracy": 0.5} and g.finished() is None
    exc = g.record_diverged(divergence_message(2, 10.0, "mean loss nan", optimizer="sgd"))
    assert str(exc) == ("training diverged at epoch 2 (lr=10, optimizer sgd): mean loss nan; "
                        "lower the learning rate")
    with pytest.raises(DivergenceError, match="epoch 2"):
        g.finished()
    g.clear()
    assert not any(p.suffix in (".json", ".npz") for p in tmp_path.iterdir())


def test_checkpoint_of_another_run_is_refused(tmp_path):
    f = RunFolder(tmp_path, FP)
    f.check_checkpoint(f.best_path, {"epoch": 1, "fingerprint": dict(FP)})
    for meta in ({"epoch": 1, "fingerprint": OTHER}, {"epoch": 1}):
        with pytest.raises(CheckpointError, match="belongs to another run"):
            f.check_checkpoint(f.best_path, meta)


def test_lock_is_exclusive_across_processes_and_reentrant_within_one(tmp_path):
    f = RunFolder(tmp_path, FP)
    code = textwrap.dedent(f"""
        import sys
        from dlhw.errors import RunLockedError
        from dlhw.training.run_folder import RunFolder
        try:
            with RunFolder({str(tmp_path)!r}, {{}}).lock():
                print("got it")
        except RunLockedError as exc:
            print(exc)
    """)
    with f.lock(), f.lock():  # re-entrant
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                             check=True)
        assert f"{tmp_path} is already running (pid " in out.stdout, out.stderr
        assert (tmp_path / ".lock").exists()
    assert not (tmp_path / ".lock").exists()  # the last release removes it
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "got it"

"""Console output: tqdm's conventions for bars (terminal only, TQDM_DISABLE), -v/-q through logging."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from dlhw.cli import main
from dlhw.logs import bar_options, bar_postfix, configure, epoch_line

REPO = Path(__file__).resolve().parents[1]

# Trains a 3-class logistic regression for 3 epochs on blobs (numpy kernel: no compilation).
SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from dlhw.testing.toydata import blobs
from dlhw.logs import configure
from dlhw.scratch import LogisticRegression
from dlhw.training.protocol import train
configure(int(sys.argv[2]))
train(LogisticRegression(3, 6), blobs(0), epochs=3, learning_rate=0.1, seed=0, out_dir=sys.argv[1],
      kernel="numpy", progress=True, title="toy")
"""


def _run(tmp_path, *, tty: bool, verbosity: int = 0, env: dict | None = None) -> str:
    """Run SCRIPT with stderr on a pseudo-terminal (``tty``) or a pipe; its stderr as text."""
    code = SCRIPT.format(tests=str(REPO / "tests"))
    cmd = [sys.executable, "-c", code, str(tmp_path / f"run-{time.monotonic_ns()}"), str(verbosity)]
    full_env = {**os.environ, **(env or {})}
    if not tty:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stderr
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # 24 x 120
    proc = subprocess.Popen(cmd, stderr=slave, stdout=subprocess.DEVNULL, env=full_env)
    os.close(slave)
    chunks, deadline = [], time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1.0)
        if ready:
            try:
                data = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        # No early exit on proc.poll(): output written just before the child exits would be lost.
        # Once the child has closed the terminal, the master reads EOF or raises EIO (above).
    os.close(master)
    assert proc.wait(timeout=30) == 0
    return b"".join(chunks).decode(errors="replace")


def test_bar_options_follow_tqdm(monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    assert bar_options(False) == {"disable": True}
    assert bar_options(True) == {"disable": None}  # tqdm: off when not a terminal
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert bar_options(True) == {}  # tqdm's environment variable decides


def test_no_bar_frames_when_stderr_is_not_a_terminal(tmp_path):
    err = _run(tmp_path, tty=False)
    assert "\r" not in err and "epochs" not in err and err.strip() == ""


def test_bar_in_a_terminal_shows_loss_and_accuracy_and_tqdm_disable_turns_it_off(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
    shown = _run(tmp_path, tty=True, env=env)
    assert "epochs" in shown and "\r" in shown
    assert "train_loss=" in shown and "val_acc=" in shown
    assert _run(tmp_path, tty=True, env={"TQDM_DISABLE": "1"}).strip() == ""


def test_verbose_prints_one_line_per_epoch(tmp_path):
    err = _run(tmp_path, tty=False, verbosity=1)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 3 and all(f"toy: epoch {e}/3: train loss" in ln for e, ln in zip((1, 2, 3), lines))
    assert all("val acc 0." in ln and ln.endswith(" s)") for ln in lines)


def test_epoch_line_and_postfix():
    row = {"train_loss": 0.5, "train_accuracy": 0.75, "dev_accuracy": 0.7, "epoch_seconds": 1.25}
    assert epoch_line(2, 20, row,
                      "m") == "m: epoch 2/20: train loss 0.5000 | train acc 0.7500 | val acc 0.7000 (1.2 s)"
    assert bar_postfix({**row, "test_accuracy": 0.1}) == {"train_loss": "0.5000", "train_acc": "0.7500",
                                                        "val_acc": "0.7000"}


def test_verbosity_levels_and_flags_on_every_command(capsys):
    configure(-1)
    assert logging.getLogger("dlhw").level == logging.ERROR
    configure(1)
    assert logging.getLogger("dlhw").level == logging.INFO
    handlers = [h for h in logging.getLogger("dlhw").handlers if type(h).__name__ == "_TqdmHandler"]
    assert len(handlers) == 1  # idempotent
    configure(0)
    for argv in (["list", "-q"], ["data", "list", "-v"], ["report", "--help"], ["reproduce", "--help"],
                 ["data", "fetch", "--help"]):
        with contextlib.suppress(SystemExit):
            main(argv)
        out = capsys.readouterr().out
        if "--help" in argv:
            assert "-v, --verbose" in out and "-q, --quiet" in out, argv
    with pytest.raises(SystemExit):
        main(["list", "-v", "-q"])  # one or the other


class _Terminal:
    """A stand-in stderr that says it is a terminal (tqdm writes to it)."""

    def __init__(self) -> None:
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.text += s
        return len(s)

    def flush(self) -> None:
        pass


def test_epoch_bar_is_tqdm_only_on_a_terminal(monkeypatch):
    from dlhw.logs import NoBar
    from dlhw.training.protocol import _progress

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    bar = _progress(True, 1, 4)  # pytest's stderr is no terminal: nothing to draw, tqdm not needed
    assert isinstance(bar, NoBar) and list(bar) == [2, 3, 4]
    bar.set_postfix({"loss": 1.0})
    assert isinstance(_progress(False, 0, 2), NoBar)
    monkeypatch.setattr(sys, "stderr", _Terminal())
    drawn = _progress(True, 0, 2)
    assert not isinstance(drawn, NoBar) and list(drawn) == [1, 2]
    assert "epochs" in sys.stderr.text
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert isinstance(_progress(True, 0, 2), NoBar)

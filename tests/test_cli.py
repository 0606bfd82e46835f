"""The dlhw command: listing, data, and one-line errors."""

from __future__ import annotations

import subprocess
import sys

from dlhw.cli import main


def test_unknown_experiment_is_one_line(capsys):
    assert main(["run", "hw9999.q1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("dlhw: error: unknown experiment 'hw9999.q1'; valid ids:")
    assert "\n" not in err


def test_data_list(capsys, data_dir):
    assert main(["data", "list", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "fashion-mnist" in out and "train 50000, dev 10000, test 10000" in out
    assert "emnist-letters  missing:" in out


def test_fetch_unknown_option_fails():
    proc = subprocess.run([sys.executable, "-m", "dlhw", "data", "fetch", "mnist"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "invalid choice: 'mnist'" in proc.stderr


def test_version():
    proc = subprocess.run([sys.executable, "-m", "dlhw", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("dlhw ")

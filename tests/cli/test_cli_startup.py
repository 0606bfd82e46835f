"""Listing and parsing import nothing heavier than the standard library and numpy.

Each command runs in a fresh interpreter (the import state of the test process says nothing);
the child reports which heavy packages ended up in ``sys.modules``. A finished run is answered
from its stored result, before the experiment module (and its torch, numba, matplotlib) is
imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("torch", "matplotlib", "numba", "typst", "tqdm", "ray")

# Runs main(argv) and prints the heavy modules it imported as JSON on the last line of stderr.
PROBE = f"""
import json, sys
from dlhw.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:  # argparse's --help
    code = exc.code
heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)
print(json.dumps({{"code": code, "heavy": heavy, "numpy": "numpy" in sys.modules}}), file=sys.stderr)
"""


def probe(*argv: str, cwd=None) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=False,
                          timeout=120, env=env, cwd=cwd)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    report["stdout"], report["stderr"] = proc.stdout, proc.stderr
    return report


@pytest.mark.parametrize("argv", [("--help",), ("list",), ("run", "--help"),
                                  ("run", "hw2122.q3.1a", "--help"), ("run", "hw2526.q2.2a", "--help"),
                                  ("run", "hw2122.q4.1", "--help"), ("run", "hw2526.q1.2c", "--help")])
def test_listing_and_parsing_import_no_heavy_package(argv):
    report = probe(*argv)
    assert report["code"] == 0, report["stderr"]
    assert report["heavy"] == [], f"dlhw {' '.join(argv)} imported {report['heavy']}"


def test_list_needs_not_even_numpy():
    report = probe("list")
    assert not report["numpy"]
    assert "hw2526.q2.2a" in report["stdout"] and "Width sweep" in report["stdout"]


def test_run_help_shows_the_experiments_own_options():
    out = probe("run", "hw2526.q2.3a", "--help")["stdout"]
    assert "--depths" in out and "--budget-mb" in out


def test_a_finished_run_is_answered_from_its_result_without_heavy_imports(tmp_path):
    argv = ("run", "hw2526.q3.3", "--runs-dir", str(tmp_path), "--no-progress")
    first = probe(*argv)
    assert first["code"] == 0, first["stderr"]
    assert "matplotlib" in first["heavy"]  # the first run plots
    again = probe(*argv)
    assert again["code"] == 0 and again["heavy"] == [], again["stderr"]
    assert "stored result" in again["stderr"]
    assert again["stdout"] == first["stdout"]
    changed = probe(*argv, "--seed", "1")  # another request runs again
    assert "stored result" not in changed["stderr"] and "matplotlib" in changed["heavy"]

#!/usr/bin/env python
"""Whole-process times of the commands a user runs, against their targets (issue 16).

Each command runs as a fresh process (imports, data, training, evaluation, plots: everything),
``--repeat`` times, and the median wall time is reported. The numba cache is warmed by one
untimed run first; every timed training run writes to a fresh output folder (so it trains),
while "rerun" times a command whose result is already stored. The plain per-example numpy
script ``benchmarks/student_hw1.py`` (same data, split, epochs) is the yardstick of the ratios.

    DLHW_DATA_DIR=../shared/data python benchmarks/whole_process.py [--repeat 3]
        [--only help,list,perceptron,...] [--student-repeat 1] [--no-student]

Prints one table: command, target, median (min-max), pass/fail; for a training run the median
share of its wall time spent drawing its figures (``plot_seconds`` of its result.json, target
<= 0.10); the student's median and the ratio with its target. The machine's load average is
printed with it: compare runs made at a similar load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _table import print_table  # benchmarks/_table.py (this script's folder is on sys.path)

REPO = Path(__file__).resolve().parents[1]
STUDENT = REPO / "benchmarks" / "student_hw1.py"
RATIO_TARGET = 0.15
PLOT_TARGET = 0.10  # the figures' share of a whole run (their drawing time, from the run's result)


@dataclass(frozen=True)
class Case:
    """One command: ``argv`` after the interpreter; ``target`` seconds; ``student`` model or None."""

    name: str
    argv: tuple[str, ...]
    target: float
    student: str | None = None
    trains: bool = False  # writes a run folder: needs a fresh -out_dir per timed run
    rerun: bool = False  # times a command whose result is already stored
    extra: tuple[str, ...] = ()  # arguments the student script gets too


def cases(mlp_epochs: int = 20) -> list[Case]:
    """The commands and targets of issue 16 (the mlp target scales with ``mlp_epochs``)."""
    dlhw = ("-m", "dlhw")
    q3, q2 = str(REPO / "hw1-q3.py"), str(REPO / "hw1-q2.py")
    mlp = ("-epochs", str(mlp_epochs))
    return [
        Case("help", (*dlhw, "--help"), 0.5),
        Case("list", (*dlhw, "list"), 0.5),
        Case("run-help", (*dlhw, "run", "hw2122.q3.2b", "--help"), 0.5),
        Case("rerun", (q3, "perceptron"), 1.5, rerun=True),
        Case("perceptron", (q3, "perceptron"), 3.0, "perceptron", trains=True),
        Case("logistic_regression", (q3, "logistic_regression"), 4.0, "logistic_regression", trains=True),
        Case("mlp", (q3, "mlp", *mlp), 35.0 * mlp_epochs / 20, "mlp", trains=True, extra=mlp),
        Case("linear_regression", (q2, "linear_regression"), 3.0, "linear_regression", trains=True),
        Case("nn", (q2, "nn"), 6.0, "nn", trains=True),
    ]


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Seconds of one fresh process running ``argv`` (it must succeed)."""
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          check=False,
                          text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return seconds


def plot_seconds(run_dir: Path) -> float | None:
    """The figures' drawing time a training run recorded (``metrics.plot_seconds`` of its result)."""
    path = run_dir / "result.json"
    if not path.is_file():
        return None
    value = json.loads(path.read_text()).get("metrics", {}).get("plot_seconds")
    return float(value) if isinstance(value, (int, float)) else None


def measure(case: Case, repeat: int, work: Path, env: dict[str, str]) -> tuple[list[float], list[float]]:
    """``repeat`` wall times of ``case``, after one untimed warm-up run (numba cache, page cache),
    and each training run's share of it spent on its figures."""
    out = work / case.name
    base = [sys.executable, *case.argv]
    with_out = (lambda d: [*base, "-out_dir", str(d)]) if case.trains or case.rerun else (lambda d: base)
    timed(with_out(out / "warm"), work, env)  # warm: compiles once, fills caches (and the rerun's run)
    times, shares = [], []
    for i in range(repeat):
        target = out / "warm" if case.rerun else out / f"run{i}"
        times.append(timed(with_out(target), work, env))
        plots = plot_seconds(target) if case.trains else None
        if plots is not None:
            shares.append(plots / times[-1])
    return times, shares


def student(model: str, extra: tuple[str, ...], repeat: int, work: Path, env: dict[str, str]) -> list[float]:
    argv = [sys.executable, str(STUDENT), model, *extra, "-out", str(work)]
    return [timed(argv, work, env) for _ in range(repeat)]


def fmt(times: list[float]) -> str:
    med = statistics.median(times)
    return f"{med:.2f} ({min(times):.2f}-{max(times):.2f})" if len(times) > 1 else f"{med:.2f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=3, help="timed runs per dlhw command (median)")
    p.add_argument("--student-repeat", type=int, default=1, help="timed runs of each student script")
    p.add_argument("--no-student", action="store_true", help="skip the student scripts (no ratios)")
    p.add_argument("--only", default=None, help="comma-separated case names (default: all)")
    p.add_argument("--mlp-epochs", type=int, default=20,
                   help="epochs of the mlp case, for dlhw and the student alike (target scaled)")
    args = p.parse_args(argv)
    if not os.environ.get("DLHW_DATA_DIR"):
        raise SystemExit("set DLHW_DATA_DIR to the folder holding fashion-mnist/ and ames/")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    chosen = [c for c in cases(args.mlp_epochs) if args.only is None or c.name in args.only.split(",")]
    rows = []
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; median of {args.repeat}",
          file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="dlhw-bench-") as tmp:
        work = Path(tmp)
        for case in chosen:
            times, shares = measure(case, args.repeat, work, env)
            med = statistics.median(times)
            row = [case.name, f"<= {case.target:g}", fmt(times), "pass" if med <= case.target else "FAIL"]
            share = statistics.median(shares) if shares else None
            row += ["", ""] if share is None else [f"{share:.2f}", "pass" if share <= PLOT_TARGET else "FAIL"]
            if case.student and not args.no_student:
                st = student(case.student, case.extra, args.student_repeat, work, env)
                ratio = med / statistics.median(st)
                row += [fmt(st), f"{ratio:.3f}", "pass" if ratio <= RATIO_TARGET else "FAIL"]
            else:
                row += ["", "", ""]
            rows.append(row)
            print("  ".join(row), file=sys.stderr)
    head = ["command", "target s", "dlhw s (min-max)", "", f"plots share (<= {PLOT_TARGET})", "",
            "student s", f"ratio (<= {RATIO_TARGET})", ""]
    print_table(head, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

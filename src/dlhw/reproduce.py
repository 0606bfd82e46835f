"""``dlhw reproduce``: every experiment of the chosen homework(s), resuming, then the reports."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from dlhw.errors import DlhwError
from dlhw.experiments.base import Experiment


def datasets_of(exp: Experiment, dataset: str | None) -> tuple[str, ...]:
    """The data sets ``exp`` needs, with the 2025-26 ``--dataset`` substitution applied."""
    if exp.homework == "hw2526" and dataset:
        return tuple(dataset if d == "emnist-letters" else d for d in exp.datasets)
    return exp.datasets


def plan(args: argparse.Namespace) -> tuple[list[Experiment], list[tuple[Experiment, str]]]:
    """Split the chosen experiments into ``(to_run, skipped_with_reason)`` by data availability."""
    from dlhw.data import fetch_hint, find
    from dlhw.experiments import all_experiments

    run, skipped = [], []
    for exp in all_experiments():
        if args.homework not in ("all", exp.homework):
            continue
        missing = [d for d in datasets_of(exp, args.dataset) if find(d, args.data_dir) is None]
        if missing:
            skipped.append((exp, f"missing data {', '.join(missing)}: {fetch_hint(missing[0])}"))
        else:
            run.append(exp)
    return run, skipped


def _is_current(out_dir: Path, quick: bool, dataset: str | None, exp: Experiment) -> bool:
    """True when ``out_dir`` holds a finished result made with the same quick flag and data set."""
    from dlhw.results import load_result

    try:
        res = load_result(out_dir)
    except DlhwError:
        return False
    if res is None or res.quick != quick:
        return False
    wanted = datasets_of(exp, dataset)
    return not wanted or res.dataset in wanted


def reproduce(args: argparse.Namespace) -> int:
    """Run, resume, summarise, report. Returns the process exit status."""
    from dlhw.cli import _context
    from dlhw.experiments.execute import execute

    to_run, skipped = plan(args)
    print(f"dlhw reproduce: {len(to_run)} experiments to run, {len(skipped)} skipped")
    for exp, why in skipped:
        print(f"  skip {exp.id}: {why}")
    rows, failures = [], 0
    for exp in to_run:
        ctx = _context(args, exp.id, {})
        if _is_current(ctx.out_dir, args.quick, args.dataset, exp):
            status, res = "kept", None
            from dlhw.results import load_result
            res = load_result(ctx.out_dir)
        else:
            t0 = time.perf_counter()
            try:
                res = execute(exp, ctx)
                status = "ran"
            except DlhwError as exc:
                print(f"  FAILED {exp.id}: {exc}")
                rows.append((exp.id, "failed", "", f"{time.perf_counter() - t0:.1f}", str(ctx.out_dir)))
                failures += 1
                continue
        key = f"{res.key_metric} = {_fmt(res.metrics.get(res.key_metric))}"
        rows.append((exp.id, status, key, f"{res.wall_time_s:.1f}", str(ctx.out_dir)))
        print(f"  {status} {exp.id}: {key} ({res.wall_time_s:.1f} s)")
    _build_reports(args)
    _print_summary(rows)
    return 1 if failures else 0


def _build_reports(args: argparse.Namespace) -> None:
    try:
        from dlhw.report import build_reports
    except ImportError:
        print("reports: the report builder is not installed yet; skipped")
        return
    for path in build_reports(args.homework, runs_root=Path(args.runs_dir),
                              out_root=Path(args.reports_dir)):
        print(f"wrote {path}")


def _fmt(v) -> str:
    return f"{v:.4f}" if isinstance(v, float) else str(v)


def _print_summary(rows: list[tuple[str, ...]]) -> None:
    header = ("experiment", "status", "key number", "wall s", "outputs")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print()
    for r in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))

"""``dlhw reproduce``: every experiment of the chosen homework(s), resuming, then the reports.

Order: the registry's (the texts' order), with each experiment's ``depends`` run before it. A
finished result made with the same ``--quick`` flag, seed and data set is kept (resume); an
experiment whose dependency was rerun is rerun too. One experiment failing is reported (its
traceback goes to ``<run folder>/error.log``) and the others go on; the exit status is 1 if
anything failed.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from dlhw.errors import ConfigError, DlhwError
from dlhw.experiments.base import Experiment, RunOptions
from dlhw.results import ExperimentResult
from dlhw.validation import check_device

ERROR_LOG = "error.log"


@dataclass
class ExperimentOutcome:
    """What happened to one experiment: ``ran``, ``kept``, ``failed`` or ``skipped``."""

    exp_id: str
    status: str
    result: ExperimentResult | None = None
    detail: str = ""
    seconds: float = 0.0
    out_dir: str = ""


def datasets_of(exp: Experiment, dataset: str | None) -> tuple[str, ...]:
    """The data sets ``exp`` needs, with the 2025-26 ``--dataset`` substitution applied."""
    if exp.homework == "hw2526" and dataset:
        return tuple(dataset if d == "emnist-letters" else d for d in exp.datasets)
    return exp.datasets


def ordered(chosen: list[Experiment], registry: dict[str, Experiment]) -> list[Experiment]:
    """``chosen`` plus their dependencies, each after what it depends on (depth first).

    Raises ConfigError for an unknown dependency or a dependency cycle."""
    out: dict[str, Experiment] = {}
    visiting: set[str] = set()

    def visit(exp: Experiment) -> None:
        if exp.id in out:
            return
        if exp.id in visiting:
            raise ConfigError(f"experiments depend on each other in a cycle through {exp.id}; "
                              "fix Experiment.depends")
        visiting.add(exp.id)
        for dep in exp.depends:
            if dep not in registry:
                raise ConfigError(f"{exp.id} depends on unknown experiment {dep!r}; valid ids: "
                                  f"{', '.join(registry)}")
            visit(registry[dep])
        visiting.discard(exp.id)
        out[exp.id] = exp

    for exp in chosen:
        visit(exp)
    return list(out.values())


def plan(opts: RunOptions, homework: str) -> tuple[list[Experiment], dict[str, str]]:
    """``(experiments in run order, {id: reason} for those that cannot run for lack of data)``."""
    from dlhw.data import find
    from dlhw.experiments import all_experiments

    registry = {e.id: e for e in all_experiments()}
    chosen = [e for e in registry.values() if homework in ("all", e.homework)]
    exps = ordered(chosen, registry)
    missing = {}
    for exp in exps:
        absent = [d for d in datasets_of(exp, opts.dataset) if find(d, opts.data_dir) is None]
        if absent:
            missing[exp.id] = f"missing data: {', '.join(absent)}"
    return exps, missing


def _report_missing_data(exps: list[Experiment], opts: RunOptions) -> None:
    """One block per absent data set, with the command that fetches it."""
    from dlhw.data import fetch_hint, find

    needed = dict.fromkeys(d for e in exps for d in datasets_of(e, opts.dataset))
    for name in needed:
        if find(name, opts.data_dir) is None:
            users = [e.id for e in exps if name in datasets_of(e, opts.dataset)]
            print(f"missing data set {name} (needed by {len(users)} experiments): {fetch_hint(name)}")
            if name == "emnist-letters" and find("fashion-mnist", opts.data_dir) is not None:
                print("  or run the 2025-26 experiments on Fashion-MNIST: "
                      "dlhw reproduce --dataset fashion-mnist")


def is_current(out_dir: Path, opts: RunOptions, exp: Experiment) -> ExperimentResult | None:
    """The finished result in ``out_dir`` if it was made with the same quick flag, seed and data
    set (so it can be kept), else None."""
    from dlhw.results import load_result

    for folder in (out_dir, Path(opts.runs_dir) / exp.id):  # the run's folder, then a legacy flat one
        try:
            res = load_result(folder)
        except (DlhwError, ValueError, TypeError, KeyError):
            continue
        if res is None or res.experiment != exp.id or res.quick != opts.quick or res.seed != opts.seed:
            continue
        wanted = datasets_of(exp, opts.dataset)
        if not wanted or res.dataset in wanted:
            return res
    return None


def run_one(exp: Experiment, opts: RunOptions, rerun: bool) -> ExperimentOutcome:
    """Keep or run one experiment; never raises for the experiment's own failure."""
    from dlhw.experiments.execute import execute

    ctx = opts.context(exp.id)
    kept = None if rerun else is_current(ctx.out_dir, opts, exp)
    if kept is not None:
        return ExperimentOutcome(exp.id, "kept", kept, seconds=kept.wall_time_s, out_dir=str(ctx.out_dir))
    t0 = time.perf_counter()
    try:
        res = execute(exp, ctx)
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # one experiment's failure must not stop the others
        ctx.out_dir.mkdir(parents=True, exist_ok=True)
        (ctx.out_dir / ERROR_LOG).write_text(traceback.format_exc(), encoding="utf-8")
        detail = f"{type(exc).__name__}: {exc}" if not isinstance(exc, DlhwError) else str(exc)
        return ExperimentOutcome(exp.id, "failed", None, f"{detail} (traceback in {ctx.out_dir / ERROR_LOG})",
                       time.perf_counter() - t0, str(ctx.out_dir))
    (ctx.out_dir / ERROR_LOG).unlink(missing_ok=True)
    return ExperimentOutcome(exp.id, "ran", res, seconds=res.wall_time_s, out_dir=str(ctx.out_dir))


def key_number(res: ExperimentResult | None) -> str:
    """``test_accuracy = 0.8123`` (formatted as the report formats it)."""
    from dlhw.markup import fmt_value

    if res is None:
        return ""
    return f"{res.key_metric} = {fmt_value(res.metrics.get(res.key_metric))}"


def run_all(exps: list[Experiment], missing: dict[str, str], opts: RunOptions) -> list[ExperimentOutcome]:
    """Run ``exps`` in order, printing a progress line for each."""
    outcomes: dict[str, ExperimentOutcome] = {}
    for i, exp in enumerate(exps, 1):
        tag = f"[{i}/{len(exps)}] {exp.id}"
        blocked = [d for d in exp.depends if outcomes[d].status in ("failed", "skipped")]
        if exp.id in missing or blocked:
            why = missing.get(exp.id) or f"dependency {blocked[0]} did not finish"
            outcomes[exp.id] = ExperimentOutcome(exp.id, "skipped", detail=why)
            print(f"{tag}: skipped ({why})", flush=True)
            continue
        print(f"{tag}: {exp.title} ...", flush=True)
        rerun = any(outcomes[d].status == "ran" for d in exp.depends)
        out = outcomes[exp.id] = run_one(exp, opts, rerun)
        text = out.detail if out.status == "failed" else f"{key_number(out.result)} ({out.seconds:.1f} s)"
        print(f"{tag}: {out.status.upper() if out.status == 'failed' else out.status} {text}",
              flush=True)
    return list(outcomes.values())


def reproduce(opts: RunOptions, homework: str = "all", reports_dir: Path = Path("reports")) -> int:
    """Run, resume, report, summarise. Returns the process exit status (1 if anything failed).

    ``homework`` is ``"hw2122"``, ``"hw2526"`` or ``"all"``; the reports go to ``reports_dir``."""
    check_device(opts.device)
    start = time.perf_counter()
    exps, missing = plan(opts, homework)
    print(f"dlhw reproduce: {len(exps)} experiments ({homework}), "
          f"{'quick mode' if opts.quick else 'full runs'}, seed {opts.seed}"
          + (f", 2025-26 on {opts.dataset}" if opts.dataset else ""), flush=True)
    _report_missing_data(exps, opts)
    outcomes = run_all(exps, missing, opts)
    nothing = nothing_reproduced(exps, outcomes, opts)
    report_ok = nothing is None and _build_reports(homework, Path(opts.runs_dir), Path(reports_dir), opts)
    print_summary(outcomes)
    failed = [o.exp_id for o in outcomes if o.status == "failed"]
    print(f"done in {time.perf_counter() - start:.1f} s; {len(failed)} failed"
          + (f": {', '.join(failed)}" if failed else ""))
    if nothing is not None:
        print(nothing)
    return 1 if failed or not report_ok else 0


def nothing_reproduced(exps: list[Experiment], outcomes: list[ExperimentOutcome],
                       opts: RunOptions) -> str | None:
    """A plain sentence when no experiment that trains on data ran or was kept (so no report is
    built and the exit status is 1), else None."""
    from dlhw.data import find

    by_id = {e.id: e for e in exps}
    needs_data = [o for o in outcomes if datasets_of(by_id[o.exp_id], opts.dataset)]
    if not needs_data or any(o.status in ("ran", "kept") for o in needs_data):
        return None
    absent = [d for d in dict.fromkeys(d for e in exps for d in datasets_of(e, opts.dataset))
              if find(d, opts.data_dir) is None]
    why = f"the data is missing ({', '.join(absent)})" if absent else "every one failed or was skipped"
    return (f"nothing was reproduced: no experiment that trains on data could run, because {why}; "
            f"download it with `dlhw data fetch NAME` (or point --data-dir at a folder holding it) "
            f"and rerun; no report was built")


def _build_reports(homework: str, runs_root: Path, reports_dir: Path, opts: RunOptions) -> bool:
    """Build the reports of the runs with ``opts``' settings; False (after saying why) if that failed."""
    from dlhw.report import build_reports

    try:
        paths = build_reports(homework, runs_root=runs_root, out_root=reports_dir, seed=opts.seed,
                              quick=opts.quick, dataset=opts.dataset)
    except Exception as exc:  # the runs are kept; the report can be rebuilt with dlhw report
        print(f"reports FAILED: {type(exc).__name__}: {exc} (rebuild with: dlhw report)")
        return False
    for path in paths:
        print(f"wrote {path}")
    return True


def print_summary(outcomes: list[ExperimentOutcome]) -> None:
    """A table: experiment, status, key number, wall time, where its outputs are."""
    header = ("experiment", "status", "key number", "wall s", "outputs")
    rows = [(o.exp_id, o.status, key_number(o.result) or o.detail[:60],
             f"{o.seconds:.1f}" if o.status in ("ran", "kept", "failed") else "", o.out_dir)
            for o in outcomes]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print()
    for r in [header, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())

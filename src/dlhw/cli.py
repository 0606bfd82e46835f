"""The ``dlhw`` command: ``run``, ``list``, ``data``, ``reproduce``, ``report``, ``export``.

Exit status (every dlhw command line: ``dlhw``, ``hw1-*.py``):

* 0: done;
* 1: ``reproduce`` finished but something failed (listed in its summary);
* 2: a :class:`~dlhw.errors.DlhwError` (bad option, data, checkpoint, a run already running
  in that folder ...), printed as one line ``dlhw: error: ...``;
* 3: an operating-system error (disk full, read-only or forbidden folder ...), printed as one
  line naming the path and the reason: ``dlhw: error: cannot write runs/x/best.npz: No space
  left on device [ENOSPC]``; finished work is kept (every file is written atomically);
* 130: interrupted (Ctrl-C); finished work is kept, the same command resumes.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlhw import __version__
from dlhw.errors import ConfigError, DlhwError

if TYPE_CHECKING:  # imported on use: `dlhw --help` stays quick
    from dlhw.experiments.base import RunOptions

DATASETS_2526 = ("emnist-letters", "fashion-mnist")


def add_common_run_options(p: argparse.ArgumentParser) -> None:
    """Options every experiment understands (``dlhw run`` and ``dlhw reproduce``)."""
    p.add_argument("--seed", type=seed_arg, default=0, help="random seed (default 0)")
    p.add_argument("--data-dir", default=None, help="folder searched first for data sets")
    p.add_argument("--runs-dir", default="runs", help="root of the output folders (default runs/)")
    p.add_argument("--quick", action="store_true", help="small slice, few epochs (smoke test)")
    p.add_argument("--dataset", choices=DATASETS_2526, default=None,
                   help="data set of the 2025-26 experiments (default emnist-letters)")
    p.add_argument("--jobs", type=int, default=None,
                   help="parallel processes for grids (default: every core; 1 with --quick, "
                        "whose tasks take less time than starting a worker)")
    p.add_argument("--device", default="cpu", help="torch device: cpu or cuda")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_verbosity_options(p)


def add_verbosity_options(p: argparse.ArgumentParser) -> None:
    """``-v/--verbose`` and ``-q/--quiet``, on every command (through :mod:`logging`)."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("-v", "--verbose", action="count", default=0,
                   help="more lines on stderr: one per epoch and per finished grid task (-vv: debug)")
    g.add_argument("-q", "--quiet", action="store_true", help="errors only; no progress bars")


def setup_logs(args: argparse.Namespace) -> None:
    """Configure the ``dlhw`` logger from ``-v``/``-q`` (see :func:`dlhw.logs.configure`)."""
    from dlhw.logs import configure

    configure(-1 if getattr(args, "quiet", False) else getattr(args, "verbose", 0))


def seed_arg(text: str) -> int:
    """argparse type of ``--seed``: an integer 0 .. 2**63 - 1 (a one-line usage error otherwise)."""
    from dlhw.validation import check_seed

    try:
        return check_seed(int(text))
    except (ValueError, DlhwError) as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a seed: an integer from 0 to 2**63 - 1"
                                         ) from exc


def default_jobs(jobs: int | None, quick: bool) -> int:
    """``--jobs``, else 1 for a quick run (a spawned worker imports torch, about 3 s: more than a
    quick grid's tasks take) and every core otherwise."""
    if jobs is not None:
        return jobs
    return 1 if quick else os.cpu_count() or 1


def run_options(args: argparse.Namespace) -> RunOptions:
    """The parsed common options (:func:`add_common_run_options`) as typed :class:`RunOptions`."""
    from dlhw.experiments.base import RunOptions

    out = getattr(args, "out", None)
    return RunOptions(seed=args.seed, data_dir=args.data_dir, runs_dir=Path(args.runs_dir), quick=args.quick,
                      dataset=args.dataset, jobs=default_jobs(args.jobs, args.quick), device=args.device,
                      progress=not (args.no_progress or getattr(args, "quiet", False)),
                      epochs=getattr(args, "epochs", None), out=Path(out) if out else None,
                      overwrite=bool(getattr(args, "overwrite", False)))


def guarded(prog: str, fn: Callable[..., int], *args: Any) -> int:
    """``fn(*args)`` as a process exit status: the one error guard of every dlhw command line.

    A :class:`DlhwError` is printed as one line (``prog: error: ...``, status 2); Ctrl-C keeps what
    was finished (results are written atomically) and says how to resume (status 130).
    """
    try:
        return fn(*args)
    except DlhwError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; finished work is kept, rerun the same command to resume",
              file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"{prog}: error: {os_error_line(exc)}", file=sys.stderr)
        return 3


def os_error_line(exc: OSError) -> str:
    """``cannot write PATH: REASON [ENAME]`` for an operating-system error (exit status 3)."""
    path = exc.filename if exc.filename is not None else "a file"
    reason = exc.strerror or str(exc) or type(exc).__name__
    name = errno.errorcode.get(exc.errno or 0)
    hint = {errno.ENOSPC: "free some space", errno.EDQUOT: "free some space",
            errno.EROFS: "choose a writable folder", errno.EACCES: "choose a writable folder",
            errno.EPERM: "choose a writable folder"}.get(exc.errno or 0, "check the path")
    return f"cannot use {path}: {reason}{f' [{name}]' if name else ''}; {hint}"


def cmd_run(argv: list[str]) -> int:
    """``dlhw run ID [options]``: parse common options, then the experiment's own.

    Only the catalogue and the experiment's option builder are imported to parse; a request
    whose result is already stored is answered from it, before the experiment is imported.
    """
    from dlhw.experiments.catalog import find_entry

    if not argv or argv[0] in ("-h", "--help"):
        print("usage: dlhw run ID [options]   (dlhw list shows the ids; dlhw run ID --help its options)")
        return 0
    entry = find_entry(argv[0])
    p = argparse.ArgumentParser(prog=f"dlhw run {entry.id}", description=entry.title)
    add_common_run_options(p)
    p.add_argument("--epochs", type=int, default=None, help="override the text's epoch count")
    p.add_argument("--out", default=None, help="output folder (default RUNS_DIR/ID/<run name "
                   "from the settings>, e.g. runs/ID/seed0)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace what the output folder holds (default: refuse a folder of "
                        "another run; runs with other settings live side by side)")
    own = argparse.ArgumentParser(add_help=False)
    add_arguments = entry.add_arguments()
    if add_arguments is not None:
        add_arguments(p.add_argument_group(f"{entry.id} options"))
        add_arguments(own)
    args, unknown = p.parse_known_args(argv[1:])
    setup_logs(args)
    if unknown:
        raise ConfigError(f"{' '.join(unknown)}: not an option of {entry.id} ({entry.title}), which "
                          f"would ignore it; `dlhw run {entry.id} --help` lists its options")
    own_names = set(vars(own.parse_known_args([])[0]))  # the experiment's own option names
    ctx = run_options(args).context(entry.id, {k: v for k, v in vars(args).items() if k in own_names})
    result = _stored_or_run(entry, ctx)
    key = result.metrics.get(result.key_metric)
    print(f"{entry.id}: {result.key_metric} = {key} ({result.wall_time_s:.1f} s) -> {ctx.out_dir}")
    return 0


def _stored_or_run(entry, ctx):
    """The stored result of this request (said so on stderr), else a fresh run of ``entry``."""
    from dlhw.experiments.execute import execute, stored_result

    stored = stored_result(entry.id, ctx)
    if stored is not None:
        print(f"{entry.id}: finished earlier with the same options; showing the stored result "
              f"(--no-resume or another --out runs it again)", file=sys.stderr)
        return stored
    return execute(entry.load(), ctx)


def cmd_list(_: argparse.Namespace) -> int:
    from dlhw.experiments.catalog import ENTRIES

    for entry in ENTRIES:
        print(f"{entry.id:<16} {entry.title}")
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from dlhw import data
    from dlhw.data.fetch import fetch

    if args.data_cmd == "list":
        for name, where in data.status(args.data_dir):
            print(f"{name:<15} {where}")
        return 0
    folder = fetch(args.name, source=args.source, base_url=args.base_url, dest_dir=args.dest,
                   progress=not args.quiet)
    print(f"{args.name}: ready in {folder}")
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    from dlhw.reproduce import reproduce

    return reproduce(run_options(args), homework=args.homework, reports_dir=Path(args.reports_dir))


def cmd_report(args: argparse.Namespace) -> int:
    from dlhw.report import build_reports

    for path in build_reports(args.homework, runs_root=Path(args.runs_dir),
                              out_root=Path(args.reports_dir), seed=args.seed,
                              quick=True if args.quick else None, dataset=args.dataset,
                              contributions=args.contributions):
        print(f"wrote {path}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from dlhw.report.tensorboard import export_tensorboard

    runs = export_tensorboard(args.runs, args.out)
    grids = len({r.grid for r in runs if r.grid})
    print(f"wrote {len(runs)} runs ({grids} grids with an hparams view) to {args.out}; "
          f"view them with: tensorboard --logdir {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dlhw", description="Deep Learning HW1 (2021-22, 2025-26), "
                                                         "reproducibly.")
    p.add_argument("--version", action="version", version=f"dlhw {__version__}")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("run", help="run one experiment: dlhw run ID [options]", add_help=False)
    ls = sub.add_parser("list", help="list the experiments")
    ls.set_defaults(func=cmd_list)
    add_verbosity_options(ls)
    d = sub.add_parser("data", help="data sets: list, fetch")
    dsub = d.add_subparsers(dest="data_cmd", required=True)
    dl = dsub.add_parser("list", help="show which data sets are present and where")
    dl.add_argument("--data-dir", default=None)
    add_verbosity_options(dl)
    df = dsub.add_parser("fetch", help="download a data set into the user cache")
    df.add_argument("name", choices=("fashion-mnist", "emnist-letters", "ames"))
    df.add_argument("--source", choices=("course", "nist", "official"), default=None,
                    help="where to download from (default: each source in turn; emnist-letters: "
                         "course = the course's Google Drive file, nist = the official NIST archive)")
    df.add_argument("--base-url", default=None, help="mirror to download from")
    df.add_argument("--dest", default=None, help="folder to download into (default: the cache)")
    add_verbosity_options(df)
    d.set_defaults(func=cmd_data)
    r = sub.add_parser("reproduce", help="run every experiment, then build the reports")
    add_common_run_options(r)
    r.add_argument("--homework", choices=("hw2122", "hw2526", "all"), default="all")
    r.add_argument("--reports-dir", default="reports")
    r.set_defaults(func=cmd_reproduce)
    rep = sub.add_parser("report", help="build the PDF and Markdown reports from stored results")
    rep.add_argument("--homework", choices=("hw2122", "hw2526", "all"), default="all")
    rep.add_argument("--runs-dir", default="runs")
    rep.add_argument("--reports-dir", default="reports")
    rep.add_argument("--seed", type=seed_arg, default=None,
                     help="report the runs of this seed (default: seed 0 where it exists)")
    rep.add_argument("--quick", action="store_true",
                     help="report the --quick runs (default: full runs where they exist)")
    rep.add_argument("--dataset", choices=DATASETS_2526, default=None,
                     help="report the 2025-26 runs made with this --dataset")
    add_verbosity_options(rep)
    rep.add_argument("--contributions", default=None, metavar="FILE",
                     help="the group members' contribution paragraph (hw2526 asks for it; default "
                          "contributions.md beside the runs folder)")
    rep.set_defaults(func=cmd_report)
    ex = sub.add_parser("export", help="export stored runs to other tools: tensorboard")
    exsub = ex.add_subparsers(dest="export_cmd", required=True)
    tb = exsub.add_parser("tensorboard", help="per-epoch scalars of every run, and an hparams view "
                          "of grids, as TensorBoard event files (needs pip install 'dlhw[tensorboard]')")
    tb.add_argument("runs", nargs="+", metavar="RUNS", help="run folders, or folders above them (runs/)")
    tb.add_argument("--out", default="tensorboard", help="where the event files go (default tensorboard/)")
    ex.set_defaults(func=cmd_export)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "run":
        return guarded("dlhw", cmd_run, argv[1:])
    args = build_parser().parse_args(argv)
    setup_logs(args)
    return guarded("dlhw", args.func, args)


def console() -> None:
    """The ``dlhw`` console script: :func:`main`, then :func:`dlhw.process.end_process`."""
    from dlhw.process import end_process

    end_process(main())


if __name__ == "__main__":  # pragma: no cover
    console()

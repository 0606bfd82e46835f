"""Run a grid: skip finished configurations, dispatch the rest, collect the records.

The unit of work is a *task*: a group of members (configurations) handed to one call. By default
each group holds one member and the work is ``fn(member) -> metrics``; with ``group_by`` (a key
of the parameters) members with equal keys go to one ``group_fn(members) -> [metrics, ...]`` call,
e.g. to train same-shape models together as one vectorised ensemble. Records are still written
per member, so resuming works at member granularity whatever the grouping.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dlhw.errors import ConfigError, DlhwError
from dlhw.grid.backends import Backend, local_backend
from dlhw.grid.results import GridResult
from dlhw.grid.spec import GridSpec
from dlhw.grid.store import GridStore, Member
from dlhw.grid.transfer import MemberFiles
from dlhw.io import save_json
from dlhw.logs import bar_options
from dlhw.rng import child_seed

log = logging.getLogger(__name__)

MemberFn = Callable[[Member], dict[str, Any]]
GroupFn = Callable[[list[Member]], list[dict[str, Any]]]


class GridError(DlhwError):
    """Some configurations of a grid failed; the finished ones are kept for the next run."""


@dataclass(frozen=True)
class _Task:
    """What a worker process receives: the work function and the members it runs."""

    fn: MemberFn | GroupFn
    grouped: bool
    root: Path
    members: tuple[Member, ...]


def _run_task(task: _Task) -> list[str]:
    """Worker: run the task's members, write each record (last), return the finished ids."""
    store = GridStore(task.root)
    for m in task.members:
        store.prepare(m)
    start = time.perf_counter()
    if task.grouped:
        outputs = task.fn(list(task.members))
        if not isinstance(outputs, (list, tuple)) or len(outputs) != len(task.members):
            raise ConfigError(f"group_fn must return one metrics dict per member "
                              f"({len(task.members)}), got {type(outputs).__name__}")
    else:
        outputs = [task.fn(m) for m in task.members]  # groups of one
    seconds = (time.perf_counter() - start) / len(task.members)
    for m, metrics in zip(task.members, outputs):
        store.write_record(m, metrics, seconds)
    return [m.id for m in task.members]


def _run_task_detached(task: _Task) -> list[MemberFiles]:
    """Remote worker: run the task in a temporary folder, return each member's files.

    The worker never touches the grid's root (it need not see it); the driver writes the
    returned files into the root (:meth:`MemberFiles.install`).
    """
    with tempfile.TemporaryDirectory(prefix="dlhw-task-") as tmp:
        members = tuple(replace(m, out_dir=Path(tmp) / m.id) for m in task.members)
        _run_task(replace(task, root=Path(tmp), members=members))
        return [MemberFiles.collect(m.out_dir, m.id) for m in members]


def _install(store: GridStore, members: tuple[Member, ...], outputs: list[MemberFiles]) -> None:
    """Driver: write a detached task's member files into the grid's root (records last)."""
    if [o.id for o in outputs] != [m.id for m in members]:
        raise DlhwError(f"a worker returned files of {[o.id for o in outputs]} for "
                        f"{[m.id for m in members]}; rerun the grid")
    for m, files in zip(members, outputs):
        store.prepare(m)
        files.install(m.out_dir)


def _note_failure(store: GridStore, members: tuple[Member, ...], exc: BaseException) -> None:
    """Driver: each member's ``failed.json`` (best effort: the GridError names the failure too)."""
    for m in members:
        with contextlib.suppress(OSError):
            store.write_failure(m.id, exc)


@dataclass
class GridRunner:
    """Runs a :class:`GridSpec` into ``root`` with ``fn`` (or ``group_fn`` + ``group_by``).

    Attributes
    ----------
    root : the grid's folder (one subfolder per configuration).
    fn : ``fn(member) -> dict`` of metrics (must include ``metric``); picklable for ``jobs > 1``.
    group_fn, group_by : alternatively ``group_fn(members) -> [dict, ...]`` over groups of
        unfinished members with equal ``group_by(params)``; ``max_group`` caps a group's size,
        or is a function ``max_group(key, members) -> int`` giving each group its own cap.
    backend : where tasks run; default :func:`~dlhw.grid.backends.local_backend` (``jobs``).
    jobs : processes for the default backend (None or 0: every core).
    seed : the grid seed; member seeds are derived from it and each config's hash.
    metric, mode : how the best configuration is chosen (``"max"`` or ``"min"``).
    progress, name : show a progress bar (configurations done, running, queued; time left),
        labelled ``name``.
    fail_fast : stop starting new tasks after the first failure.
    cost : optional ``cost(members) -> float``, a task's expected work. With it and more than
        one worker, a group task costing more than an even share of the total (``total / jobs``)
        is split into that many near-equal parts, and tasks start longest first (so the largest
        is never last and alone).
    dispatched : after :meth:`run`, the member ids of each task that ended, in completion order.
    """

    root: Path
    fn: MemberFn | None = None
    group_fn: GroupFn | None = None
    group_by: Callable[[dict[str, Any]], Hashable] | None = None
    max_group: int | Callable[[Hashable, list[Member]], int] | None = None
    backend: Backend | None = None
    jobs: int | None = None
    seed: int = 0
    metric: str = "best_dev_accuracy"
    mode: str = "max"
    progress: bool = True
    name: str = "grid"
    fail_fast: bool = False
    cost: Callable[[list[Member]], float] | None = None
    dispatched: list[list[str]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        if (self.fn is None) == (self.group_fn is None):
            raise ConfigError("give exactly one of fn (one member per call) or group_fn (groups)")
        if self.group_by is not None and self.group_fn is None:
            raise ConfigError("group_by needs group_fn (a function of a list of members)")
        if self.mode not in ("max", "min"):
            raise ConfigError(f"mode must be 'max' or 'min', got {self.mode!r}")

    def members(self, spec: GridSpec) -> list[Member]:
        """Every configuration with its seed and folder (seeds fixed here, before any dispatch)."""
        return [Member(config=c, seed=child_seed(self.seed, int(c.hash, 16)),
                       out_dir=self.root / c.id) for c in spec.expand()]

    def tasks(self, todo: list[Member]) -> list[_Task]:
        """Group the unfinished members into tasks, in grid order of each group's first member."""
        if self.group_fn is None:
            tasks = [_Task(self.fn, False, self.root, (m,)) for m in todo]
            return self._balanced(tasks) if self.cost is not None else tasks
        groups: dict[Hashable, list[Member]] = {}
        for m in todo:
            key = self.group_by(m.params) if self.group_by else m.id
            groups.setdefault(key, []).append(m)
        tasks = []
        for key, g in groups.items():
            cap = self.max_group(key, g) if callable(self.max_group) else self.max_group
            cap = max(int(cap or len(g)), 1)
            tasks += [_Task(self.group_fn, True, self.root, tuple(g[i:i + cap]))
                      for i in range(0, len(g), cap)]
        return self._balanced(tasks) if self.cost is not None else tasks

    def _balanced(self, tasks: list[_Task]) -> list[_Task]:
        """Split tasks above ``total cost / jobs`` into near-equal parts; longest first (stable)."""
        jobs = (self.backend.jobs if self.backend is not None else None) or self.jobs or os.cpu_count() or 1
        if jobs <= 1:  # one worker: the order does not change the wall time; keep grid order
            return tasks
        costs = [float(self.cost(list(t.members))) for t in tasks]
        share = sum(costs) / max(int(jobs), 1)
        parts: list[tuple[float, _Task]] = []
        for t, c in zip(tasks, costs):
            k = max(1, min(len(t.members), math.ceil(c / share - 1e-9))) if share > 0 else 1
            bounds = [round(i * len(t.members) / k) for i in range(k + 1)]
            parts += [(c * (b - a) / len(t.members), _Task(t.fn, t.grouped, t.root, t.members[a:b]))
                      for a, b in itertools.pairwise(bounds)]
        return [t for _, t in sorted(parts, key=lambda ct: -ct[0])]

    def run(self, spec: GridSpec) -> GridResult:
        """Run every unfinished configuration of ``spec``; return all records (resumable).

        The grid's root is locked meanwhile (:class:`~dlhw.training.run_folder.FolderLock`): a
        second process on the same grid fails at once with "already running (pid N)".
        """
        from dlhw.training.run_folder import FolderLock

        with FolderLock(self.root, what=f"grid {self.root}"):
            return self._run(spec)

    def _run(self, spec: GridSpec) -> GridResult:
        store = GridStore(self.root)
        save_json(self.root / "grid.json", {**spec.to_dict(), "seed": self.seed})
        members = self.members(spec)
        todo = [m for m in members if not store.is_finished(m.id)]
        tasks = self.tasks(todo)
        failures = self._dispatch(tasks, done=len(members) - len(todo), total=len(members))
        result = GridResult.load(spec, self.root, [m.id for m in members], self.metric, self.mode)
        if failures:
            first = failures[0][1]
            ids = ", ".join(i for i, _ in failures[:3]) + (" ..." if len(failures) > 3 else "")
            raise GridError(f"{len(failures)} of {len(members)} configurations failed ({ids}); first: "
                            f"{type(first).__name__}: {first}; fix it and rerun to resume "
                            f"({len(result.records)} finished are kept in {self.root})") from first
        return result

    def _dispatch(self, tasks: list[_Task], *, done: int, total: int) -> list[tuple[str, BaseException]]:
        from tqdm.auto import tqdm

        backend = self.backend or local_backend(self.jobs)
        failures: list[tuple[str, BaseException]] = []
        queued = sum(len(t.members) for t in tasks)
        bar = tqdm(total=total, initial=done, unit="config", desc=self.name,
                   dynamic_ncols=True, **bar_options(self.progress))

        def show(finished_tasks: int, update: int = 0) -> None:
            running = sum(len(t.members) for t in tasks[finished_tasks:finished_tasks + backend.jobs])
            bar.set_postfix(running=running, queued=max(queued - running, 0), failed=len(failures),
                            refresh=False)
            bar.update(update) if update else bar.refresh()

        try:
            show(0)
            stop = lambda: self.fail_fast and bool(failures)  # noqa: E731
            detached = getattr(backend, "detached", False)  # workers without the root's file system
            work = _run_task_detached if detached else _run_task
            for finished, (i, out, exc) in enumerate(backend.imap(work, tasks, stop=stop), 1):
                n = len(tasks[i].members)
                self.dispatched.append([m.id for m in tasks[i].members])
                if detached and exc is None:
                    try:
                        _install(GridStore(self.root), tasks[i].members, out)
                    except (OSError, DlhwError) as err:  # e.g. a full disk: those members fail
                        exc = err
                if exc is not None:
                    failures.extend((m.id, exc) for m in tasks[i].members)
                    _note_failure(GridStore(self.root), tasks[i].members, exc)
                queued -= n
                show(finished, 0 if exc is not None else n)
                done += 0 if exc is not None else n
                log.info("%s: %s %d configuration(s); %d of %d done, %d failed", self.name or "grid",
                         "failed" if exc is not None else "finished", n, done, total, len(failures))
        finally:
            bar.close()
        return failures


def run_grid(spec: GridSpec, fn: MemberFn, root: str | os.PathLike, **options: Any) -> GridResult:
    """Shortcut: ``GridRunner(root, fn=fn, **options).run(spec)``."""
    return GridRunner(Path(root), fn=fn, **options).run(spec)

"""Where the units of work run: the :class:`Backend` interface and the local implementations.

A backend takes a picklable function and a list of tasks and yields ``(index, result, error)``
as tasks finish, in any order. It never sees configurations, folders or seeds: the runner builds
the tasks (groups of members) and the worker writes the records, so a new backend (e.g. Ray:
``ray.remote(fn)`` per task, ``ray.wait`` for completions) only implements :meth:`Backend.imap`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from dlhw.validation import check_int

TaskOutcome = tuple[int, Any, BaseException | None]  # (task index, its value, the error it raised)
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


class Backend(ABC):
    """Runs tasks; ``jobs`` is how many run at once (the progress bar's "running")."""

    jobs: int = 1

    @abstractmethod
    def imap(self, fn: Callable[[Any], Any], tasks: Sequence[Any], *,
             stop: Callable[[], bool] = lambda: False) -> Iterator[TaskOutcome]:
        """Run ``fn(task)`` for each task; yield ``(index, result, None)`` or ``(index, None, exc)``.

        No new task is started once ``stop()`` is true (tasks already running finish).
        """


class SerialBackend(Backend):
    """Runs tasks one after the other in this process (debugging, tests, ``jobs=1``)."""

    jobs = 1

    def imap(self, fn, tasks, *, stop=lambda: False):
        for i, task in enumerate(tasks):
            if stop():
                return
            try:
                result = fn(task)
            except Exception as exc:  # the runner reports it; KeyboardInterrupt propagates
                yield i, None, exc
            else:
                yield i, result, None


def _limit_threads(threads: int, parent_pid: int | None = None) -> None:
    """Worker initialiser: ``threads`` BLAS/torch threads per process (no oversubscription);
    the worker exits when ``parent_pid`` dies (:mod:`dlhw.grid.lifeline`: no orphans)."""
    if parent_pid is not None:
        from dlhw.grid.lifeline import die_with_parent

        die_with_parent(parent_pid)
    for var in THREAD_VARS:
        os.environ.setdefault(var, str(threads))
    import sys

    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


@contextlib.contextmanager
def _child_environment(threads: int) -> Iterator[None]:
    """Set the thread variables that spawned children inherit (restored afterwards)."""
    saved = {v: os.environ.get(v) for v in THREAD_VARS}
    for var in THREAD_VARS:
        os.environ.setdefault(var, str(threads))
    try:
        yield
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value


def _call_pickled(payload: bytes) -> Any:
    """Worker side of :func:`_by_value`: unpickle ``(fn, task)`` and return ``fn(task)``."""
    import pickle

    fn, task = pickle.loads(payload)  # cloudpickle output loads with plain pickle
    return fn(task)


def _by_value(fn: Callable[[Any], Any], tasks: Sequence[Any]) -> list[bytes] | None:
    """Each ``(fn, task)`` pickled with cloudpickle, or None (with one warning) when that fails.

    cloudpickle serialises by value what plain pickle can only name by reference: lambdas,
    closures, and functions defined in ``__main__`` (a notebook, ``python -`` reading a script
    from stdin, an interactive session), which a spawned worker could not import.
    """
    import cloudpickle

    try:
        return [cloudpickle.dumps((fn, task)) for task in tasks]
    except Exception as exc:  # an unpicklable closure (a lock, an open file, a generator ...)
        warnings.warn(f"the grid's work cannot be sent to worker processes ({type(exc).__name__}: "
                      f"{exc}); running its {len(tasks)} tasks one at a time in this process. "
                      f"Define the work function at module level to run them in parallel.",
                      RuntimeWarning, stacklevel=3)
        return None


@contextlib.contextmanager
def _main_without_missing_file() -> Iterator[None]:
    """Hide a ``__main__.__file__`` that names no file (``<stdin>`` of ``python -``) while workers
    spawn: ``spawn`` would rerun it in each worker and fail (the work travels by value anyway)."""
    import sys

    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None or os.path.isfile(path):
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


class ProcessBackend(Backend):
    """One process per task, ``jobs`` at a time (``spawn``: safe with threads and torch).

    At most ``jobs`` tasks are in flight, so an interrupt loses at most ``jobs`` tasks' progress
    and "running" is exact. Each process gets ``cores // jobs`` BLAS threads. Work and tasks
    travel by cloudpickle, so a lambda or a function defined in a notebook or a stdin script runs
    too; work that even cloudpickle cannot send runs serially here, after one warning.
    """

    def __init__(self, jobs: int) -> None:
        self.jobs = check_int(jobs, "jobs")
        self.threads = max(1, (os.cpu_count() or 1) // self.jobs)

    def imap(self, fn, tasks, *, stop=lambda: False):
        payloads = _by_value(fn, tasks)
        if payloads is None:
            yield from SerialBackend().imap(fn, tasks, stop=stop)
            return
        pending = list(enumerate(payloads))[::-1]  # pop() from the end keeps grid order
        ctx = multiprocessing.get_context("spawn")
        with _child_environment(self.threads), ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=ctx, initializer=_limit_threads,
                initargs=(self.threads, os.getpid())) as pool:
            running: dict[Future, int] = {}
            while pending or running:
                while pending and len(running) < self.jobs and not stop():
                    i, task = pending[-1]
                    try:
                        with _main_without_missing_file():  # workers spawn on the first submit
                            running[pool.submit(_call_pickled, task)] = i
                    except BrokenProcessPool as exc:  # a worker died (kill -9, out of memory)
                        yield from ((j, None, exc) for j, _ in reversed(pending))
                        pending.clear()
                        break
                    pending.pop()
                if not running:
                    return
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    i = running.pop(fut)
                    exc = fut.exception()
                    yield i, (None if exc else fut.result()), exc


def default_jobs() -> int:
    """Every core of this machine."""
    return os.cpu_count() or 1


def local_backend(jobs: int | None = None) -> Backend:
    """:class:`SerialBackend` for ``jobs == 1``, else :class:`ProcessBackend` (``None``/0: all cores)."""
    jobs = default_jobs() if not jobs else check_int(jobs, "jobs")
    return SerialBackend() if jobs == 1 else ProcessBackend(jobs)

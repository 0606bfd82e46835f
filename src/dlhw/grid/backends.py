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
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from dlhw.validation import check_int

Outcome = tuple[int, Any, BaseException | None]
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


class Backend(ABC):
    """Runs tasks; ``jobs`` is how many run at once (the progress bar's "running")."""

    jobs: int = 1

    @abstractmethod
    def imap(self, fn: Callable[[Any], Any], tasks: Sequence[Any], *,
             stop: Callable[[], bool] = lambda: False) -> Iterator[Outcome]:
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


def _limit_threads(threads: int) -> None:
    """Worker initialiser: ``threads`` BLAS/torch threads per process (no oversubscription)."""
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


class ProcessBackend(Backend):
    """One process per task, ``jobs`` at a time (``spawn``: safe with threads and torch).

    At most ``jobs`` tasks are in flight, so an interrupt loses at most ``jobs`` tasks' progress
    and "running" is exact. Each process gets ``cores // jobs`` BLAS threads.
    """

    def __init__(self, jobs: int) -> None:
        self.jobs = check_int(jobs, "jobs")
        self.threads = max(1, (os.cpu_count() or 1) // self.jobs)

    def imap(self, fn, tasks, *, stop=lambda: False):
        pending = list(enumerate(tasks))[::-1]  # pop() from the end keeps grid order
        ctx = multiprocessing.get_context("spawn")
        with _child_environment(self.threads), ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=ctx, initializer=_limit_threads,
                initargs=(self.threads,)) as pool:
            running: dict[Future, int] = {}
            while pending or running:
                while pending and len(running) < self.jobs and not stop():
                    i, task = pending[-1]
                    try:
                        running[pool.submit(fn, task)] = i
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

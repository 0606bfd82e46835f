"""Run a grid's tasks on a Ray cluster (``pip install dlhw[distributed]``).

Each task (a group of configurations, e.g. one ensemble) becomes one Ray task; at most ``jobs``
are in flight, so stopping after a failure and the progress bar's "running" behave as locally.
The workers write the member folders and records themselves, through the same
:class:`~dlhw.grid.store.GridStore`, so the grid's root must be on a file system that every
node sees (a shared or network file system; on one machine, any folder), and every node needs
dlhw installed and the data set in the same ``--data-dir``. Ray is imported only when a
:class:`RayBackend` is created.

    dlhw run hw2526.q2.2a --backend ray --address ray://head:10001 --jobs 8
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from dlhw.errors import ConfigError
from dlhw.grid.backends import Backend, Outcome, local_backend

BACKENDS = ("local", "ray")


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ConfigError("the Ray backend needs the 'ray' package; install it with "
                          "`pip install dlhw[distributed]` or use --backend local") from None
    return ray


def _call(fn: Callable[[Any], Any], task: Any) -> Any:
    """What each Ray task runs (a module-level function, importable on the workers)."""
    return fn(task)


class RayBackend(Backend):
    """Tasks as Ray tasks on the cluster at ``address`` (None: the running or a new local one).

    Parameters
    ----------
    address : Ray address (``"auto"``, ``"ray://host:10001"``); None starts or reuses a local Ray.
    jobs : tasks in flight at once (None: the cluster's CPUs / ``num_cpus``).
    num_cpus, num_gpus : resources each task reserves (``num_gpus=1`` for one GPU per ensemble).
    init_options : extra ``ray.init`` keyword arguments (used only when this call starts Ray).
    """

    def __init__(self, address: str | None = None, jobs: int | None = None, *, num_cpus: float = 1,
                 num_gpus: float = 0, init_options: dict[str, Any] | None = None) -> None:
        ray = _import_ray()
        self.started = not ray.is_initialized()
        if self.started:
            ray.init(address=address, include_dashboard=False, **(init_options or {}))
        self.options = {"num_cpus": num_cpus, "num_gpus": num_gpus, "max_retries": 0}
        cpus = float(ray.cluster_resources().get("CPU", 1))
        self.jobs = int(jobs) if jobs else max(1, int(cpus // max(num_cpus, 1e-9)))
        if self.jobs < 1:
            raise ConfigError(f"jobs must be >= 1, got {jobs}")

    def imap(self, fn, tasks: Sequence[Any], *, stop=lambda: False) -> Iterator[Outcome]:
        ray = _import_ray()
        remote = ray.remote(**self.options)(_call)
        pending = list(enumerate(tasks))[::-1]
        running: dict[Any, int] = {}
        while pending or running:
            while pending and len(running) < self.jobs and not stop():
                i, task = pending.pop()
                running[remote.remote(fn, task)] = i
            if not running:
                return
            done, _ = ray.wait(list(running), num_returns=1)
            for ref in done:
                i = running.pop(ref)
                try:
                    yield i, ray.get(ref), None
                except ray.exceptions.RayTaskError as exc:  # the task's own exception
                    yield i, None, exc.as_instanceof_cause()
                except ray.exceptions.RayError as exc:  # a worker died, the cluster went away
                    yield i, None, exc

    def close(self) -> None:
        """Shut Ray down if this backend started it."""
        if self.started:
            _import_ray().shutdown()
            self.started = False


def make_backend(name: str = "local", *, jobs: int | None = 1, address: str | None = None,
                 num_gpus: float = 0) -> Backend:
    """The backend called ``name``: ``"local"`` (processes on this machine) or ``"ray"``."""
    if name == "local":
        if address:
            raise ConfigError("--address is for --backend ray; drop it or add --backend ray")
        return local_backend(jobs)
    if name == "ray":
        return RayBackend(address, jobs if jobs and jobs > 1 else None, num_gpus=num_gpus)
    raise ConfigError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")

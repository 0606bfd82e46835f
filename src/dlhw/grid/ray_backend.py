"""Run a grid's tasks on a Ray cluster, with no file system shared between its nodes.

``pip install dlhw[distributed]``; Ray is imported only when a :class:`RayBackend` is created.

Each task (a group of configurations, e.g. one ensemble) becomes one Ray task; at most ``jobs``
are in flight, so stopping after a failure and the progress bar's "running" behave as locally.
A worker runs its task in a temporary folder on its own node and returns everything the
members produced (record, history, best and last checkpoints as arrays, plots as bytes:
:class:`~dlhw.grid.transfer.MemberFiles`) through Ray's object store; the driver writes them
into the grid's root with the same atomic store as the local backend, the record last. The
root therefore lives on the driver's machine only, and resuming (after the driver was killed
or the cluster went away) is the driver's: rerun the same command and finished members are
kept, the rest run once.

Faults:

* a worker node (or worker process) that dies mid-task: Ray runs the task again on another
  node, at most ``max_retries`` times (default :data:`MAX_RETRIES` = 3); after that the task's
  members are recorded as failed. A retry starts the task afresh (its files lived on the dead
  node); nothing is counted twice, since only the driver writes records.
* a task that raises: its members are recorded as failed (``failed.json`` with the message,
  and the :class:`~dlhw.grid.runner.GridError` at the end), the rest of the grid goes on.
  Exceptions are not retried (they would fail again).
* an ``address`` where nothing answers: a one-line :class:`~dlhw.errors.ConfigError` within
  ``connect_timeout`` seconds (default :data:`CONNECT_TIMEOUT` = 15).

Data: by default every node loads the data set itself (``--data-dir`` on each node, the same
folder layout); :meth:`RayBackend.share` instead puts an object into the object store once, and
each node fetches it once (``--ship-data``).

GPUs: ``num_gpus`` is what each task reserves (``--device cuda`` reserves one GPU per task, i.e.
per ensemble; fractions such as 0.5 put two tasks on one GPU).

    ray start --head --port 6379                      # on the head node
    ray start --address HEAD:6379                     # on every other node
    dlhw run hw2526.q2.2a --backend ray --address HEAD:6379 --jobs 8
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from dlhw.errors import ConfigError
from dlhw.grid.backends import Backend, TaskOutcome

MAX_RETRIES = 3        # reruns of a task whose worker or node died (Ray's max_retries)
CONNECT_TIMEOUT = 15.0  # seconds to reach --address before giving up with one line


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ConfigError("the Ray backend needs the 'ray' package; install it with "
                          "`pip install dlhw[distributed]` or use --backend local") from None
    return ray


def _call(fn: Callable[[Any], Any], task: Any) -> Any:
    """What each Ray task runs (a module-level function, importable on the workers)."""
    with warnings.catch_warnings():  # shared data sets are read-only by design (never written)
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return fn(task)


def host_port(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of ``"host:port"`` or ``"ray://host:port"``; None for ``"auto"``/``"local"``.

    >>> host_port("ray://10.0.0.5:10001"), host_port("[::1]:6379"), host_port("auto")
    (('10.0.0.5', 10001), ('::1', 6379), None)
    """
    if address in ("auto", "local"):
        return None
    m = re.fullmatch(r"(?:ray://)?(\[[^\]]+\]|[^:/\[\]]+):(\d+)/?", address)
    if m is None:
        raise ConfigError(f"--address {address!r} is not HOST:PORT or ray://HOST:PORT (e.g. "
                          f"10.0.0.5:6379 from `ray start --head`), nor 'auto'")
    return m.group(1).strip("[]"), int(m.group(2))


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Raise a one-line :class:`ConfigError` unless something accepts a connection at ``address``."""
    hp = host_port(address)
    if hp is None:
        return
    try:
        with socket.create_connection(hp, timeout=timeout):
            pass
    except OSError as exc:
        reason = (f"no answer within {timeout:g} s" if isinstance(exc, TimeoutError)
                  else (exc.strerror or str(exc)).lower())
        raise ConfigError(f"cannot reach the Ray cluster at {address} ({reason}); start it with "
                          f"`ray start --head` there, or fix --address") from None


class _NotMainThread(logging.Filter):
    """Drops Ray's warning that a driver started off the main thread has no SIGTERM handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "SIGTERM handler is not set" not in record.getMessage()


def _init_within(ray: Any, timeout: float, options: dict[str, Any]) -> None:
    """``ray.init(**options)``, or a one-line ConfigError after ``timeout`` seconds.

    Ray retries an unanswered cluster for minutes (e.g. a port where something else listens,
    or a head that advertises an address this machine cannot reach), so the call runs in a
    daemon thread that is abandoned if it does not return in time.
    """
    address, box = options["address"], {}

    def connect() -> None:
        try:
            ray.init(**options)
        except Exception as exc:  # noqa: BLE001 - reported below, as one line
            box["error"] = exc
        box["done"] = True

    quiet = _NotMainThread()
    logging.getLogger("ray").addFilter(quiet)
    for handler in logging.getLogger("ray").handlers:
        handler.addFilter(quiet)
    try:
        thread = threading.Thread(target=connect, name="dlhw-ray-init", daemon=True)
        thread.start()
        thread.join(timeout)
    finally:
        for handler in logging.getLogger("ray").handlers:
            handler.removeFilter(quiet)
        logging.getLogger("ray").removeFilter(quiet)
    if "done" not in box:
        raise ConfigError(f"no Ray cluster answered at {address} within {timeout:g} s (something "
                          f"listens there, but not a Ray head, or the head advertises an address "
                          f"this machine cannot reach); check --address and the head's `ray start`")
    if "error" in box:
        exc = box["error"]
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(f"cannot connect to the Ray cluster at {address}: {first}; check --address "
                          f"(the head's `ray start` prints it)")


class SharedData:
    """A picklable ``() -> value`` whose value travels through Ray's object store.

    Made by :meth:`RayBackend.share`: the value is put once; a node fetches it once into its own
    object store and every worker there reads it from shared memory (arrays read-only).
    """

    def __init__(self, ref: Any) -> None:
        self.ref = ref

    def __call__(self) -> Any:
        return _import_ray().get(self.ref)


class RayBackend(Backend):
    """Tasks as Ray tasks on the cluster at ``address`` (None: the running or a new local one).

    Parameters
    ----------
    address : Ray address (``"HOST:6379"``, ``"ray://HOST:10001"``, ``"auto"``); None starts or
        reuses a local Ray.
    jobs : tasks in flight at once (None: the cluster's CPUs / ``num_cpus``).
    num_cpus, num_gpus : resources each task reserves (``num_gpus=1``: one GPU per ensemble).
    max_retries : reruns of a task whose worker process or node died (not of exceptions).
    connect_timeout : seconds to reach ``address`` before a one-line ConfigError.
    init_options : extra ``ray.init`` keyword arguments (used only when this call starts Ray).

    ``detached`` tells the runner that workers do not see the grid's root: they return the
    members' files and the driver writes them.
    """

    detached = True

    def __init__(self, address: str | None = None, jobs: int | None = None, *, num_cpus: float = 1,
                 num_gpus: float = 0, max_retries: int = MAX_RETRIES,
                 connect_timeout: float = CONNECT_TIMEOUT,
                 init_options: dict[str, Any] | None = None) -> None:
        ray = _import_ray()
        if num_cpus < 0 or num_gpus < 0:
            raise ConfigError(f"num_cpus and num_gpus must be >= 0, got {num_cpus} and {num_gpus}")
        if int(max_retries) < 0:
            raise ConfigError(f"max_retries must be >= 0, got {max_retries}")
        self.started = not ray.is_initialized()
        if self.started:
            options = {"address": address, "include_dashboard": False, **(init_options or {})}
            if address:
                check_reachable(address, connect_timeout)
                _init_within(ray, connect_timeout, options)
            else:
                ray.init(**options)
        self.options = {"num_cpus": num_cpus, "num_gpus": num_gpus,
                        "max_retries": int(max_retries), "retry_exceptions": False}
        cpus = float(ray.cluster_resources().get("CPU", 1))
        self.jobs = int(jobs) if jobs else max(1, int(cpus // max(num_cpus, 1e-9)))
        if self.jobs < 1:
            raise ConfigError(f"jobs must be >= 1, got {jobs}")

    def share(self, value: Any) -> SharedData:
        """``value`` in the object store once; the returned function gets it on any node."""
        return SharedData(_import_ray().put(value))

    def imap(self, fn, tasks: Sequence[Any], *, stop=lambda: False) -> Iterator[TaskOutcome]:
        ray = _import_ray()
        remote = ray.remote(**self.options)(_call)
        pending = list(enumerate(tasks))[::-1]
        running: dict[Any, int] = {}
        try:
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
                        cause = exc.cause if isinstance(exc.cause, Exception) else exc
                        yield i, None, cause
                    except ray.exceptions.RayError as exc:  # retries used up, the cluster went away
                        yield i, None, exc
        finally:
            for ref in running:  # an interrupted driver: don't leave tasks running for nobody
                with contextlib.suppress(Exception):  # Ray already gone: nothing left to cancel
                    ray.cancel(ref, force=True)

    def close(self) -> None:
        """Shut Ray down if this backend started it."""
        if self.started:
            _import_ray().shutdown()
            self.started = False

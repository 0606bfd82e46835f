"""The run folder: the one place a training run keeps its files, resumes from, and is locked by.

Every training loop (the numpy protocol :mod:`dlhw.training.protocol`, the plain torch loop
:mod:`dlhw.training.torch_loop`, the stacked-ensemble trainer and the batch-1 fast path) *uses*
a :class:`RunFolder` instead of writing file names itself. A run is identified by its
**fingerprint**: a JSON-able dict of everything that determines its numbers (model and
configuration, learning rate, seed, data set and split sizes, ...; see :func:`run_signature`).

Files (all written atomically by :mod:`dlhw.io`; ``.npz`` checkpoints carry a JSON sidecar)::

    config.json     the fingerprint (written when the run starts)
    state.json      the last finished epoch: {"signature", "epoch", "checkpoint", "history"}
                    (torch loops; removed when the run finishes)
    last-0.npz      alternating resume checkpoints (weights + optimiser state): epoch k writes
    last-1.npz      last-{k % 2}, so the one state.json points to is never being overwritten
    last.npz        the final weights (torch: promoted from last-k at the end; numpy: written
                    every epoch with the history inside, one atomic file)
    best.npz        the best-validation checkpoint; its metadata holds "epoch" and "fingerprint"
    history.json    metrics per epoch (:class:`~dlhw.training.history.History`)
    metrics.csv     the same, one row per epoch (Lightning CSVLogger shape), for pandas and tools
    run.json        written last: {"signature", "status": "finished", "result"} or
                    {"signature", "status": "diverged", "message"}
    .lock           the exclusive lock of a live run (see :meth:`RunFolder.lock`; removed at
                    the end, left behind only by a killed process, and harmless then)

**Trust.** Nothing in a folder is used unless it belongs to this run: :meth:`state`,
:meth:`record` and :meth:`finished` ignore files of another fingerprint, and
:meth:`check_checkpoint` refuses a checkpoint whose stored fingerprint differs (a ``best.npz``
copied in from another configuration is never scored as this run's).

**Never delete implicitly.** :meth:`foreign` tells whether the folder holds files of *another*
run; a loop then raises :meth:`different_run_error` (one line: use another folder to keep both,
or ``overwrite`` to replace on purpose) unless the caller asked to overwrite, in which case
:meth:`clear` removes the other run's files.

**Lock rule.** At most one process trains in a folder: :meth:`lock` takes an exclusive
``flock`` on ``.lock`` (non-blocking) and a second process fails at once with
``<folder> is already running (pid N)`` (:class:`~dlhw.errors.RunLockedError`). The operating
system releases the lock when its process dies, even by ``kill -9``, so a lock is never stale.
The lock is re-entrant within one process (nested loops of one run may each take it).

Example (what a loop does)::

    folder = RunFolder(out_dir, run_signature(cfg, seed, dataset))
    with folder.lock():
        if (done := folder.finished()) is not None:    # stored result (or DivergenceError)
            return done
        state = folder.state()                          # resume point or None
        ...
        folder.save_state(epoch, checkpoint_name, history)   # after each epoch
        folder.record_finished(result_dict)                  # last
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

from dlhw.errors import CheckpointError, DivergenceError, RunLockedError
from dlhw.io import load_json, save_json

CONFIG_FILE, STATE_FILE, RUN_FILE = "config.json", "state.json", "run.json"
BEST_FILE, LAST_FILE, HISTORY_FILE, LOCK_FILE = "best.npz", "last.npz", "history.json", ".lock"

__all__ = ["BEST_FILE", "CONFIG_FILE", "LAST_FILE", "LOCK_FILE", "RUN_FILE", "STATE_FILE",
           "FolderLock", "RunFolder", "divergence_message", "run_signature"]


def run_signature(config: Mapping[str, Any], seed: int, dataset: Any, **extra: Any) -> dict[str, Any]:
    """The fingerprint of a torch run: configuration, seed, data set name and split sizes.

    ``dataset`` is a :class:`dlhw.data.Dataset`; ``extra`` adds keys (the ensemble's
    ``data_seed``). Two runs with equal signatures produce the same numbers.
    """
    sig = {"config": dict(config), "seed": int(seed), "dataset": dataset.name,
           "sizes": {k: len(v[1]) for k, v in dataset.splits().items()}}
    return {**sig, **{k: (int(v) if isinstance(v, bool | int) else v) for k, v in extra.items()}}


def divergence_message(epoch: int, learning_rate: float, what: str, *, optimizer: str | None = None) -> str:
    """The one-line divergence message every loop raises (``what``: e.g. ``mean loss nan``)."""
    opt = f", optimizer {optimizer}" if optimizer else ""
    return (f"training diverged at epoch {epoch} (lr={learning_rate:g}{opt}): {what}; "
            f"lower the learning rate")


class FolderLock:
    """An exclusive, non-blocking, re-entrant (per process) ``flock`` on ``folder/name``.

    ``acquire()`` raises :class:`RunLockedError` naming the holder's pid when another process
    holds it. The pid is written into the lock file for that message only; the lock itself is
    the kernel's, released when the holder exits or dies (a file left by a killed holder is
    simply locked again). The last release removes the file, so a finished folder holds no
    ``.lock``. Where ``fcntl`` does not exist (Windows) the lock is a no-op.
    """

    _held: ClassVar[dict[str, list[int]]] = {}  # realpath -> [fd, depth, pid]: re-entrancy within a process

    def __init__(self, folder: str | os.PathLike, name: str = LOCK_FILE, what: str | None = None):
        self.path = Path(folder) / name
        self.what = what or str(folder)

    def _key(self) -> str:
        return os.path.realpath(self.path)

    def acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return
        key = self._key()
        held = self._held.get(key)
        if held is not None and held[2] == os.getpid():
            held[1] += 1
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:  # bounded: each retry means another process removed the file meanwhile
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                raise RunLockedError(f"{self.what} is already running (pid {pid}); wait for it "
                                     f"to finish, or use another output folder") from None
            except BaseException:
                os.close(fd)
                raise
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:  # the file we locked is still the lock file (not unlinked by its last holder)
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._held[key] = [fd, 1, os.getpid()]

    def release(self) -> None:
        """Drop one level; the last one removes the lock file (still holding it) and unlocks."""
        key = self._key()
        held = self._held.get(key)
        if held is None or held[2] != os.getpid():
            return
        held[1] -= 1
        if held[1] == 0:
            del self._held[key]
            self.path.unlink(missing_ok=True)  # while locked: no one else can hold this inode
            os.close(held[0])  # closing the descriptor releases the flock

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class RunFolder:
    """The files of one training run in ``path``, identified by ``fingerprint`` (module docstring).

    The object holds no training state: it names the files, reads what belongs to this run,
    writes the state/record files atomically, and locks the folder. Loops compose it.
    """

    def __init__(self, path: str | os.PathLike, fingerprint: Mapping[str, Any]):
        self.path = Path(path)
        self.fingerprint = dict(fingerprint)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    # -- file names --------------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def state_path(self) -> Path:
        return self.path / STATE_FILE

    @property
    def record_path(self) -> Path:
        return self.path / RUN_FILE

    @property
    def best_path(self) -> Path:
        return self.path / BEST_FILE

    @property
    def last_path(self) -> Path:
        return self.path / LAST_FILE

    @property
    def history_path(self) -> Path:
        return self.path / HISTORY_FILE

    def last_slot(self, epoch: int) -> Path:
        """The alternating resume checkpoint of ``epoch``: ``last-{epoch % 2}.npz``."""
        return self.path / f"last-{epoch % 2}.npz"

    # -- lock --------------------------------------------------------------------------------
    def lock(self) -> FolderLock:
        """The folder's exclusive lock, as a context manager (see the module's lock rule)."""
        return FolderLock(self.path, LOCK_FILE, what=str(self.path))

    # -- config, state, record ---------------------------------------------------------------
    def write_config(self) -> Path:
        """Write ``config.json`` (the fingerprint)."""
        return save_json(self.config_path, self.fingerprint)

    def state(self) -> dict[str, Any] | None:
        """``state.json`` when it belongs to this run (its signature equals the fingerprint)."""
        if not self.state_path.exists():
            return None
        state = load_json(self.state_path)
        return state if state.get("signature") == self.fingerprint else None

    def save_state(self, epoch: int, checkpoint: str, history: Any) -> Path:
        """Point ``state.json`` at ``checkpoint`` (a file name in the folder) after ``epoch``."""
        return save_json(self.state_path, {"signature": self.fingerprint, "epoch": int(epoch),
                                           "checkpoint": checkpoint, "history": history.to_dict()})

    def record(self) -> dict[str, Any] | None:
        """``run.json`` when it belongs to this run, else None."""
        if not self.record_path.exists():
            return None
        record = load_json(self.record_path)
        return record if record.get("signature") == self.fingerprint else None

    def finished(self) -> dict[str, Any] | None:
        """The stored result dict of this run when it finished; raises its DivergenceError
        when it diverged (so a rerun fails at once instead of retraining); else None."""
        record = self.record()
        if record is None:
            return None
        if record.get("status") == "diverged":
            raise DivergenceError(record["message"])
        return record.get("result")

    def record_finished(self, result: Mapping[str, Any]) -> Path:
        """Write ``run.json`` (status finished): the last file of a run."""
        return save_json(self.record_path, {"signature": self.fingerprint, "status": "finished",
                                            "result": dict(result)})

    def record_diverged(self, exc: DivergenceError | str) -> DivergenceError:
        """Write ``run.json`` (status diverged) and return the error to raise."""
        exc = exc if isinstance(exc, DivergenceError) else DivergenceError(exc)
        save_json(self.record_path, {"signature": self.fingerprint, "status": "diverged",
                                     "message": str(exc)})
        return exc

    def promote_last(self, epochs: int) -> None:
        """At the end of a torch run: ``last-{epochs % 2}`` becomes ``last.npz``; resume files go."""
        final = f"last-{epochs % 2}"
        for ext in (".npz", ".json"):
            if (self.path / f"{final}{ext}").exists():
                os.replace(self.path / f"{final}{ext}", self.path / f"{LAST_FILE.removesuffix('.npz')}{ext}")
        for stale in [*self.path.glob("last-*"), self.state_path]:
            stale.unlink(missing_ok=True)

    # -- checkpoints and other runs ----------------------------------------------------------
    def check_checkpoint(self, path: str | os.PathLike, meta: Mapping[str, Any]) -> None:
        """Refuse checkpoint ``path`` when its stored ``fingerprint`` is not this run's.

        A checkpoint written without a fingerprint (older dlhw) is refused too: it cannot be
        shown to belong to this run.
        """
        stored = meta.get("fingerprint")
        if stored != self.fingerprint:
            raise CheckpointError(f"{path} belongs to another run ({self.difference(stored)}); "
                                  f"it is not used: delete it, or rerun with overwrite "
                                  f"(--overwrite) to retrain this folder")

    def difference(self, other: Mapping[str, Any] | None) -> str:
        """A short ``key old != new`` list of how fingerprint ``other`` differs from this run's."""
        if not other:
            return "no fingerprint stored"
        keys = sorted(set(other) | set(self.fingerprint))
        parts = [f"{k} {other.get(k)!r} != {self.fingerprint.get(k)!r}" for k in keys
                 if other.get(k) != self.fingerprint.get(k)]
        text = ", ".join(parts)
        return text if len(text) < 300 else text[:297] + "..."

    def stored_fingerprint(self) -> dict[str, Any] | None:
        """The fingerprint of whatever run the folder's ``config.json``/``state``/``run.json``
        describe (the first found), or None for a folder without a run."""
        for path, key in ((self.record_path, "signature"), (self.state_path, "signature"),
                          (self.config_path, None)):
            if path.exists():
                try:
                    data = load_json(path)
                except CheckpointError:
                    continue
                return data.get(key) if key else data
        return None

    def foreign(self) -> dict[str, Any] | None:
        """The fingerprint of *another* run whose files are in the folder, else None."""
        stored = self.stored_fingerprint()
        return stored if stored is not None and stored != self.fingerprint else None

    def different_run_error(self, other: Mapping[str, Any] | None) -> CheckpointError:
        """The one-line refusal to touch a folder that holds another run's files."""
        return CheckpointError(f"{self.path} holds a different run ({self.difference(other)}); "
                               f"nothing was deleted: use another output folder to keep both, or "
                               f"--overwrite to replace it")

    def clear(self) -> None:
        """Delete every run file (checkpoints, state, record, history, config) of the folder.

        Only for an explicit overwrite; figures and other files stay.
        """
        names = [CONFIG_FILE, STATE_FILE, RUN_FILE, BEST_FILE, LAST_FILE, HISTORY_FILE, "metrics.csv"]
        for name in names:
            p = self.path / name
            p.unlink(missing_ok=True)
            if p.suffix == ".npz":
                p.with_suffix(".json").unlink(missing_ok=True)
        for p in self.path.glob("last-*"):
            p.unlink(missing_ok=True)


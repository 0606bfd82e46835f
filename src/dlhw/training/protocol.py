"""The one training protocol of the scratch models (and any model with their interface).

``train(model, dataset, epochs=..., learning_rate=..., seed=..., out_dir=...)``:

1. epoch ``k`` (1-based) visits the training rows in the order
   ``default_rng([seed, k]).permutation(n)``: a fresh shuffle per epoch that depends only on
   the seed and ``k`` (so a resumed run sees the same orders) and that evaluation never touches;
2. after each epoch: the divergence check (NaN/inf loss or weights -> :class:`DivergenceError`
   naming the epoch and learning rate), the metrics of every evaluated split, the best
   checkpoint ``best.npz`` when the monitored metric improves, then ``last.npz`` (weights +
   history, one atomic file) and ``history.json`` (see **Writes** for when they reach disk);
3. at the end the model after the last epoch (the *final* model) is scored on the test split,
   then the best checkpoint is **reloaded from disk** into ``model`` and scored too; the curves
   are plotted (PNG + PDF). Both test scores are kept (``test_accuracy_final`` and
   ``test_accuracy_best`` in ``docs/results.md``): hw2122 asks for the final model's, hw2526
   for the best checkpoint's.

**Timing.** Before epoch 1 the compiled kernels are compiled (or loaded from numba's cache) by a
short pass over a few rows on a copy of the model; that time is ``compile_seconds``, so
``epoch_seconds`` (and ``seconds_per_epoch``, their median) are steady-state training times.

**Writes.** Each file is written atomically (temporary file, fsync, rename). Epochs of a few
milliseconds (Ames: 150 epochs of 1-10 ms) would spend most of their time in those writes, so
the files of a finished epoch are written when at least ``checkpoint_seconds`` (default
:data:`CHECKPOINT_SECONDS`) have passed since the last write, after the last epoch, and when
training stops on an exception (Ctrl-C, divergence): :class:`EpochFiles` keeps a copy of the
last finished epoch's weights (and of the best epoch's) until they are written. Best and last
are written together, best first, so ``last.npz`` never names a best epoch whose checkpoint is
older. A killed process (``kill -9``, power loss) loses at most that many seconds of epochs;
``checkpoint_seconds=0`` writes after every epoch.

**Evaluation beside training.** With the compiled kernels on a machine with more than one
core, epoch ``k`` is scored (every split, and ``epoch_hook``) in a worker thread, on a copy of
the model holding epoch ``k``'s weights, while the main thread trains epoch ``k + 1``: the
kernels and BLAS release the GIL, so evaluation costs a second core instead of wall time.
Meanwhile (while :class:`EpochScorer` is open) BLAS runs on one thread
(:func:`one_blas_thread`): a multi-threaded product in the scorer (the MLP's first layer over
70000 rows) would put a thread on the training's core.
Scoring that takes under :data:`OVERLAP_MIN_SECONDS` in line (Ames' linear regression) stays
in line: handing it over would cost more.
Epoch ``k`` is then recorded (history, checkpoints, ``on_epoch``, the log line) once epoch ``k +
1`` has trained; the numbers are those of scoring in line, which the numpy reference and the
first epoch of a run do. If training stops (an error, Ctrl-C), the scored epoch is recorded
first.

**Best.** Classifiers monitor ``dev_accuracy`` (max). Regression has no validation split in the
2021-22 text, and choosing by test error would peek at the test set, so it monitors
``train_rmse`` (min): the kept checkpoint is the epoch with the lowest training RMSE.

**Resume.** With ``resume=True`` (default; ``"auto"`` is the same) an ``out_dir`` holding
``last.npz`` of the same run (same model config, learning rate, seed and training size)
continues after its last finished epoch; the results equal an uninterrupted run bit for bit. A
different run there is never deleted implicitly: it raises :class:`~dlhw.errors.CheckpointError`
(one line: another folder keeps both, ``--overwrite`` replaces). ``resume=False`` always starts
over (an explicit overwrite). The folder is a :class:`~dlhw.training.run_folder.RunFolder`:
locked while the run trains, and the best checkpoint is used only if its stored fingerprint is
this run's.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from dlhw.errors import CheckpointError, ConfigError, DivergenceError
from dlhw.logs import NoBar, bar_options, bar_postfix, bars_shown, epoch_line
from dlhw.rng import epoch_order
from dlhw.scratch import resolve_kernel
from dlhw.scratch.jit import compile_notice
from dlhw.training.checkpoint import (
    load_checkpoint,
    model_meta,
    read_checkpoint,
    save_checkpoint,
)
from dlhw.training.history import EpochCallback, History
from dlhw.training.plots import preload as preload_plotting
from dlhw.training.result import TrainResult
from dlhw.training.run_folder import BEST_FILE as BEST  # noqa: F401 (public: the checkpoint names)
from dlhw.training.run_folder import LAST_FILE as LAST  # noqa: F401
from dlhw.training.run_folder import RunFolder, divergence_message
from dlhw.validation import check_choice, check_int, check_positive, check_splits

EpochHook = Callable[[Any, int], dict[str, float]]
CHECKPOINT_SECONDS = 2.0  # at most this much finished work is lost to a kill -9
OVERLAP_MIN_SECONDS = 0.002  # scoring shorter than this stays in line (a hand-off costs more)

log = logging.getLogger(__name__)


def default_monitor(model: Any, has_dev: bool) -> str:
    """``dev_accuracy`` for classifiers with a dev split, else the training metric."""
    return f"dev_{model.metric}" if has_dev and model.task == "classification" else f"train_{model.metric}"


def _mode(monitor: str) -> str:
    return "max" if monitor.endswith("accuracy") else "min"


def _fingerprint(model: Any, lr: float, seed: int, n_train: int, monitor: str) -> dict[str, Any]:
    return {**model_meta(model), "learning_rate": lr, "seed": seed, "n_train": n_train, "monitor": monitor}


def _start(model: Any, folder: RunFolder, epochs: int, resume: bool | str) -> History:
    """Restore the last finished epoch from the folder's ``last.npz``, or start a fresh history."""
    fp, last = folder.fingerprint, folder.last_path
    if resume and last.exists():
        state, meta = read_checkpoint(last)
        old = meta.get("fingerprint") or {}
        if old != fp:  # finished work is never deleted implicitly
            raise folder.different_run_error(old)
        if meta["epoch"] > epochs:
            raise CheckpointError(f"{folder.path} already has {meta['epoch']} epochs, more than the "
                                  f"{epochs} asked; ask for at least {meta['epoch']} or start over")
        model.load_state_dict(state)
        return History.from_dict(meta["history"])
    for p in (folder.best_path, folder.last_path):  # a fresh run never mixes with an old one's files
        p.unlink(missing_ok=True)
        p.with_suffix(".json").unlink(missing_ok=True)
    return History(monitor=fp["monitor"], mode=_mode(fp["monitor"]),
                   config={k: fp[k] for k in ("model", "config", "learning_rate", "seed")})


def _check_divergence(model: Any, loss: float, epoch: int, lr: float) -> None:
    if not math.isfinite(loss) or not model.params_finite():
        what = f"loss is {loss}" if not math.isfinite(loss) else "weights contain NaN/inf"
        raise DivergenceError(divergence_message(epoch, lr, what))


def _evaluate(model: Any, splits: dict[str, tuple]) -> dict[str, float]:
    """``{split_metric: value}`` for splits ``(X, y)`` or ``(X, y, prepared)``."""
    with np.errstate(over="ignore", invalid="ignore"):
        return {f"{name}_{model.metric}": model.evaluate(*split) for name, split in splits.items()}


def _prepare_eval(model: Any, splits: dict[str, tuple], train_prepared: Any = None) -> dict[str, tuple]:
    """Each split as ``(X, y, prepared)`` when the model can reuse work across epochs (once per
    run); ``train_prepared`` (``model.prepare``'s result for the training rows) is offered for
    reuse on the training split."""
    if not hasattr(model, "prepare_eval"):
        return splits
    out = {}
    for name, (X, y) in splits.items():
        prepared = model.prepare_eval(X, reuse=train_prepared if name == "train" else None)
        out[name] = (X, y) if prepared is None else (X, y, prepared)
    return out


def _eval_splits(dataset: Any, track_test: bool) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Splits scored every epoch: train, dev if any, test if asked or if there is no dev split."""
    splits = {"train": dataset.train}
    if dataset.dev is not None:
        splits["dev"] = dataset.dev
    if track_test or dataset.dev is None:
        splits["test"] = dataset.test
    return splits


def _progress(progress: bool, start: int, epochs: int):
    """The epochs' bar: tqdm's on a terminal, else a :class:`dlhw.logs.NoBar` (tqdm not imported)."""
    if not bars_shown(progress):
        return NoBar(range(start + 1, epochs + 1))
    from tqdm.auto import tqdm

    return tqdm(range(start + 1, epochs + 1), initial=start, total=epochs, desc="epochs",
                leave=False, **bar_options(progress))


class EpochFiles:
    """The per-epoch files of a run (``best.npz``, ``last.npz``, ``history.json``), throttled.

    :meth:`finished` is called after every epoch with a copy of that epoch's weights; it keeps
    them (and those of a new best epoch) and writes them when ``every`` seconds
    have passed since the last write or when ``final``. :meth:`flush` writes whatever is
    pending (the protocol calls it when training stops on an exception). See **Writes** above.
    """

    def __init__(self, folder: RunFolder, model: Any, history: History, every: float) -> None:
        self.folder, self.model, self.history, self.every = folder, model, history, float(every)
        self._last: tuple[int, dict] | None = None  # (epoch, state) not yet written
        self._best: tuple[int, dict] | None = None
        self._written = time.monotonic()

    def finished(self, epoch: int, improved: bool, state: dict[str, np.ndarray], final: bool = False) -> None:
        """Epoch ``epoch`` is done; ``state`` is a copy of its weights (training goes on in place)."""
        self._last = (epoch, state)
        if improved:
            self._best = (epoch, state)
        if final or time.monotonic() - self._written >= self.every:
            self.flush()

    def flush(self) -> None:
        if self._last is None:
            return
        fp = self.folder.fingerprint
        if self._best is not None:
            epoch, state = self._best
            save_checkpoint(self.folder.best_path, self.model, {"epoch": epoch, "fingerprint": fp}, state)
        epoch, state = self._last
        save_checkpoint(self.folder.last_path, self.model, {"epoch": epoch, "fingerprint": fp,
                                                            "history": self.history.to_dict()}, state)
        self.history.save(self.folder.path)
        self._last = self._best = None
        self._written = time.monotonic()


class EpochScorer:
    """Each trained epoch's scores (the splits' metrics and the hook's), handed back in order
    with that epoch's weights (see **Evaluation beside training** above).

    :meth:`submit` takes an epoch that has just trained (its ``head``: training loss and
    seconds) and returns the epochs whose scores are ready: that epoch itself, or, with
    ``overlap``, the one before it, whose scoring ran in a worker thread on a twin of the model
    while this one trained. :meth:`drain` returns what is still pending; :meth:`close` ends the
    worker.
    """

    def __init__(self, model: Any, splits: dict, epoch_hook: EpochHook | None, overlap: bool) -> None:
        self.model, self.splits, self.hook = model, splits, epoch_hook
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="dlhw-eval") if overlap else None
        self._limits = ExitStack()  # undone by close
        if overlap:  # the worker's BLAS off the training's core
            self._limits.enter_context(one_blas_thread())
        self._pending: tuple | None = None  # (epoch, state, head, future)
        self._worth_it = False  # scoring in line took long enough to hand to the worker

    def submit(self, epoch: int, head: dict[str, float], wait: bool = False) -> list[tuple[int, dict, dict]]:
        """Score epoch ``epoch`` (in line if ``wait``, without a worker, or when the last in-line
        scoring took under :data:`OVERLAP_MIN_SECONDS`); the epochs now scored."""
        state = self.model.state_dict()  # (copies) its weights, for the checkpoints
        if self._pool is None or wait or not self._worth_it:
            start = time.perf_counter()
            scores = _score(self.model, self.splits, self.hook, epoch)
            self._worth_it = time.perf_counter() - start >= OVERLAP_MIN_SECONDS
            return [*self.drain(), (epoch, _values(head, scores), state)]
        twin = copy.copy(self.model)  # same configuration, its own copy of this epoch's weights
        twin.load_state_dict(state)
        done, self._pending = self.drain(), (epoch, state, head,
                                             self._pool.submit(_score, twin, self.splits, self.hook, epoch))
        return done

    def drain(self) -> list[tuple[int, dict, dict]]:
        """The pending epoch, once its scores are in (waits for them), or nothing."""
        if self._pending is None:
            return []
        (epoch, state, head, future), self._pending = self._pending, None
        return [(epoch, _values(head, future.result()), state)]

    def close(self) -> None:
        """End the worker and give BLAS back its thread count."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._limits.close()


def one_blas_thread():
    """A context in which the BLAS library (numpy's OpenBLAS or MKL, as threadpoolctl finds it)
    uses one thread; the previous thread count after it. The limit is per process: it is meant
    for the epochs, where the main thread runs compiled kernels and only the scorer calls BLAS."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _score(model: Any, splits: dict, epoch_hook: EpochHook | None, epoch: int) -> dict[str, float]:
    """The metrics of every split, then the hook's, for ``model`` as it is now."""
    values = _evaluate(model, splits)
    if epoch_hook is not None:
        values.update(epoch_hook(model, epoch))
    return values


def _values(head: dict[str, float], scores: dict[str, float]) -> dict[str, float]:
    """An epoch's row: its training loss, its scores, its training seconds (in that order)."""
    loss = {k: v for k, v in head.items() if k != "epoch_seconds"}
    return {**loss, **scores, "epoch_seconds": head["epoch_seconds"]}


def train(model: Any, dataset: Any, *, epochs: int, out_dir: str | os.PathLike,
          learning_rate: float | None = None, seed: int = 0, resume: bool | str = True,
          monitor: str | None = None, track_test: bool = False, kernel: str | None = None,
          epoch_hook: EpochHook | None = None, on_epoch: EpochCallback | None = None,
          progress: bool = False, title: str | None = None, test: bool = True,
          backend: str | None = None, plots: bool = True,
          checkpoint_seconds: float = CHECKPOINT_SECONDS) -> TrainResult:
    """Train ``model`` on ``dataset`` (a :class:`dlhw.data.Dataset`) by the protocol above.

    ``epoch_hook(model, epoch) -> {name: value}`` adds metrics each epoch (e.g. the distance to
    the analytic solution); ``on_epoch(epoch, values)`` sees each epoch's row (printing).
    ``kernel`` is passed to ``model.train_epoch`` (``"numba"``, the default, ``"numpy"`` or
    ``"numba32"``; ``backend=`` is its deprecated spelling).
    On return ``model`` holds the best checkpoint's weights, reloaded from disk. With
    ``test=False`` the test split is never touched (its scores are NaN; a grid selects on dev and
    tests only its best configuration), as in :func:`dlhw.training.torch_loop.train_torch`.
    ``plots=False`` skips the figures (e.g. the extra seeds of a multi-seed study).
    ``checkpoint_seconds``: the most seconds of finished epochs not yet on disk (**Writes**).
    """
    epochs = check_int(epochs, "epochs")
    checkpoint_seconds = check_positive(checkpoint_seconds, "checkpoint_seconds", allow_zero=True)
    kernel = resolve_kernel(kernel, backend)
    check_choice(resume, "resume", (True, False, "auto"))
    lr = check_positive(model.default_learning_rate if learning_rate is None else learning_rate,
                        "learning_rate")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    check_splits(dataset)  # an empty split is a data error, not "lower the learning rate"
    y = dataset.train[1]
    monitor = monitor or default_monitor(model, dataset.dev is not None)
    folder = RunFolder(out_dir, _fingerprint(model, lr, int(seed), len(y), monitor))
    with folder.lock():
        return _train(model, dataset, folder, epochs, resume, track_test, kernel, epoch_hook,
                      on_epoch, progress, title or describe(model, lr, seed), test, plots,
                      checkpoint_seconds)


def _train(model: Any, dataset: Any, folder: RunFolder, epochs: int, resume: bool | str,
           track_test: bool, kernel: str, epoch_hook: EpochHook | None,
           on_epoch: EpochCallback | None, progress: bool, title: str, test: bool = True,
           plots: bool = True, checkpoint_seconds: float = CHECKPOINT_SECONDS) -> TrainResult:
    """The body of :func:`train`, with the run folder locked."""
    fp = folder.fingerprint
    lr, seed, monitor = fp["learning_rate"], fp["seed"], fp["monitor"]
    X, y = dataset.train
    history = _start(model, folder, epochs, resume)
    resumed = history.epochs
    splits = _eval_splits(dataset, track_test)
    if monitor.split("_", 1)[0] not in splits and monitor != f"train_{model.loss_name}":
        raise ConfigError(f"monitor {monitor!r} is not measured; use one of "
                          f"{', '.join(f'{s}_{model.metric}' for s in splits)}")
    compiles = hasattr(model, "prepare")
    # compiled epochs release the GIL: matplotlib is imported meanwhile, once the first epoch
    # has loaded every kernel (both imports hold the GIL; in parallel each waits on the other)
    plot_meanwhile = plots and compiles and kernel != "numpy"
    prepared, compile_seconds = None, 0.0
    bar = _progress(progress, resumed, epochs)
    files = EpochFiles(folder, model, history, checkpoint_seconds)
    overlap = compiles and kernel != "numpy" and (os.cpu_count() or 1) > 1
    scorer = EpochScorer(model, splits, epoch_hook, overlap)

    def record(epoch: int, values: dict[str, float], state: dict[str, np.ndarray]) -> None:
        bar.set_postfix(bar_postfix(values))  # drawn now: one frame per epoch
        log.info(epoch_line(epoch, epochs, values, title))
        files.finished(epoch, history.append(**values), state, final=epoch == epochs)
        if on_epoch is not None:
            on_epoch(epoch, values)

    try:
        for epoch in bar:
            first = epoch == resumed + 1
            # the first epoch of a process compiles the kernels (or loads them): said when it compiles
            with compile_notice(kernel if compiles else "numpy") if first else nullcontext():
                if first:  # work reused by every epoch, done once per run
                    if compiles:
                        prepared = model.prepare(X, kernel)
                        compile_seconds = warm_up(model, (X, y, prepared), lr, kernel)
                    scorer.splits = splits = _prepare_eval(model, splits, prepared)
                try:
                    head = _train_one(model, (X, y, prepared), lr, seed, epoch, kernel)
                except BaseException:  # the epoch scored beside this one is finished: keep it
                    for done in scorer.drain():
                        record(*done)
                    raise
                ready = scorer.submit(epoch, head, wait=first)  # the first compiles the scoring too
                if first and plot_meanwhile:
                    preload_plotting()
            for done in ready:
                record(*done)
        for done in scorer.drain():
            record(*done)
    finally:  # Ctrl-C, divergence, a failing callback: the finished epochs reach disk
        scorer.close()
        files.flush()
    test_split = None
    if test:  # scored twice (final model, best checkpoint): prepared once if not scored every epoch
        test_split = splits.get("test") or _prepare_eval(model, {"test": dataset.test})["test"]
    res = _finish(model, test_split, history, folder, title, resumed, plots)
    res.compile_seconds = compile_seconds
    return res


WARM_UP_ROWS = 16


def warm_up(model: Any, train: tuple, lr: float, kernel: str) -> float:
    """Seconds to compile (or load from numba's cache) ``model``'s compiled epoch.

    Runs :data:`WARM_UP_ROWS` steps on a copy of ``model`` over ``train = (X, y, prepared)``
    (the same arrays and encoding as the run, so the same kernels), leaving ``model`` as it
    was. 0.0 for the numpy reference or a model without a compiled path.
    """
    X, y, prepared = train
    if kernel == "numpy" or not hasattr(model, "prepare") or len(y) == 0:
        return 0.0
    twin = copy.deepcopy(model)
    start = time.perf_counter()
    extra = {} if prepared is None else {"prepared": prepared}
    with np.errstate(over="ignore", invalid="ignore"):
        twin.train_epoch(X, y, lr, order=np.arange(min(WARM_UP_ROWS, len(y))), kernel=kernel, **extra)
    return time.perf_counter() - start


def _train_one(model: Any, train: tuple, lr: float, seed: int, epoch: int, kernel: str) -> dict[str, float]:
    """Train one epoch on ``train = (X, y, prepared)`` and check for divergence; returns
    ``{train_<loss>: mean loss, epoch_seconds: its training time}``."""
    X, y, prepared = train
    start = time.perf_counter()
    extra = {} if prepared is None else {"prepared": prepared}
    with np.errstate(over="ignore", invalid="ignore"):
        loss = model.train_epoch(X, y, lr, order=epoch_order(seed, epoch, len(y)), kernel=kernel, **extra)
    seconds = time.perf_counter() - start
    _check_divergence(model, loss, epoch, lr)
    return {f"train_{model.loss_name}": loss, "epoch_seconds": seconds}


def _finish(model: Any, test_split: tuple | None, history: History, folder: RunFolder, title: str,
            resumed: int, plots: bool = True) -> TrainResult:
    """Score the final model on ``test_split`` (``(X, y[, prepared])``; None: not tested, NaN),
    reload the best checkpoint (if it is this run's), score it, plot the curves."""
    if history.best_epoch is None:
        raise DivergenceError(f"no epoch produced a finite {history.monitor}; lower the learning rate")
    out_dir = folder.path
    final = None if test_split is None else _evaluate(model, {"test": test_split})  # after the last epoch
    folder.check_checkpoint(folder.best_path, load_checkpoint(folder.best_path, model))
    if test_split is None:
        test = final = {f"test_{model.metric}": math.nan}
    else:
        test = _evaluate(model, {"test": test_split})
        history.config["best_checkpoint_test"] = test
        history.config["final_model_test"] = final
    history.save(out_dir)
    start = time.perf_counter()
    figures = plot_curves(history, model, out_dir, title) if plots else {}
    return TrainResult(history=history, task=model.task, metric=model.metric, test_metrics=test,
                       out_dir=out_dir, figures=figures, resumed_epochs=resumed,
                       final_test_metrics=final, compile_seconds=0.0,
                       plot_seconds=time.perf_counter() - start if plots else None)


def plot_curves(history: History, model: Any, out_dir: Path, title: str) -> dict[str, str]:
    """The standard figures: ``accuracy`` (+ ``loss``) for classifiers, ``rmse`` for regression."""
    from dlhw.training.plots import plot_history

    m = model.metric
    figures = {m: plot_history(history, [f"train_{m}", f"dev_{m}", f"test_{m}"], out_dir / m,
                               title=title, ylabel=m if m == "accuracy" else "RMSE")[0]}
    if model.loss_name == "loss" and model.task == "classification":
        figures["loss"] = plot_history(history, ["train_loss"], out_dir / "loss", title=title,
                                       ylabel="training loss (mean per example)")[0]
    return figures


def describe(model: Any, lr: float, seed: int) -> str:
    """A one-line configuration, for plot titles: ``MLP, hidden units 100, learning rate 0.001, seed 0``."""
    import re

    from dlhw.labels import model_text

    cfg = {k: v for k, v in model.config().items() if k not in ("n_classes", "n_features", "seed")}
    name = type(model).__name__
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z][a-z]+", name)  # LinearRegression -> linear regression
    readable = " ".join(w if w.isupper() else w.lower() for w in words) or name
    return model_text(readable[0].upper() + readable[1:], cfg, lr, seed)

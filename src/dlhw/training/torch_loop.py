"""The training protocol of every PyTorch experiment (the numpy protocol, with torch inside).

Each epoch: a fresh permutation of the training rows from ``(seed, epoch)``
(:func:`epoch_order`), batches of consecutive rows of it, one optimiser step per batch,
then train/dev loss and accuracy in large batches (eval mode, no gradients). The best-dev
checkpoint is kept on disk; at the end it is reloaded and evaluated on the test set once.

Reproducible and resumable: the initial weights come from ``seed`` alone (:func:`init_model`),
the batch order from ``(seed, epoch)`` and dropout masks from a torch RNG seeded with
:func:`dropout_seed` inside :func:`torch.random.fork_rng` (the process-global RNG is left as it
was). After every epoch the model and optimiser state are saved with the history, so a run that
is interrupted restarts from its last finished epoch and ends with identical weights. The files
are those of a :class:`~dlhw.training.run_folder.RunFolder` (``config.json``, ``state.json``,
``last-0/1.npz``, ``best.npz``, ``history.json``, ``last.npz``, ``run.json`` last) plus the
figures; the folder is locked while the run trains.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from dlhw.data import Dataset
from dlhw.errors import CheckpointError, DivergenceError
from dlhw.io import load_json
from dlhw.logs import bar_options, bar_postfix, epoch_line
from dlhw.nets import NetConfig, evaluate, make_optimizer
from dlhw.training.history import EpochCallback, History
from dlhw.training.plots import plot_history
from dlhw.training.result import TrainResult
from dlhw.training.run_folder import (
    BEST_FILE,
    CONFIG_FILE,
    LAST_FILE,
    RunFolder,
    divergence_message,
    run_signature,
)
from dlhw.training.torch_checkpoint import load_checkpoint, save_checkpoint
from dlhw.training.torch_epoch import (
    ONE_THREAD_MAX_BATCH,
    as_tensors,
    cpu_threads,
    dropout_seed,
    epoch_batches,
    epoch_order,
    init_model,
    seeded_torch_rng,
    train_epoch,
)
from dlhw.training.torch_fast import check_kernel, fast_unsupported, train_epoch_fast
from dlhw.validation import check_splits

log = logging.getLogger(__name__)

__all__ = ["TorchRun", "TrainResult", "as_tensors", "dropout_seed", "epoch_batches", "epoch_order",
           "finished_result", "init_model", "plot_run", "seeded_torch_rng", "steady_seconds", "test_best",
           "train_epoch",
           "train_torch"]




def train_torch(cfg: NetConfig | dict, dataset: Dataset, *, out_dir: str | Path, seed: int = 0,
                device: str = "cpu", progress: bool = True, plots: bool = True,
                test: bool = True, on_epoch: EpochCallback | None = None,
                overwrite: bool = False, kernel: str = "fast") -> TrainResult:
    """Train configuration ``cfg`` on ``dataset`` with the protocol of the module docstring.

    Resumes from ``out_dir`` when it holds an unfinished run of the same configuration, seed
    and data; returns the stored result when that run already finished. ``on_epoch(epoch,
    metrics)`` is called after each epoch (e.g. to print). With ``test=False`` the test split is
    not touched (``test_accuracy`` is NaN; a grid tests its best run with :func:`test_best`).
    A NaN/inf loss raises
    :class:`DivergenceError` (recorded, so a rerun fails at once instead of retraining).
    A folder holding another run is refused (:class:`CheckpointError`, nothing deleted) unless
    ``overwrite=True`` replaces it. The folder is locked while the run trains.
    ``kernel="fast"`` trains each epoch with the compiled twin of the plain loop where it applies
    (:mod:`dlhw.training.torch_fast`: CPU, float32, batch <= 16, the homework's models and
    optimisers), else the plain loop; ``"autograd"`` always runs the plain loop.
    """
    cfg = NetConfig.from_dict(cfg)
    check_splits(dataset)
    check_kernel(kernel)
    if dataset.dev is None or dataset.n_classes is None:
        raise CheckpointError(f"{dataset.name} has no validation split or is not a classification "
                              f"data set; train_torch needs train/dev/test classification data")
    out = Path(out_dir)
    signature = run_signature(cfg.to_dict(), seed, dataset)
    folder = RunFolder(out, signature)
    with folder.lock():
        done = finished_result(folder)
        if done is not None:
            return done
        other = folder.foreign()
        if other is not None and not overwrite:  # finished work is never deleted implicitly
            raise folder.different_run_error(other)
        if other is not None:
            folder.clear()
        shape = (int(dataset.n_classes), dataset.n_features)
        run = TorchRun(cfg, seed, device, as_tensors(dataset, device), shape, folder, progress,
                       kernel=kernel)
        history = run.resume()
        folder.write_config()
        for epoch in range(history.epochs + 1, cfg.epochs + 1):
            metrics = run.epoch(epoch)  # a diverged epoch is recorded in the folder, then raised
            improved = history.append(**metrics)
            run.save(epoch, history, improved)
            log.info(epoch_line(epoch, cfg.epochs, metrics, cfg.slug()))
            if on_epoch is not None:
                on_epoch(epoch, metrics)
        return run.finish(history, plots=plots, test=test)


def finished_result(folder: RunFolder) -> TrainResult | None:
    """The stored result of the finished run in ``folder``, else None (diverged: raise)."""
    done = folder.finished()
    return None if done is None else TrainResult.from_dict(done)


class TorchRun:
    """The live state of one torch run: model, optimiser, the data tensors (shared, never copied)
    and its :class:`~dlhw.training.run_folder.RunFolder`. The plain loop trains it epoch by epoch;
    the ensemble trainer trains many at once and uses only :meth:`resume`, :meth:`save`,
    :meth:`diverged` and :meth:`finish`.

    ``data`` is :func:`as_tensors`'s ``{"train"|"dev"|"test": (X, y)}``, ``shape`` is
    ``(n_classes, n_features)``.
    """

    def __init__(self, cfg: NetConfig, seed: int, device: str, data: dict[str, tuple[torch.Tensor, ...]],
                 shape: tuple[int, int], folder: RunFolder, progress: bool = False,
                 kernel: str = "fast"):
        self.cfg, self.seed, self.device, self.progress = cfg, int(seed), device, progress
        self.data, self.shape, self.folder = data, shape, folder
        self.postfix: dict[str, str] = {}
        self.model = init_model(cfg, *self.shape, self.seed, device)
        self.optimizer = make_optimizer(cfg.optimizer, self.model.parameters(), cfg.lr, cfg.l2)
        self.criterion = nn.CrossEntropyLoss()
        small = torch.device(device).type == "cpu" and cfg.batch_size <= ONE_THREAD_MAX_BATCH
        self.threads = 1 if small else None
        fast = kernel == "fast" and fast_unsupported(self.model, self.optimizer, self.criterion,
                                                     data["train"][0], cfg.batch_size) is None
        self.kernel = "fast" if fast else "autograd"  # the one that runs
        self._train_epoch = train_epoch_fast if fast else train_epoch

    def resume(self) -> History:
        """Load the last finished epoch's model, optimiser and history, if there is one."""
        state = self.folder.state()
        if state is None:
            return History(monitor="dev_accuracy", mode="max", config=self.cfg.to_dict())
        load_checkpoint(self.folder.path / state["checkpoint"], self.model, self.optimizer)
        return History.from_dict(state["history"])

    def diverged(self, epoch: int, loss: float) -> DivergenceError:
        """The divergence error of ``epoch`` (mean loss ``loss``), recorded in the folder."""
        return self.folder.record_diverged(DivergenceError(
            divergence_message(epoch, self.cfg.lr, f"mean loss {loss}", optimizer=self.cfg.optimizer)))

    def epoch(self, epoch: int) -> dict[str, float]:
        """Train one epoch, then evaluate on train and dev; the epoch's metrics."""
        start = time.perf_counter()
        X, y = self.data["train"]
        order = epoch_order(self.seed, epoch, len(y))
        n_batches = math.ceil(len(y) / self.cfg.batch_size)
        with seeded_torch_rng(dropout_seed(self.seed, epoch), self.device), \
                cpu_threads(self.threads), \
                tqdm(total=n_batches, desc=f"epoch {epoch}/{self.cfg.epochs}", leave=False,
                     unit="step", mininterval=0.5, postfix=self.postfix or None,
                     **bar_options(self.progress)) as bar:
            train_loss = self._train_epoch(self.model, self.optimizer, self.criterion, X, y, order,
                                           self.cfg.batch_size, progress=bar.update)
        trained = time.perf_counter()
        if not math.isfinite(train_loss):
            raise self.diverged(epoch, train_loss) from None
        _, train_acc = evaluate(self.model, X, y, self.criterion)
        dev_loss, dev_acc = evaluate(self.model, *self.data["dev"], self.criterion)
        metrics = {"train_loss": train_loss, "train_accuracy": train_acc, "dev_loss": dev_loss,
                   "dev_accuracy": dev_acc, "train_seconds": trained - start,
                   "epoch_seconds": time.perf_counter() - start}
        self.postfix = bar_postfix(metrics)  # shown by the next epoch's bar
        return metrics

    def save(self, epoch: int, history: History, improved: bool) -> None:
        """Best checkpoint (if improved), then the last one, then the pointer to it (atomic)."""
        folder = self.folder
        if improved:
            meta = {"epoch": epoch, "fingerprint": folder.fingerprint}
            save_checkpoint(folder.best_path, self.model, meta=meta)
        slot = folder.last_slot(epoch)  # never overwrites the checkpoint state.json points to
        save_checkpoint(slot, self.model, self.optimizer, meta={"epoch": epoch})
        folder.save_state(epoch, slot.name, history)

    def finish(self, history: History, *, plots: bool, test: bool) -> TrainResult:
        """Reload the best checkpoint, test it once, plot, and write ``run.json`` last."""
        out, signature = self.folder.path, self.folder.fingerprint
        best = _load_best(out, self.cfg, self.shape, self.seed, self.device, signature)
        if best.epoch != history.best_epoch:
            raise CheckpointError(f"{out / BEST_FILE} is from epoch {best.epoch}, the "
                                  f"history says {history.best_epoch}; delete {out} and rerun")
        test_loss, test_acc = (evaluate(best, *self.data["test"], self.criterion) if test
                               else (math.nan, math.nan))
        final_loss, final_acc = (evaluate(self.model, *self.data["test"], self.criterion) if test
                                 else (math.nan, math.nan))  # self.model: after the last epoch
        history.save(out)
        result = TrainResult(config=self.cfg.to_dict(), seed=self.seed, history=history,
                             test_metrics={"test_accuracy": test_acc, "test_loss": test_loss},
                             final_test_metrics={"test_accuracy": final_acc, "test_loss": final_loss},
                             steady_seconds=steady_seconds(history.metrics["epoch_seconds"]),
                             out_dir=out, device=str(self.device),
                             figures=plot_run(history, out, title=self.cfg.describe()) if plots else {})
        self.folder.record_finished(result.to_dict())
        self.folder.promote_last(history.epochs)  # final weights (and optimiser state) stay as last.npz
        return result


def _load_best(out: Path, cfg: NetConfig, shape: tuple[int, int], seed: int,
               device: str, signature: dict[str, Any]) -> nn.Module:
    """The best checkpoint of run folder ``out`` as a model (its epoch in ``.epoch``); refused
    when its stored fingerprint is not ``signature``."""
    model = init_model(cfg, *shape, seed, device)
    meta = load_checkpoint(out / BEST_FILE, model)
    RunFolder(out, signature).check_checkpoint(out / BEST_FILE, meta)
    model.epoch = meta.get("epoch")
    return model


def steady_seconds(epoch_seconds: list[float]) -> float:
    """The median of the per-epoch seconds: the steady-state epoch (a slow first epoch, with
    one-off warm-up work, does not move it)."""
    return float(np.median(epoch_seconds)) if len(epoch_seconds) else math.nan


def test_best(out_dir: str | Path, dataset: Dataset, device: str = "cpu") -> dict[str, float]:
    """``test_accuracy``/``test_loss`` of the best checkpoint of the finished run in ``out_dir``,
    and ``test_accuracy_final``/``test_loss_final`` of its final model (``last.npz``; NaN when
    the run folder does not keep it)."""
    out = Path(out_dir)
    signature = load_json(out / CONFIG_FILE)
    cfg = NetConfig.from_dict(signature["config"])
    shape = (int(dataset.n_classes), dataset.n_features)
    model = _load_best(out, cfg, shape, signature["seed"], device, signature)
    X, y = as_tensors(dataset, device)["test"]
    loss, acc = evaluate(model, X, y, nn.CrossEntropyLoss())
    final_loss = final_acc = math.nan
    if (out / LAST_FILE).exists():
        final = init_model(cfg, *shape, signature["seed"], device)
        load_checkpoint(out / LAST_FILE, final)
        final_loss, final_acc = evaluate(final, X, y, nn.CrossEntropyLoss())
    return {"test_accuracy": acc, "test_loss": loss, "test_accuracy_final": final_acc,
            "test_loss_final": final_loss}


def plot_run(history: History, out: Path, *, title: str) -> dict[str, str]:
    """Figures ``loss`` (train and dev loss) and ``accuracy`` (train and dev accuracy) per epoch."""
    plot_history(history, ["train_loss", "dev_loss"], out / "loss", title=title, ylabel="loss")
    plot_history(history, ["train_accuracy", "dev_accuracy"], out / "accuracy", title=title,
                 ylabel="accuracy")
    return {"loss": "loss.png", "accuracy": "accuracy.png"}

"""The training protocol of every PyTorch experiment (the numpy protocol, with torch inside).

Each epoch: a fresh permutation of the training rows from ``(seed, epoch)``
(:func:`epoch_permutation`), batches of consecutive rows of it, one optimiser step per batch,
then train/dev loss and accuracy in large batches (eval mode, no gradients). The best-dev
checkpoint is kept on disk; at the end it is reloaded and evaluated on the test set once.

Reproducible and resumable: the initial weights come from ``seed`` alone (:func:`init_model`),
the batch order from ``(seed, epoch)`` and dropout masks from a torch RNG seeded with
:func:`dropout_seed` inside :func:`torch.random.fork_rng` (the process-global RNG is left as it
was). After every epoch the model and optimiser state are saved with the history, so a run that
is interrupted restarts from its last finished epoch and ends with identical weights. A run
folder holds ``config.json``, ``state.json`` (the last finished epoch), ``best.npz``,
``history.json``, ``run.json`` (written last: the run finished) and the figures.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from dlhw.data import Dataset
from dlhw.errors import CheckpointError, DivergenceError
from dlhw.io import load_json, save_json
from dlhw.nets import NetConfig, evaluate, from_config, make_optimizer, train_step
from dlhw.rng import child_seed
from dlhw.training.history import History
from dlhw.training.plots import plot_history
from dlhw.training.torch_checkpoint import load_checkpoint, save_checkpoint

INIT_KEY, SHUFFLE_KEY, DROPOUT_KEY = 0, 1, 2  # child_seed keys: one stream per purpose
SMALL_BATCH = 16  # below this, one CPU thread is faster (per-op overhead dominates)
PROGRESS_EVERY = 500  # steps between progress-bar updates
RUN_FILE, STATE_FILE, BEST_FILE = "run.json", "state.json", "best.npz"

EpochCallback = Callable[[int, dict[str, float]], None]


def init_model(cfg: NetConfig | dict, n_classes: int, n_features: int, seed: int,
               device: str | torch.device = "cpu") -> nn.Module:
    """The initial model of a run with ``seed`` (same weights on every device)."""
    model = from_config(cfg, n_classes=n_classes, n_features=n_features,
                        seed=child_seed(seed, INIT_KEY))
    return model.to(device)


def epoch_permutation(seed: int, epoch: int, n: int) -> np.ndarray:
    """The order (n,) in which epoch ``epoch`` (1-based) visits the ``n`` training rows."""
    return np.random.default_rng(child_seed(seed, SHUFFLE_KEY, epoch)).permutation(n)


def epoch_batches(seed: int, epoch: int, n: int, batch_size: int) -> list[np.ndarray]:
    """The row indices of each batch of epoch ``epoch``; the last batch may be smaller."""
    order = epoch_permutation(seed, epoch, n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def dropout_seed(seed: int, epoch: int) -> int:
    """The seed of torch's RNG (dropout masks) during epoch ``epoch``."""
    return child_seed(seed, DROPOUT_KEY, epoch)


@contextlib.contextmanager
def seeded_torch_rng(seed: int, device: str | torch.device) -> Iterator[None]:
    """Run the block with torch's RNG (CPU, and ``device`` if CUDA) seeded; restore it after."""
    device = torch.device(device)
    cuda = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.random.default_generator.manual_seed(seed)
        if cuda:
            torch.cuda.manual_seed(seed)
        yield


@contextlib.contextmanager
def cpu_threads(n: int | None) -> Iterator[None]:
    """Use ``n`` intra-op threads in the block (``None``: unchanged), then restore the count."""
    old = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def as_tensors(dataset: Dataset, device: str | torch.device = "cpu") -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """Each split as (X float32 (n, d), y int64 (n,)) on ``device``, loaded once."""
    return {name: (torch.as_tensor(np.asarray(X, dtype=np.float32)).to(device),
                   torch.as_tensor(np.asarray(y, dtype=np.int64)).to(device))
            for name, (X, y) in dataset.splits().items()}


def train_epoch(model: nn.Module, optimizer: torch.optim.Optimizer, criterion: nn.Module,
                X: torch.Tensor, y: torch.Tensor, order: np.ndarray, batch_size: int,
                *, progress: Callable[[int], Any] | None = None) -> float:
    """One pass over (X (n, d), y (n,)) in the given row ``order``; the mean batch loss.

    The rows are permuted once (one gather), then split into views: no per-item collation.
    Per step: zero_grad(set_to_none), forward, backward, step; the loss stays a tensor (no
    device synchronisation) until the single read at the end of the epoch.
    """
    model.train()
    idx = torch.from_numpy(np.ascontiguousarray(order)).to(X.device)
    xs = X.index_select(0, idx).split(batch_size)  # views (B, d)
    ys = y.index_select(0, idx).split(batch_size)  # views (B,)
    losses = []
    for step, (xb, yb) in enumerate(zip(xs, ys), start=1):
        losses.append(train_step(xb, yb, model, optimizer, criterion))
        if progress is not None and step % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
    if progress is not None:
        progress(len(losses) % PROGRESS_EVERY)
    return float(torch.stack(losses).mean().item())


@dataclass
class TrainResult:
    """What one finished run produced: the history and the reloaded best checkpoint's test scores."""

    config: dict[str, Any]
    seed: int
    history: History
    test_accuracy: float
    test_loss: float
    seconds_per_epoch: float
    out_dir: str
    device: str = "cpu"
    figures: dict[str, str] = field(default_factory=dict)

    @property
    def best_epoch(self) -> int:
        return int(self.history.best_epoch or 0)

    @property
    def best_dev_accuracy(self) -> float:
        return float(self.history.best_value if self.history.best_value is not None else math.nan)

    def metrics(self) -> dict[str, float]:
        """The classifier metrics of docs/results.md."""
        h = self.history
        return {"test_accuracy": self.test_accuracy, "test_loss": self.test_loss,
                "best_dev_accuracy": self.best_dev_accuracy, "best_epoch": self.best_epoch,
                "epochs": h.epochs, "final_train_accuracy": h.last("train_accuracy"),
                "final_dev_accuracy": h.last("dev_accuracy"), "final_train_loss": h.last("train_loss"),
                "seconds_per_epoch": self.seconds_per_epoch}

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in ("config", "seed", "test_accuracy", "test_loss",
                                            "seconds_per_epoch", "out_dir", "device", "figures")}
        return {**d, "history": self.history.to_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainResult":
        return cls(**{**d, "history": History.from_dict(d["history"])})


def train_torch(cfg: NetConfig | dict, dataset: Dataset, *, out_dir: str | Path, seed: int = 0,
                device: str = "cpu", progress: bool = True, plots: bool = True,
                on_epoch: EpochCallback | None = None) -> TrainResult:
    """Train configuration ``cfg`` on ``dataset`` with the protocol of the module docstring.

    Resumes from ``out_dir`` when it holds an unfinished run of the same configuration, seed
    and data; returns the stored result when that run already finished. ``on_epoch(epoch,
    metrics)`` is called after each epoch (e.g. to print). A NaN/inf loss raises
    :class:`DivergenceError` (recorded, so a rerun fails at once instead of retraining).
    """
    cfg = NetConfig.from_dict(cfg)
    if dataset.dev is None or dataset.n_classes is None:
        raise CheckpointError(f"{dataset.name} has no validation split or is not a classification "
                              f"data set; train_torch needs train/dev/test classification data")
    out = Path(out_dir)
    signature = {"config": cfg.to_dict(), "seed": int(seed), "dataset": dataset.name,
                 "sizes": {k: len(v[1]) for k, v in dataset.splits().items()}}
    done = _finished(out, signature)
    if done is not None:
        return done
    run = _Run(cfg, seed, device, dataset, progress)
    history = run.resume(out, signature)
    save_json(out / "config.json", signature)
    for epoch in range(history.epochs + 1, cfg.epochs + 1):
        try:
            metrics = run.epoch(epoch)
        except DivergenceError as exc:
            save_json(out / RUN_FILE, {"signature": signature, "status": "diverged", "message": str(exc)})
            raise
        improved = history.append(**metrics)
        run.save(out, signature, epoch, history, improved)
        if on_epoch is not None:
            on_epoch(epoch, metrics)
    return run.finish(out, signature, history, plots)


def _finished(out: Path, signature: dict[str, Any]) -> TrainResult | None:
    """The stored result of a finished run with this signature, else None (diverged: raise)."""
    if not (out / RUN_FILE).exists():
        return None
    record = load_json(out / RUN_FILE)
    if record.get("signature") != signature:
        return None
    if record.get("status") == "diverged":
        raise DivergenceError(record["message"])
    return TrainResult.from_dict(record["result"])


class _Run:
    """The live state of one run: model, optimiser, tensors on the device."""

    def __init__(self, cfg: NetConfig, seed: int, device: str, dataset: Dataset, progress: bool):
        self.cfg, self.seed, self.device, self.progress = cfg, int(seed), device, progress
        self.data = as_tensors(dataset, device)
        self.shape = (int(dataset.n_classes), dataset.n_features)
        self.model = init_model(cfg, *self.shape, self.seed, device)
        self.optimizer = make_optimizer(cfg.optimizer, self.model.parameters(), cfg.lr, cfg.l2)
        self.criterion = nn.CrossEntropyLoss()
        small = torch.device(device).type == "cpu" and cfg.batch_size < SMALL_BATCH
        self.threads = 1 if small else None

    def resume(self, out: Path, signature: dict[str, Any]) -> History:
        """Load the last finished epoch's model, optimiser and history, if there is one."""
        state = load_json(out / STATE_FILE) if (out / STATE_FILE).exists() else None
        if state is None or state.get("signature") != signature:
            return History(monitor="dev_accuracy", mode="max", config=self.cfg.to_dict())
        load_checkpoint(out / state["checkpoint"], self.model, self.optimizer)
        return History.from_dict(state["history"])

    def epoch(self, epoch: int) -> dict[str, float]:
        """Train one epoch, then evaluate on train and dev; the epoch's metrics."""
        start = time.perf_counter()
        X, y = self.data["train"]
        order = epoch_permutation(self.seed, epoch, len(y))
        n_batches = math.ceil(len(y) / self.cfg.batch_size)
        with seeded_torch_rng(dropout_seed(self.seed, epoch), self.device), \
                cpu_threads(self.threads), \
                tqdm(total=n_batches, desc=f"epoch {epoch}/{self.cfg.epochs}", leave=False,
                     disable=not self.progress, unit="step", mininterval=0.5) as bar:
            train_loss = train_epoch(self.model, self.optimizer, self.criterion, X, y, order,
                                     self.cfg.batch_size, progress=bar.update)
        trained = time.perf_counter()
        if not math.isfinite(train_loss):
            raise DivergenceError(f"training diverged at epoch {epoch} (lr={self.cfg.lr:g}, "
                                  f"optimizer {self.cfg.optimizer}): mean loss {train_loss}; "
                                  f"lower the learning rate")
        _, train_acc = evaluate(self.model, X, y, self.criterion)
        dev_loss, dev_acc = evaluate(self.model, *self.data["dev"], self.criterion)
        return {"train_loss": train_loss, "train_accuracy": train_acc, "dev_loss": dev_loss,
                "dev_accuracy": dev_acc, "train_seconds": trained - start,
                "epoch_seconds": time.perf_counter() - start}

    def save(self, out: Path, signature: dict[str, Any], epoch: int, history: History,
             improved: bool) -> None:
        """Best checkpoint (if improved), then the last one, then the pointer to it (atomic)."""
        if improved:
            save_checkpoint(out / BEST_FILE, self.model, meta={"epoch": epoch})
        name = f"last-{epoch % 2}.npz"  # never overwrites the checkpoint state.json points to
        save_checkpoint(out / name, self.model, self.optimizer, meta={"epoch": epoch})
        save_json(out / STATE_FILE, {"signature": signature, "epoch": epoch, "checkpoint": name,
                                     "history": history.to_dict()})

    def finish(self, out: Path, signature: dict[str, Any], history: History,
               plots: bool) -> TrainResult:
        """Reload the best checkpoint, test it once, plot, and write ``run.json`` last."""
        best = init_model(self.cfg, *self.shape, self.seed, self.device)
        meta = load_checkpoint(out / BEST_FILE, best)
        if meta.get("epoch") != history.best_epoch:
            raise CheckpointError(f"{out / BEST_FILE} is from epoch {meta.get('epoch')}, the "
                                  f"history says {history.best_epoch}; delete {out} and rerun")
        test_loss, test_acc = evaluate(best, *self.data["test"], self.criterion)
        history.save(out)
        result = TrainResult(config=self.cfg.to_dict(), seed=self.seed, history=history,
                             test_accuracy=test_acc, test_loss=test_loss,
                             seconds_per_epoch=float(np.mean(history.metrics["epoch_seconds"])),
                             out_dir=str(out), device=str(self.device),
                             figures=plot_run(history, out, title=self.cfg.slug()) if plots else {})
        save_json(out / RUN_FILE, {"signature": signature, "status": "finished",
                                   "result": result.to_dict()})
        for stale in [*out.glob("last-*"), out / STATE_FILE]:  # resume state, no longer needed
            stale.unlink(missing_ok=True)
        return result


def plot_run(history: History, out: Path, *, title: str) -> dict[str, str]:
    """Figures ``loss`` (train and dev loss) and ``accuracy`` (train and dev accuracy) per epoch."""
    plot_history(history, ["train_loss", "dev_loss"], out / "loss", title=title, ylabel="loss")
    plot_history(history, ["train_accuracy", "dev_accuracy"], out / "accuracy", title=title,
                 ylabel="accuracy")
    return {"loss": "loss.png", "accuracy": "accuracy.png"}

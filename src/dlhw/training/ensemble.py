"""Train many same-shape configurations at once, as one stacked (vectorised) model.

Members share the architecture (model, width, depth, activation), the optimiser kind, the batch
size and the epoch count; each has its own learning rate, weight decay, dropout probability,
initial weights and dropout masks. Per member, the run is the plain loop's
(:mod:`dlhw.training.torch_loop`) with two seeds: the member's ``seed`` gives its initial
weights (:func:`~dlhw.training.torch_loop.init_model`) and dropout masks
(:func:`~dlhw.training.torch_loop.dropout_seed`, one generator per member), and the shared
``data_seed`` gives the batch order (:func:`~dlhw.rng.epoch_order`), the
same batches for every member. A member whose ``seed`` equals ``data_seed`` is the run
``train_torch(cfg, seed=seed)`` would do (exactly on the CPU, to float32 rounding).

Each member is a :class:`~dlhw.training.torch_loop.TorchRun` on its own
:class:`~dlhw.training.run_folder.RunFolder` (fingerprint: the plain loop's plus ``data_seed``),
so it writes the plain loop's files (``config.json``; ``state.json`` and ``last-*.npz`` after
every epoch; ``best.npz``; ``history.json``; ``run.json`` last) through the same code, and
:func:`~dlhw.training.torch_loop.test_best` and the tables read them unchanged. Resuming works
per member: finished members return their stored result, and members that stopped at different
epochs continue in separate ensembles (a member's trajectory does not depend on the others).
A member whose loss becomes NaN/inf is recorded as diverged and leaves the ensemble.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from dlhw.data import Dataset
from dlhw.errors import CheckpointError, ConfigError, DivergenceError
from dlhw.logs import bar_options
from dlhw.nets import NetConfig
from dlhw.nets.stacked import StackedFFN
from dlhw.training.history import History
from dlhw.training.run_folder import RunFolder, run_signature
from dlhw.training.stacked_optim import StackedOptimizer
from dlhw.training.torch_epoch import flush_denormal
from dlhw.training.torch_loop import (
    TorchRun,
    TrainResult,
    as_tensors,
    dropout_seed,
    epoch_order,
    finished_result,
)
from dlhw.validation import check_choice

__all__ = ["EnsembleMember", "MemberOutcome", "MemberRun", "shape_key", "train_ensemble",
           "train_stacked_epoch"]

MemberOutcome = TrainResult | DivergenceError  # one ensemble member's result, or why it diverged
EnsembleEpochCallback = Callable[[int, list[dict[str, float]]], None]  # metrics per active member
PROGRESS_EVERY = 200  # steps between progress-bar updates
TRAIN_ACCURACY = ("every", "final")  # when train_ensemble measures the training accuracy


@dataclass(frozen=True)
class EnsembleMember:
    """One configuration of an ensemble: its hyperparameters, seed and run folder."""

    config: NetConfig
    seed: int
    out_dir: Path


def shape_key(cfg: NetConfig | dict) -> Hashable:
    """What members of one ensemble must share (configurations with equal keys stack)."""
    c = NetConfig.from_dict(cfg)
    arch = ((c.hidden_size, c.layers, c.activation) if c.model == "mlp" else ())
    return (c.model, *arch, c.optimizer, c.batch_size, c.epochs)


class MemberRun:
    """One member's :class:`TorchRun` and its history, while it trains in an ensemble."""

    def __init__(self, run: TorchRun) -> None:
        self.run, self.cfg, self.seed = run, run.cfg, run.seed
        self.history: History = run.resume()
        run.folder.write_config()

    def store_epoch(self, epoch: int, metrics: dict[str, float], stacked: StackedFFN,
                    opt: StackedOptimizer, i: int) -> None:
        """Append the epoch to the history, copy member ``i`` back, save best/last/state."""
        improved = self.history.append(**metrics)
        model, optimizer = self.run.model, self.run.optimizer
        stacked.copy_to(i, model)
        for p, state in zip(model.parameters(), opt.member_state(i), strict=True):
            if state:
                optimizer.state[p] = {k: v.to(p.device) if k != "step" else v for k, v in state.items()}
        self.run.save(epoch, self.history, improved)


def train_ensemble(members: Sequence[EnsembleMember], dataset: Dataset, *, data_seed: int,
                   device: str = "cpu", progress: bool = True, plots: bool = False,
                   test: bool = False, on_epoch: EnsembleEpochCallback | None = None,
                   train_accuracy: str = "every") -> list[MemberOutcome]:
    """Train ``members`` (equal :func:`shape_key`) together; one outcome per member, in order.

    An outcome is the member's :class:`~dlhw.training.result.TrainResult` (``test=False``:
    test scores NaN, the test split untouched), or the :class:`DivergenceError` of a member
    whose loss diverged. ``on_epoch(epoch, metrics per active member)`` is called per epoch.
    ``train_accuracy``: ``"every"`` epoch (the plain loop's history), or ``"final"``: only after
    the last epoch (the history's ``train_accuracy`` then starts there, a one-entry series). A
    forward pass of every member over the whole training split costs about a fifth of a
    training epoch, and the sweeps report only the final training accuracy (the texts' q2.2c
    and q2.3c), with the training loss and validation accuracy per epoch.
    """
    check_choice(train_accuracy, "train_accuracy", TRAIN_ACCURACY)
    members = [EnsembleMember(NetConfig.from_dict(m.config), m.seed, Path(m.out_dir)) for m in members]
    keys = {shape_key(m.config) for m in members}
    if len(keys) > 1:
        raise ConfigError(f"ensemble members must share {shape_key.__doc__.split('(')[0].strip()}; "
                          f"got shapes {sorted(map(str, keys))}; group configurations by shape_key")
    if dataset.dev is None or dataset.n_classes is None:
        raise CheckpointError(f"{dataset.name} has no validation split; ensembles need train/dev/test data")
    data = as_tensors(dataset, device)
    shape = (int(dataset.n_classes), dataset.n_features)
    outcomes: list[MemberOutcome | None] = [None] * len(members)
    pending: list[tuple[int, MemberRun]] = []
    with contextlib.ExitStack() as locks:
        for i, m in enumerate(members):
            sig = run_signature(m.config.to_dict(), m.seed, dataset, data_seed=data_seed)
            folder = RunFolder(m.out_dir, sig)
            locks.enter_context(folder.lock())
            try:
                outcomes[i] = finished_result(folder)
            except DivergenceError as exc:
                outcomes[i] = exc
            if outcomes[i] is None:
                pending.append((i, MemberRun(TorchRun(m.config, m.seed, device, data, shape, folder))))
        pending.sort(key=lambda item: item[1].history.epochs)
        for start, part in itertools.groupby(pending, key=lambda item: item[1].history.epochs):
            part = list(part)
            ens = _Ensemble([r for _, r in part], data, data_seed, progress, train_accuracy == "every")
            done = ens.train(start, on_epoch)
            for (i, member), out in zip(part, done, strict=True):
                outcomes[i] = out if isinstance(out, DivergenceError) else member.run.finish(
                    member.history, plots=plots, test=test)
    return outcomes  # type: ignore[return-value]


class _Ensemble:
    """The members that resume from the same epoch, stacked, and their training epochs."""

    def __init__(self, runs: list[MemberRun], data: dict, data_seed: int, progress: bool,
                 every_train_accuracy: bool = True) -> None:
        self.runs, self.data, self.data_seed, self.progress = runs, data, int(data_seed), progress
        self.every_train_accuracy = every_train_accuracy
        cfg = runs[0].cfg
        self.cfg = cfg
        dropout = [r.cfg.dropout if cfg.model == "mlp" else 0.0 for r in runs]
        self.stacked = StackedFFN.from_modules([r.run.model for r in runs], cfg.activation, dropout)
        self.opt = StackedOptimizer.from_torch([r.run.optimizer for r in runs], self.stacked.parameters())
        self.active = list(range(len(runs)))  # positions in runs of the members still training
        self.device = self.stacked.weights[0].device

    def train(self, start: int, on_epoch: EnsembleEpochCallback | None) -> list[DivergenceError | None]:
        """Epochs ``start + 1 .. cfg.epochs``; per run, its DivergenceError or None."""
        out: list[DivergenceError | None] = [None] * len(self.runs)
        for epoch in range(start + 1, self.cfg.epochs + 1):
            if not self.active:
                break
            metrics = self.epoch(epoch)
            keep = []
            for pos, (i, m) in enumerate(zip(self.active, metrics, strict=True)):
                run = self.runs[i]
                if not math.isfinite(m["train_loss"]):
                    out[i] = run.run.diverged(epoch, m["train_loss"])
                    continue
                run.store_epoch(epoch, m, self.stacked, self.opt, pos)
                keep.append(pos)
            if on_epoch is not None:
                on_epoch(epoch, [m for pos, m in enumerate(metrics) if pos in keep])
            if len(keep) < len(self.active):
                self._keep(keep)
        return out

    def _keep(self, keep: list[int]) -> None:
        idx = torch.tensor(keep, dtype=torch.long, device=self.device)
        self.stacked = self.stacked.select(idx)
        self.opt = self.opt.select(idx, self.stacked.parameters())
        self.active = [self.active[k] for k in keep]

    def epoch(self, epoch: int) -> list[dict[str, float]]:
        """Train every active member one epoch, then evaluate on dev and (every epoch, or after
        the last) on train; metrics per member."""
        start = time.perf_counter()
        X, y = self.data["train"]
        order = epoch_order(self.data_seed, epoch, len(y))
        gens = [torch.Generator(device=self.device).manual_seed(dropout_seed(self.runs[i].seed, epoch))
                for i in self.active]
        steps = math.ceil(len(y) / self.cfg.batch_size)
        with tqdm(total=steps, desc=f"ensemble of {len(self.active)}, epoch {epoch}/{self.cfg.epochs}",
                  leave=False, unit="step", mininterval=0.5, **bar_options(self.progress)) as bar:
            losses = train_stacked_epoch(self.stacked, self.opt, X, y, order, self.cfg.batch_size,
                                         gens, progress=bar.update)
        trained = time.perf_counter()
        train_acc = None
        if self.every_train_accuracy or epoch == self.cfg.epochs:
            train_acc = self.stacked.evaluate(X, y)[1].tolist()
        dev_loss, dev_acc = self.stacked.evaluate(*self.data["dev"])
        n, now = len(self.active), time.perf_counter()
        out = []
        for i, (a, c, d) in enumerate(zip(losses.tolist(), dev_loss.tolist(), dev_acc.tolist())):
            row = {"train_loss": a, "dev_loss": c, "dev_accuracy": d}
            if train_acc is not None:
                row["train_accuracy"] = train_acc[i]
            out.append({**row, "train_seconds": (trained - start) / n, "epoch_seconds": (now - start) / n})
        return out



def train_stacked_epoch(net: StackedFFN, opt: StackedOptimizer, X: torch.Tensor, y: torch.Tensor,
                        order: np.ndarray, batch_size: int, generators: Sequence[torch.Generator],
                        *, progress: Callable[[int], Any] | None = None) -> torch.Tensor:
    """One pass over (X (n, d), y (n,)) in row ``order``, every member on the same batches.

    Per step: dropout masks from each member's generator, the members' mean losses (M,) and
    their gradients (one stacked forward and backward pass), one stacked optimiser step.
    Returns the mean batch loss of each member (M,). The steps run with subnormals flushed to
    zero (:func:`~dlhw.training.torch_epoch.flush_denormal`): Adam's moments of rarely-lit
    pixels decay into them, and on this CPU they made later epochs about twice as slow as the
    first (``benchmarks/subnormals.py``: 1.56x slower by the third epoch at width 64). Each
    flushed value moves by less than 2^-126; after three epochs the weights of the flushed and
    the IEEE run differed by at most 6e-8 (a few float32 ulps: a rare rounding that then
    propagates), inside the tolerance to which the ensemble equals the plain loop.
    """
    idx = torch.from_numpy(np.ascontiguousarray(order)).to(X.device)
    xs = X.index_select(0, idx).split(batch_size)  # views (B, d)
    ys = y.index_select(0, idx).split(batch_size)
    total = torch.zeros(net.size, dtype=X.dtype, device=X.device)
    with flush_denormal():
        for step, (xb, yb) in enumerate(zip(xs, ys), start=1):
            total += net.loss_and_grad(xb, yb, net.masks(generators, len(yb)))
            opt.step(net.grads)
            if progress is not None and step % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
    if progress is not None:
        progress(len(xs) % PROGRESS_EVERY)
    return total / len(xs)

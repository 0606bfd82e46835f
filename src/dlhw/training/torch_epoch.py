"""One epoch of PyTorch training, and the functions that fix a run's randomness.

A run with seed ``s`` is reproducible from three functions that other trainers (the stacked
ensemble, the batch-1 fast path) call to match it exactly: :func:`init_model` (weights from
``s``), :func:`dlhw.rng.epoch_order` (the row order of each epoch, the numpy protocol's shuffle
too) and :func:`dropout_seed` (torch's RNG during the epoch, used inside
:func:`seeded_torch_rng` so the process-global RNG is left untouched).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from dlhw.data import Dataset
from dlhw.nets import NetConfig, from_config, train_step
from dlhw.rng import child_seed, epoch_order

INIT_KEY, DROPOUT_KEY = 0, 2  # child_seed keys: one stream per purpose
# Up to this batch size CPU training runs on one intra-op thread: the homework's matrices are
# small, and a thread pool's per-op synchronisation costs more than it saves (batch 64, 32 units:
# 2.6 ms/step on 1 thread vs 38 ms/step on 2 on a busy 2-core machine; benchmarks/torch_batch1.py)
ONE_THREAD_MAX_BATCH = 256
PROGRESS_EVERY = 500  # steps between progress-bar updates



def init_model(cfg: NetConfig | dict, n_classes: int, n_features: int, seed: int,
               device: str | torch.device = "cpu") -> nn.Module:
    """The initial model of a run with ``seed`` (same weights on every device)."""
    model = from_config(cfg, n_classes=n_classes, n_features=n_features,
                        seed=child_seed(seed, INIT_KEY))
    return model.to(device)


def epoch_batches(seed: int, epoch: int, n: int, batch_size: int) -> list[np.ndarray]:
    """The row indices of each batch of epoch ``epoch``; the last batch may be smaller."""
    order = epoch_order(seed, epoch, n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def dropout_seed(seed: int, epoch: int) -> int:
    """The seed of torch's RNG (dropout masks) during epoch ``epoch``."""
    return child_seed(seed, DROPOUT_KEY, epoch)


@contextlib.contextmanager
def seeded_torch_rng(seed: int, device: str | torch.device) -> Iterator[None]:
    """Run the block with torch's RNG (CPU, and ``device`` if CUDA) seeded; restore it after."""
    device = torch.device(device)
    cuda = ([device.index if device.index is not None else torch.cuda.current_device()]
            if device.type == "cuda" else [])
    with torch.random.fork_rng(devices=cuda):
        torch.random.default_generator.manual_seed(seed)
        for index in cuda:  # that device's generator, whichever device is current
            torch.cuda.default_generators[index].manual_seed(seed)
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


@contextlib.contextmanager
def flush_denormal() -> Iterator[None]:
    """Run the block with subnormal float32 inputs and results flushed to zero (FTZ/DAZ), then restore.

    Adam's moments of rarely-lit pixels decay geometrically (``m`` by 0.9 a step) into float32
    subnormals, on which this CPU's arithmetic is ~100x slower per instruction; flushing them
    changes a value by less than 2^-126 (1.2e-38), and an Adam step ``lr * m / (sqrt(v) + eps)``
    by less than ``lr * 1.2e-30``: below one ulp of any parameter larger than about 1e-23, so a
    parameter changes only where a rounding happens to fall on the other side (rarely; then
    by an ulp, which later steps carry along: ``benchmarks/subnormals.py`` measures it).
    torch sets the calling thread's MXCSR (:func:`torch.set_flush_denormal`): the trainers that
    use it (the batch-1 fast path, the stacked ensembles) compute in this thread. Where the CPU
    cannot flush, the block runs unchanged.
    """
    was = torch.tensor([1e-40], dtype=torch.float32).item() == 0.0
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(was)


def as_tensors(dataset: Dataset, device: str | torch.device = "cpu") -> dict[str, tuple[torch.Tensor,
                                                                                        torch.Tensor]]:
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

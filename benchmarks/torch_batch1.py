"""Seconds per epoch of PyTorch training at batch 1 and 64: the skeleton's plain loop vs dlhw's.

    python benchmarks/torch_batch1.py [--steps 5000] [--repeats 3] [--device cpu]

The *plain* loop is the 2021-22 skeleton's: a ``DataLoader`` over a per-item ``Dataset``
(``shuffle=True``), ``train_batch`` with ``loss.item()`` every step, torch's default thread count.
*plain, 1 thread* is the same loop with ``torch.set_num_threads(1)``. The *fast* loop is
:func:`dlhw.training.torch_epoch.train_epoch` as :func:`~dlhw.training.torch_loop.train_torch`
runs it: one gather of the pre-loaded tensors per epoch, views per batch, ``zero_grad(set_to_none)``,
the loss kept as a tensor (one synchronisation per epoch), one intra-op thread on CPU. Both do
the same updates (same model, optimiser, order semantics). Each cell times ``--steps`` steps
(best of ``--repeats``) and extrapolates to an epoch of 50000 rows (Fashion-MNIST's training
split); the data are random with Fashion-MNIST's shape, since timing does not depend on values.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from dlhw.nets import make_optimizer, train_batch
from dlhw.training.torch_epoch import cpu_threads, init_model, train_epoch

N_TRAIN, N_FEATURES, N_CLASSES = 50000, 784, 10
MODELS = {"logistic regression": {"model": "logistic_regression"},
          "FFN 200 relu d0.3": {"model": "mlp", "hidden_size": 200, "dropout": 0.3}}


class ItemDataset(Dataset):
    """The skeleton's ``ClassificationDataset``: one (x, y) pair per ``__getitem__``."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor):
        self.X, self.y = X, y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        return self.X[i], self.y[i]


def _setup(cfg: dict, device: str):
    model = init_model({**cfg, "lr": 0.01}, N_CLASSES, N_FEATURES, seed=0, device=device)
    return model, make_optimizer("sgd", model.parameters(), lr=0.01), torch.nn.CrossEntropyLoss()


def plain(cfg: dict, X, y, batch: int, steps: int, device: str) -> float:
    """Seconds for ``steps`` steps of the skeleton's loop."""
    model, opt, crit = _setup(cfg, device)
    model.train()
    loader = DataLoader(ItemDataset(X, y), batch_size=batch, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    start = time.perf_counter()
    for i, (xb, yb) in enumerate(loader):
        if i == steps:
            break
        train_batch(xb.to(device), yb.to(device), model, opt, crit)
    return time.perf_counter() - start


def fast(cfg: dict, X, y, batch: int, steps: int, device: str) -> float:
    """Seconds for ``steps`` steps of dlhw's loop (one thread on CPU, as train_torch uses)."""
    model, opt, crit = _setup(cfg, device)
    order = np.random.default_rng(0).permutation(len(y))[:steps * batch]
    with cpu_threads(1 if device == "cpu" else None):
        start = time.perf_counter()
        train_epoch(model, opt, crit, X, y, order, batch)
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return time.perf_counter() - start


def per_epoch(fn, cfg, X, y, batch, steps, device, repeats, threads=None) -> float:
    """Best-of-``repeats`` seconds per 50000-row epoch, extrapolated from ``steps`` steps."""
    steps = min(steps, math.ceil(N_TRAIN / batch))
    with cpu_threads(threads):
        best = min(fn(cfg, X, y, batch, steps, device) for _ in range(repeats))
    return best / steps * math.ceil(N_TRAIN / batch)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=5000, help="steps timed per cell (default 5000)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="cpu")
    p.add_argument("--batches", type=int, nargs="+", default=[1, 64])
    a = p.parse_args(argv)
    g = torch.Generator().manual_seed(0)
    X = torch.rand(N_TRAIN, N_FEATURES, generator=g)
    y = torch.randint(0, N_CLASSES, (N_TRAIN,), generator=g)
    Xd, yd = X.to(a.device), y.to(a.device)
    print(f"torch {torch.__version__}, device {a.device}, {torch.get_num_threads()} default threads; "
          f"seconds per epoch of {N_TRAIN} rows (best of {a.repeats}, from {a.steps} steps)")
    head = f"{'model':<20} {'batch':>5} {'plain':>9} {'plain 1thr':>10} {'fast':>9} {'plain/fast':>10}"
    print(head + "\n" + "-" * len(head))
    for name, cfg in MODELS.items():
        for batch in a.batches:
            t_plain = per_epoch(plain, cfg, X, y, batch, a.steps, a.device, a.repeats)
            t_plain1 = (per_epoch(plain, cfg, X, y, batch, a.steps, a.device, a.repeats, threads=1)
                        if a.device == "cpu" else math.nan)
            t_fast = per_epoch(fast, cfg, Xd, yd, batch, a.steps, a.device, a.repeats)
            print(f"{name:<20} {batch:>5} {t_plain:>9.2f} {t_plain1:>10.2f} {t_fast:>9.2f} "
                  f"{t_plain / t_fast:>9.1f}x", flush=True)


if __name__ == "__main__":
    main()

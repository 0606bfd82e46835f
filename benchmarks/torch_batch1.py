"""Seconds per Fashion-MNIST epoch of batch-1 PyTorch training: the plain loop vs the fast path.

    python benchmarks/torch_batch1.py [--steps 2000] [--fast-steps 10000] [--repeats 3]

*plain* is :func:`dlhw.training.torch_epoch.train_epoch` (autograd + ``torch.optim``, one
gather per epoch, the loss read once, one intra-op thread: what ``train_torch`` runs with
``--kernel autograd``); *fast* is :func:`dlhw.training.torch_fast.train_epoch_fast` (the
default ``--kernel fast``). Both train the hw2122 Q4 models from the same initial weights on
the first ``--steps`` (plain) / ``--fast-steps`` (fast) rows of the same epoch order of the
real training split (random data of the same shape when Fashion-MNIST is absent, said in the
header), one core (one torch thread; the kernel is single-threaded), and the time is
extrapolated to the 50000-row epoch. The two are measured interleaved, ``--repeats`` times
each (best of), so a busy machine slows both alike and the ratio stays meaningful; the header
prints the load average. Targets (issue 15): SGD FFN-200 1-3 layers >= 6x, Adam >= 15x,
logistic regression >= 5x. Run with ``--quick`` for a 10-second smoke run.

Note: extrapolating from the start of an epoch favours the plain loop for Adam: rarely-lit
pixels' moments decay into float32 subnormals as training goes on, and the plain loop's
arithmetic on subnormals is ~100x slower per element (the fast path flushes them, see
:mod:`dlhw.training.torch_fast`).
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
import torch
from torch import nn

from dlhw.nets import NetConfig, make_optimizer
from dlhw.training.torch_epoch import (
    as_tensors,
    cpu_threads,
    epoch_order,
    init_model,
    seeded_torch_rng,
    train_epoch,
)
from dlhw.training.torch_fast import train_epoch_fast

N_TRAIN = 50000
Q4 = {"model": "mlp", "hidden_size": 200, "dropout": 0.3, "lr": 0.01}  # Table 1 defaults
MODELS = {  # name -> (config, target ratio)
    "logreg SGD": ({"model": "logistic_regression", "lr": 0.01}, 5),
    "FFN-200 x1 SGD": (Q4, 6),
    "FFN-200 x2 SGD": ({**Q4, "layers": 2}, 6),
    "FFN-200 x3 SGD": ({**Q4, "layers": 3}, 6),
    "FFN-200 x1 Adam": ({**Q4, "optimizer": "adam"}, 15),
}


def _data(data_dir: str | None):
    """(X (n, 784) float32, y (n,) int64, description): Fashion-MNIST's training split, or random."""
    try:
        from dlhw.data import load

        ds = load("fashion-mnist", data_dir=data_dir, dtype=np.float32)
        X, y = as_tensors(ds)["train"]
        return X, y, f"Fashion-MNIST train ({len(y)} rows)"
    except Exception as exc:  # noqa: BLE001  (any reason the data is not there: benchmark anyway)
        g = torch.Generator().manual_seed(0)
        X = torch.rand(N_TRAIN, 784, generator=g) * (torch.rand(N_TRAIN, 784, generator=g) < 0.5)
        return X, torch.randint(0, 10, (N_TRAIN,), generator=g), f"random data ({type(exc).__name__})"


def seconds(fn, cfg: dict, X, y, order: np.ndarray) -> float:
    """Seconds of one pass of ``fn`` over ``order`` from the run's initial weights."""
    cfg = NetConfig.from_dict(cfg)
    model = init_model(cfg, 10, X.shape[1], seed=0)
    opt = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr, cfg.l2)
    with seeded_torch_rng(1, "cpu"), cpu_threads(1):
        start = time.perf_counter()
        fn(model, opt, nn.CrossEntropyLoss(), X, y, order, 1)
        return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=2000, help="plain-loop steps timed per repeat")
    p.add_argument("--fast-steps", type=int, default=10000, help="fast-path steps timed per repeat")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    p.add_argument("--quick", action="store_true", help="200 / 1000 steps, 1 repeat")
    a = p.parse_args(argv)
    if a.quick:
        a.steps, a.fast_steps, a.repeats = 200, 1000, 1
    X, y, what = _data(a.data_dir)
    order = epoch_order(0, 1, len(y))
    print(f"torch {torch.__version__}, 1 thread; {what}; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores; plain: {a.steps} steps, fast: {a.fast_steps} steps per "
          f"repeat, best of {a.repeats}, interleaved; seconds per {N_TRAIN}-row epoch")
    for name in a.models:  # compile (or load the cached kernels) outside the timing
        seconds(train_epoch_fast, MODELS[name][0], X, y, order[:8])
    head = f"{'model':<17} {'plain s/ep':>10} {'fast s/ep':>10} {'ratio':>7} {'target':>7}"
    print(head + "\n" + "-" * len(head))
    for name in a.models:
        cfg, target = MODELS[name]
        plain, fast = math.inf, math.inf
        for _ in range(a.repeats):
            plain = min(plain, seconds(train_epoch, cfg, X, y, order[:a.steps]) / a.steps)
            fast = min(fast, seconds(train_epoch_fast, cfg, X, y, order[:a.fast_steps]) / a.fast_steps)
        ratio = plain / fast
        print(f"{name:<17} {plain * N_TRAIN:>10.1f} {fast * N_TRAIN:>10.2f} {ratio:>6.1f}x "
              f"{'>=' + str(target) + 'x':>7}{'' if ratio >= target else '  (below target)'}", flush=True)


if __name__ == "__main__":
    main()

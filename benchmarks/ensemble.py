"""Ensemble vs one-by-one training of the 16 configurations of one width (the q2.2a grid).

For each width: the 16 configurations (4 learning rates x dropout {0, 0.2} x l2 {0, 1e-4}, Adam,
relu, one hidden layer, batch 64) on Fashion-MNIST, trained for the first ``--steps`` batches of
an epoch (a) one after another with the plain loop's epoch function
(:func:`dlhw.training.torch_loop.train_epoch`, dropout seeded as the plain loop seeds it) and (b)
as one stacked ensemble (:func:`dlhw.training.ensemble.train_stacked_epoch`). Timed: the setup
(initial models, optimisers; stacking for the ensemble), counted once, and the training steps
(not the per-epoch evaluation), extrapolated to a full epoch (``ceil(n_train / 64)`` steps):
one epoch = setup + steps x ``ceil(n_train / 64) / --steps``. The best of ``--repeats``
timings is kept for each, which filters out interference from other processes on a shared
machine (``--steps 782`` times whole epochs, no extrapolation).

    DLHW_DATA_DIR=../shared/data python benchmarks/ensemble.py [--steps 150] [--widths 16 32]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch

from dlhw.data import load
from dlhw.nets import NetConfig, make_optimizer
from dlhw.nets.stacked import StackedFFN
from dlhw.training.ensemble import train_stacked_epoch
from dlhw.training.stacked_optim import StackedOptimizer
from dlhw.training.torch_loop import (
    dropout_seed,
    epoch_order,
    init_model,
    seeded_torch_rng,
    train_epoch,
)

LRS, DROPOUTS, L2S = (1e-4, 3e-4, 1e-3, 3e-3), (0.0, 0.2), (0.0, 1e-4)


def configs(width: int) -> list[NetConfig]:
    return [NetConfig(hidden_size=width, layers=1, activation="relu", optimizer="adam", lr=lr,
                      dropout=d, l2=l2, batch_size=64, epochs=1)
            for lr in LRS for d in DROPOUTS for l2 in L2S]


def time_plain(cfgs: list[NetConfig], X, y, order) -> tuple[float, float]:
    """(setup seconds, training-step seconds) of the 16 runs one after another."""
    setup = steps = 0.0
    for seed, cfg in enumerate(cfgs):
        start = time.perf_counter()
        model = init_model(cfg, 10, X.shape[1], seed)
        opt = make_optimizer(cfg.optimizer, model.parameters(), cfg.lr, cfg.l2)
        ready = time.perf_counter()
        with seeded_torch_rng(dropout_seed(seed, 1), "cpu"):
            train_epoch(model, opt, torch.nn.CrossEntropyLoss(), X, y, order, cfg.batch_size)
        setup, steps = setup + ready - start, steps + time.perf_counter() - ready
    return setup, steps


def time_ensemble(cfgs: list[NetConfig], X, y, order) -> tuple[float, float]:
    """(setup seconds, training-step seconds) of the 16 runs as one stacked ensemble."""
    start = time.perf_counter()
    models = [init_model(c, 10, X.shape[1], s) for s, c in enumerate(cfgs)]
    net = StackedFFN.from_modules(models, "relu", [c.dropout for c in cfgs])
    opt = StackedOptimizer.from_torch([make_optimizer(c.optimizer, m.parameters(), c.lr, c.l2)
                                       for c, m in zip(cfgs, models)], net.parameters())
    gens = [torch.Generator().manual_seed(dropout_seed(s, 1)) for s in range(len(cfgs))]
    ready = time.perf_counter()
    train_stacked_epoch(net, opt, X, y, order, cfgs[0].batch_size, gens)
    return ready - start, time.perf_counter() - ready


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=80, help="batches timed per measurement")
    p.add_argument("--widths", type=int, nargs="+", default=[16, 32, 64, 128, 256])
    p.add_argument("--repeats", type=int, default=5, help="timings per measurement (best kept)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads of the plain loop (default 1, what dlhw's torch loop uses at "
                        "batch <= 256: more threads spin and wait on each other on these small models)")
    p.add_argument("--ensemble-threads", type=int, default=None,
                   help="torch threads of the ensemble (default: the same as --threads; the "
                        "ensemble's larger products can use every core)")
    args = p.parse_args()
    ens_threads = args.ensemble_threads or args.threads
    torch.set_num_threads(args.threads)
    ds = load("fashion-mnist", dtype=np.float32)
    X = torch.from_numpy(np.ascontiguousarray(ds.train[0]))
    y = torch.from_numpy(ds.train[1].astype(np.int64))
    order = epoch_order(0, 1, len(y))[:args.steps * 64]
    scale = math.ceil(len(y) / 64) / args.steps
    print(f"Fashion-MNIST, {len(y)} training rows, batch 64, {args.steps} of {math.ceil(len(y) / 64)} "
          f"steps timed, x{scale:.2f} to one epoch; torch threads: plain {args.threads}, "
          f"ensemble {ens_threads}")
    print(f"{'width':>6}{'plain 16 runs (s/epoch)':>26}{'ensemble of 16 (s/epoch)':>27}{'ratio':>8}")
    for width in args.widths:
        cfgs = configs(width)
        plain, ens = math.inf, math.inf
        for _ in range(args.repeats):  # interleaved, so both see the same load
            torch.set_num_threads(args.threads)
            setup, steps = time_plain(cfgs, X, y, order)
            plain = min(plain, setup + steps * scale)
            torch.set_num_threads(ens_threads)
            setup, steps = time_ensemble(cfgs, X, y, order)
            ens = min(ens, setup + steps * scale)
        print(f"{width:>6}{plain:>26.2f}{ens:>27.2f}{ens / plain:>8.3f}", flush=True)


if __name__ == "__main__":
    main()

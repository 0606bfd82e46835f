#!/usr/bin/env python
"""Adam's subnormal slowdown in the stacked ensembles, with and without flush-to-zero.

The 16 configurations of one q2.2a width (Adam, relu, batch 64) train as one stacked ensemble
for ``--epochs`` epochs on Fashion-MNIST, one thread, twice: with IEEE subnormals and inside
:func:`dlhw.training.torch_epoch.flush_denormal` (what ``train_stacked_epoch`` does). Printed:
seconds per block of ``--block`` steps, in order. With IEEE arithmetic the blocks slow down as
the first moments of rarely-lit pixels decay (by 0.9 a step) into float32 subnormals; flushed,
they stay flat. The last column is the largest weight difference between the two runs.

    DLHW_DATA_DIR=../shared/data python benchmarks/subnormals.py [--width 64] [--epochs 2]
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np
import torch

from dlhw.data import load
from dlhw.nets import NetConfig, make_optimizer
from dlhw.nets.stacked import StackedFFN
from dlhw.training.ensemble import train_stacked_epoch
from dlhw.training.stacked_optim import StackedOptimizer
from dlhw.training.torch_epoch import dropout_seed, epoch_order, init_model

LRS, DROPOUTS, L2S = (1e-4, 3e-4, 1e-3, 3e-3), (0.0, 0.2), (0.0, 1e-4)


def run(width: int, epochs: int, block: int, flush: bool, X, y) -> tuple[list[float], StackedFFN]:
    cfgs = [NetConfig(hidden_size=width, layers=1, activation="relu", optimizer="adam", lr=lr,
                      dropout=d, l2=l2, batch_size=64, epochs=epochs)
            for lr in LRS for d in DROPOUTS for l2 in L2S]
    models = [init_model(c, 10, X.shape[1], s) for s, c in enumerate(cfgs)]
    net = StackedFFN.from_modules(models, "relu", [c.dropout for c in cfgs])
    opt = StackedOptimizer.from_torch([make_optimizer(c.optimizer, m.parameters(), c.lr, c.l2)
                                       for c, m in zip(cfgs, models)], net.parameters())
    times = []
    for epoch in range(1, epochs + 1):
        gens = [torch.Generator().manual_seed(dropout_seed(s, epoch)) for s in range(len(cfgs))]
        order = epoch_order(0, epoch, len(y))
        for start in range(0, len(order), block * 64):
            chunk = order[start:start + block * 64]
            # train_stacked_epoch flushes itself; "IEEE" patches the flush out for the comparison
            with contextlib.nullcontext() if flush else _ieee():
                t = time.perf_counter()
                train_stacked_epoch(net, opt, X, y, chunk, 64, gens)
                times.append(time.perf_counter() - t)
    return times, net


@contextlib.contextmanager
def _ieee():
    import dlhw.training.ensemble as ens

    saved = ens.flush_denormal
    ens.flush_denormal = contextlib.nullcontext
    try:
        yield
    finally:
        ens.flush_denormal = saved


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--block", type=int, default=200, help="steps per timed block")
    args = p.parse_args()
    torch.set_num_threads(1)
    ds = load("fashion-mnist")
    X, y = torch.from_numpy(ds.train[0]).float(), torch.from_numpy(ds.train[1])
    ieee, a = run(args.width, args.epochs, args.block, False, X, y)
    flushed, b = run(args.width, args.epochs, args.block, True, X, y)
    diff = max(float((p - q).abs().max()) for p, q in zip(a.parameters(), b.parameters()))
    print(f"width {args.width}, 16 members, seconds per {args.block} steps (one thread)")
    print("| block | IEEE | flushed |\n| --- | --- | --- |")
    for i, (s, f) in enumerate(zip(ieee, flushed), start=1):
        print(f"| {i} | {s:.2f} | {f:.2f} |")
    print(f"| all | {sum(ieee):.1f} | {sum(flushed):.1f} |\nlargest weight difference: {diff:.3g}")
    print(f"ratio of the last blocks: {np.mean(ieee[-2:]) / np.mean(flushed[-2:]):.2f}")


if __name__ == "__main__":
    main()

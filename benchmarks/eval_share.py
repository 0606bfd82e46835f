#!/usr/bin/env python
"""Evaluation and plots against training, for every numpy model (issue 16's lean epochs).

For each model of the texts, on the full data with the protocol's own pieces: the median of
``--repeat`` steady-state training epochs (compiled kernel, after a warm-up epoch), the median
cost of one epoch's evaluation (``protocol._evaluate`` over the splits the protocol scores every
epoch, with the views ``_prepare_eval`` makes once per run), their ratio (target <= 0.15), and
the one-off costs: preparing the evaluation views and drawing the run's figures
(``protocol.plot_curves``: PNG + PDF), as a share of a whole 20-epoch (Q3) or 150-epoch (Q2)
run estimated from the medians (target <= 0.10).

    DLHW_DATA_DIR=../shared/data python benchmarks/eval_share.py [--repeat 5] [--only perceptron,mlp]

In-process timings (no imports, no data loading); ``benchmarks/whole_process.py`` times whole
commands. The load average is printed: compare runs made at a similar load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _table import print_table  # benchmarks/_table.py (this script's folder is on sys.path)

from dlhw.data import load
from dlhw.scratch import make_model
from dlhw.training import protocol
from dlhw.training.history import History

EVAL_TARGET, PLOT_TARGET = 0.15, 0.10
BIAS = {"perceptron", "logistic_regression", "linear_regression"}  # a constant-1 column, as in the texts
# (name, data set, model kind, config, learning rate, epochs of the text's run)
MODELS = [
    ("perceptron", "fashion-mnist", "perceptron", {}, 1.0, 20),
    ("logistic_regression", "fashion-mnist", "logistic_regression", {"l2": 0.0}, 0.001, 20),
    ("mlp", "fashion-mnist", "mlp", {"hidden_size": 200, "seed": 0}, 0.001, 20),
    ("linear_regression", "ames", "linear_regression", {}, 0.001, 150),
    ("nn", "ames", "nn", {"hidden_size": 150, "seed": 0}, 0.001, 150),
]


def _median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(name: str, data, kind: str, config: dict, lr: float, epochs: int, repeat: int) -> list[str]:
    X, y = data.train
    model = make_model(kind, n_features=data.n_features, **({} if data.n_classes is None else
                                                             {"n_classes": data.n_classes}), **config)
    prepared = model.prepare(X, "numba")
    splits = protocol._eval_splits(data, track_test=False)
    start = time.perf_counter()
    views = protocol._prepare_eval(model, splits, prepared)
    prepare_s = time.perf_counter() - start
    epoch = [1]

    def train_one():
        epoch[0] += 1
        model.train_epoch(X, y, lr, order=protocol.epoch_order(0, epoch[0], len(y)), prepared=prepared)

    train_one()  # warm-up: compile or load the kernels
    protocol._evaluate(model, views)
    train_s = _median_seconds(train_one, repeat)
    eval_s = _median_seconds(lambda: protocol._evaluate(model, views), repeat)
    history = History(monitor=protocol.default_monitor(model, data.dev is not None))
    for e in range(epochs):
        history.append(**{k: float(v) + 1e-3 * e for k, v in protocol._evaluate(model, views).items()},
                       **{f"train_{model.loss_name}": 1.0 / (e + 1)})
    with tempfile.TemporaryDirectory() as tmp:
        draw = lambda: protocol.plot_curves(history, model, Path(tmp), name)  # noqa: E731
        draw()  # matplotlib's import: a run overlaps it with training (plots.preload)
        plot_s = _median_seconds(draw, max(1, repeat // 2))
    run_s = prepare_s + epochs * (train_s + eval_s) + plot_s
    ratio = eval_s / train_s
    share = plot_s / run_s
    return [name, f"{train_s * 1e3:.1f}", f"{eval_s * 1e3:.1f}", f"{ratio:.2f}",
            "pass" if ratio <= EVAL_TARGET else "FAIL", f"{prepare_s * 1e3:.0f}", f"{plot_s * 1e3:.0f}",
            f"{share:.2f}", "pass" if share <= PLOT_TARGET else "FAIL"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=5, help="timed epochs and evaluations (median)")
    p.add_argument("--only", default=None, help="comma-separated model names (default: all)")
    args = p.parse_args(argv)
    if not os.environ.get("DLHW_DATA_DIR"):
        raise SystemExit("set DLHW_DATA_DIR to the folder holding fashion-mnist/ and ames/")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; median of {args.repeat}",
          file=sys.stderr)
    datasets: dict[tuple[str, bool], object] = {}
    head = ["model", "epoch ms", "eval ms", f"eval/epoch (<= {EVAL_TARGET})", "", "eval prepare ms",
            "plots ms", f"plots/run (<= {PLOT_TARGET})", ""]
    rows = []
    for name, ds, kind, config, lr, epochs in MODELS:
        if args.only and name not in args.only.split(","):
            continue
        key = (ds, kind in BIAS)
        if key not in datasets:
            datasets[key] = load(ds, bias=key[1])
        data = datasets[key]
        with np.errstate(over="ignore", invalid="ignore"):
            rows.append(measure(name, data, kind, config, lr, epochs, args.repeat))
        print("  ".join(rows[-1]), file=sys.stderr)
    print_table(head, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

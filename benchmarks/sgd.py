"""Seconds per batch-1 SGD epoch: the numpy reference against the compiled (numba) twins.

    DLHW_DATA_DIR=/work/shared/data python benchmarks/sgd.py [--models mlp ...] [--n-ref 5000]

One core: BLAS, OpenMP and numba threads are limited to 1 before numpy is imported. Data:
Fashion-MNIST train (50000 x 784, half of the pixels zero; a constant-1 column for the linear
models). The regression models are timed on the same images with the label as a real target
(a workload for timing only). The numpy reference is timed on the whole epoch by default,
from fresh weights as the fast path (``--n-ref N``: on the first N rows of the epoch's order,
extrapolated; quicker, but from zero weights the perceptron makes more mistakes early, which
flatters the speed-up). The fast paths run the full epoch, from the same initial weights, on the
same rows (float64; ``numba32`` rows get the data as float32, as its users load it). Each time
is the best of ``--repeat`` runs, the two paths interleaved (the machine is shared). FLOPs are
the dense reference's count per example (``W @ x`` and the rank-1 update: 4 per weight for the
linear and hidden layers), so "% peak" is the dense-equivalent rate over a 1-thread float64 GEMM
measured in the same run. The linear classifiers read a ``uint8`` encoding of ``X`` built
once per training run (``model.prepare``, ``dlhw.scratch._fast_linear``); its one-off build time
is printed above the table and is in no row. ``--compile`` also times the first call in two
fresh processes that share an empty numba cache (the first compiles, the second loads the cache).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported: one core for everything

import argparse
import subprocess
import sys
import tempfile
import time

import numpy as np

from dlhw.scratch import _fast_linear as fl
from dlhw.scratch import _fast_perceptron as fp
from dlhw.scratch import make_model

LINEAR = ("perceptron", "logistic_regression")

# name -> (model kind, config beyond sizes, learning rate, bias column, regression target)
CASES = {
    "perceptron": ("perceptron", {}, 1.0, True, False),
    "logistic_regression": ("logistic_regression", {"l2": 0.0}, 0.001, True, False),
    "logistic_regression_l2": ("logistic_regression", {"l2": 1e-4}, 0.001, True, False),
    "mlp_200": ("mlp", {"hidden_size": 200}, 0.001, False, False),
    "linear_regression": ("linear_regression", {}, 1e-4, True, True),
    "nn_150": ("nn", {"hidden_size": 150}, 1e-4, False, True),
}


def gemm_gflops(n: int = 1000, repeat: int = 5) -> float:
    """Best-of-``repeat`` GFLOP/s of an ``n x n`` float64 matrix product (numpy, 1 thread)."""
    rng = np.random.default_rng(0)
    A, B = rng.random((n, n)), rng.random((n, n))
    best = min(_seconds(lambda: A @ B) for _ in range(repeat))
    return 2 * n**3 / best / 1e9


def _seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def epoch_flops(kind: str, model, n: int, loss: float) -> float:
    """Dense-equivalent FLOPs of one reference epoch over ``n`` examples."""
    D = model.n_features
    if kind == "perceptron":  # scores, plus two row updates on each mistake (loss = mistake rate)
        return n * (2 * model.n_classes * D + loss * 4 * D)
    if kind == "logistic_regression":
        return n * (4 + 2 * (model.l2 > 0)) * model.n_classes * D
    if kind == "linear_regression":
        return n * 4 * D
    H, K = model.hidden_size, (model.n_classes or 1)
    return n * 4 * H * (D + K)


def make(kind: str, config: dict, X: np.ndarray, n_classes: int):
    sizes = {"n_features": X.shape[1]}
    if kind in ("perceptron", "logistic_regression", "mlp"):
        sizes["n_classes"] = n_classes
    return make_model(kind, **sizes, **config)


def timed_epoch(kind: str, config: dict, X: np.ndarray, y: np.ndarray, lr: float, order: np.ndarray,
                kernel: str, prepared: object) -> tuple[float, float, object]:
    """Seconds of one epoch over ``order`` from fresh weights; also its loss and the model.

    As in the protocol, ``prepared`` (``model.prepare``) is built once per data array, untimed.
    """
    model = make(kind, config, X, 10)
    start = time.perf_counter()
    loss = model.train_epoch(X, y, lr, order=order, kernel=kernel, prepared=prepared)
    return time.perf_counter() - start, loss, model


def time_case(name: str, data: dict, n_ref: int, kernels: list[str], peak: float,
              repeat: int) -> list[str]:
    """One table row per kernel for case ``name``."""
    kind, config, lr, bias, regression = CASES[name]
    rows = []
    for kernel in kernels:
        X, y = data[bias, kernel == "numba32"]
        y = y.astype(np.float64) if regression else y
        order = np.random.default_rng(0).permutation(len(y))
        warm = make(kind, config, X, 10)  # compile or load every kernel this case uses
        warm.train_epoch(X[:20], y[:20], lr, kernel=kernel, prepared=warm.prepare(X[:20], kernel))
        enc = fl.encode(X) if kind in LINEAR else None
        n_ref = min(n_ref or len(y), len(y))
        prepared = warm.prepare(X, kernel)
        t_ref = t = float("inf")
        for _ in range(repeat):  # interleaved: both paths see the same load on a shared machine
            t_ref = min(t_ref, timed_epoch(kind, config, X, y, lr, order[:n_ref], "numpy", None)[0])
            t_fast, loss, model = timed_epoch(kind, config, X, y, lr, order, kernel, prepared)
            t = min(t, t_fast)
        t_ref *= len(y) / n_ref
        gflops = epoch_flops(kind, model, len(y), loss) / t / 1e9
        path = "uint8 codes" if enc is not None else ("sparse rows" if kind in ("mlp", "nn") else "dense X")
        if kind == "perceptron" and fp.exact_for(np.zeros_like(model.W, X.dtype), lr, enc, X, len(y)):
            path += ", certified float32 5-row blocks"
        rows.append(f"| {name} | {kernel} | {path} | {t_ref:.2f} | {t:.3f} | {t_ref / t:.1f}x | "
                    f"{gflops:.2f} | {100 * gflops / peak:.1f}% |")
    return rows


COMPILE_SNIPPET = """
import time, numpy as np
from dlhw.scratch import make_model
rng = np.random.default_rng(0)
X = rng.integers(0, 256, (20, 30)) / 256  # pixel-like: every path
yc = rng.integers(0, 3, 20); yr = rng.random(20)
models = [("perceptron", dict(n_classes=3, n_features=30), yc),
          ("logistic_regression", dict(n_classes=3, n_features=30), yc),
          ("mlp", dict(n_classes=3, n_features=30, hidden_size=4), yc),
          ("linear_regression", dict(n_features=30), yr),
          ("nn", dict(n_features=30, hidden_size=4), yr)]
start = time.perf_counter()
for kind, cfg, y in models:
    model = make_model(kind, **cfg)
    model.train_epoch(X, y, 1.0 if kind == "perceptron" else 0.01, kernel="{kernel}",
                      prepared=model.prepare(X, "{kernel}"))
print(time.perf_counter() - start)
"""


def compile_seconds(kernel: str) -> tuple[float, float]:
    """First-call seconds (all five models) in a fresh process with an empty cache, then again."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out = [float(subprocess.run([sys.executable, "-c", COMPILE_SNIPPET.format(kernel=kernel)],
                                    env=env, check=True, capture_output=True, text=True).stdout)
               for _ in range(2)]
    return out[0], out[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-ref", type=int, default=0,
                   help="rows timed for the numpy reference (default 0: the whole epoch)")
    p.add_argument("--models", nargs="+", default=list(CASES), choices=list(CASES))
    p.add_argument("--kernels", nargs="+", default=["numba", "numba32"], choices=["numba", "numba32"])
    p.add_argument("--repeat", type=int, default=3, help="report the best of this many runs")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--compile", action="store_true", help="also time compilation and cache loads")
    args = p.parse_args()
    from dlhw.data import load

    data = {(bias, f32): load("fashion-mnist", data_dir=args.data_dir, bias=bias,
                              dtype=np.float32 if f32 else np.float64).train
            for bias in (False, True) for f32 in (False, True)}
    peak = gemm_gflops()
    n = len(data[False, False][1])
    print(f"Fashion-MNIST train, {n} rows, one core; peak = 1-thread float64 GEMM {peak:.1f} GFLOP/s")
    print(f"numpy reference timed on {args.n_ref or n} rows, per epoch of {n}; fast paths on all {n}; "
          f"best of {args.repeat}\n")
    fl.encode(np.zeros((2, 2)))  # compile (or load) the encoder
    for f32 in (False, True):
        X = data[True, f32][0]
        start = time.perf_counter()
        fl.encode(X)
        print(f"uint8 encoding of the linear models' X ({X.dtype}): {time.perf_counter() - start:.3f} s, "
              f"once per data array")
    print("\n| model | fast kernel | path | numpy s/epoch | fast s/epoch | speed-up | fast GFLOP/s | % peak "
          "|")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for name in args.models:
        for row in time_case(name, data, args.n_ref, args.kernels, peak, args.repeat):
            print(row, flush=True)
    if args.compile:
        print("\n| kernel | first call, empty cache (s) | first call, second process (s) |")
        print("| --- | ---: | ---: |")
        for kernel in args.kernels:
            cold, warm = compile_seconds(kernel)
            print(f"| {kernel} | {cold:.1f} | {warm:.2f} |")


if __name__ == "__main__":
    main()

"""Seconds to compute each feature map of ``dlhw.features`` for 100k images.

    DLHW_DATA_DIR=/work/shared/data python benchmarks/features.py [--n 100000] [--dtype float32]

Uses Fashion-MNIST images (tiled up to ``--n`` rows) when the data set is found, else random
images. Prints one Markdown row per map: output dimension, seconds, images per second.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from dlhw.errors import DataError
from dlhw.features import FEATURE_MAPS


def images(n: int, dtype: str, data_dir: str | None) -> tuple[np.ndarray, str]:
    """``n`` flattened images (n, 784): real Fashion-MNIST rows when available."""
    try:
        from dlhw.data import load

        ds = load("fashion-mnist", data_dir=data_dir, dtype=np.dtype(dtype))
        X = np.concatenate([ds.train[0], ds.dev[0], ds.test[0]])
        source = "Fashion-MNIST"
    except DataError:
        X = np.random.default_rng(0).random((10_000, 784)).astype(dtype)
        source = "random"
    return np.resize(X, (n, 784)), source  # tiles rows as needed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--dtype", default="float64", choices=("float32", "float64"))
    p.add_argument("--data-dir", default=None)
    p.add_argument("--repeat", type=int, default=1, help="report the best of this many runs")
    args = p.parse_args()
    X, source = images(args.n, args.dtype, args.data_dir)
    print(f"{args.n} {source} images, {args.dtype}\n")
    print("| feature map | dim | seconds | images/s |\n| --- | ---: | ---: | ---: |")
    for name, fmap in FEATURE_MAPS.items():
        best = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            fmap(X)
            best = min(best, time.perf_counter() - start)
        print(f"| {name} | {fmap.output_dim} | {best:.2f} | {args.n / best:,.0f} |")


if __name__ == "__main__":
    main()

"""Small synthetic data sets for the protocol tests (seeded, built in milliseconds)."""

from __future__ import annotations

import numpy as np

from dlhw.data.dataset import Dataset


def blobs(seed: int = 0, n: int = 240, d: int = 6, k: int = 3) -> Dataset:
    """``k`` Gaussian classes in ``d`` dimensions, split 60/20/20."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 2.0, size=(k, d))
    y = rng.integers(0, k, size=n)
    X = centres[y] + rng.normal(size=(n, d))
    a, b = int(0.6 * n), int(0.8 * n)
    return Dataset(name="blobs", train=(X[:a], y[:a]), dev=(X[a:b], y[a:b]), test=(X[b:], y[b:]),
                   n_classes=k)


def linear_data(seed: int, n: int = 200, d: int = 5) -> Dataset:
    """``y = X w + noise`` split 50/50 (no dev split, like Ames)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)
    return Dataset(name="linear", train=(X[: n // 2], y[: n // 2]), dev=None,
                   test=(X[n // 2:], y[n // 2:]), n_classes=None)

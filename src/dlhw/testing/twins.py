"""The scratch models' twin cases: every model, its learning rate and the data that the numba
kernels are checked on against the numpy reference (``tests/scratch/test_fast*.py``).

Equality is "to 1e-12 relative" in float64: elementwise ``rtol=1e-12`` with an absolute floor of
1e-12 times the largest weight (a weight that cancels to ~0 cannot keep 12 relative digits under
any change of summation order, and the reference's BLAS picks its own order).
"""

from __future__ import annotations

import numpy as np

from dlhw.scratch import ScratchModel, make_model

RTOL = 1e-12
# name -> (model kind, extra config, learning rate, regression?)
CASES = {
    "perceptron": ("perceptron", {}, 1.0, False),
    "perceptron_lr": ("perceptron", {}, 0.37, False),
    "logistic": ("logistic_regression", {"l2": 0.0}, 0.05, False),
    "logistic_l2": ("logistic_regression", {"l2": 0.03}, 0.05, False),
    "logistic_strong_l2": ("logistic_regression", {"l2": 3.0}, 0.3, False),
    "mlp": ("mlp", {"hidden_size": 24, "seed": 3}, 0.02, False),
    "linear_regression": ("linear_regression", {}, 0.005, True),
    "nn": ("nn", {"hidden_size": 24, "seed": 3}, 0.002, True),
}


def build(name: str, n_features: int, n_classes: int) -> tuple[ScratchModel, float]:
    kind, extra, lr, regression = CASES[name]
    sizes = {"n_features": n_features} if regression else {"n_features": n_features, "n_classes": n_classes}
    return make_model(kind, **sizes, **extra), lr


def sparse_data(seed: int, n: int = 160, d: int = 40, k: int = 4) -> tuple[np.ndarray, np.ndarray,
                                                                           np.ndarray]:
    """``X`` (n, d) with ~60% exact zeros, labels (n,) in 0..k-1, real targets (n,)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * (rng.random((n, d)) < 0.4)
    X[:, -1] = 1.0  # a bias column
    return X, rng.integers(0, k, size=n), X @ rng.normal(size=d) + 0.1 * rng.normal(size=n)


def assert_same_params(fast: ScratchModel, ref: ScratchModel, rtol: float = RTOL) -> None:
    for k, want in ref.state_dict().items():
        got = fast.state_dict()[k]
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * max(np.abs(want).max(), 1e-300),
                                   err_msg=f"parameter {k}")


def run_epochs(name: str, X: np.ndarray, y: np.ndarray, kernel: str, orders: list[np.ndarray],
               k: int) -> tuple[ScratchModel, list[float]]:
    model, lr = build(name, X.shape[1], k)
    losses = [model.train_epoch(X, y, lr, order=o, kernel=kernel) for o in orders]
    return model, losses


def targets(name: str, labels: np.ndarray, real: np.ndarray) -> np.ndarray:
    return real if CASES[name][3] else labels


def pixel_data(seed: int, n: int = 150, d: int = 30, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (n, d+1) of ``k/256`` values, ~60% zeros, a constant-1 bias column; labels (n,)."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, size=(n, d)) * (rng.random((n, d)) < 0.4) / 256.0
    return np.hstack([X, np.ones((n, 1))]), rng.integers(0, k, size=n)

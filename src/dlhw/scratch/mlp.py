"""A one-hidden-layer ReLU network for classification, backpropagation written by hand.

2025-26 Q1.3 (100 hidden units) and 2021-22 Q3.2b (200 hidden units). Explicit biases ``b1``,
``b2`` (load the data *without* the constant-1 feature). Initialisation as both texts ask:
biases 0, weights ~ N(0.1, 0.1^2), drawn from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlhw.errors import ConfigError
from dlhw.rng import as_generator
from dlhw.scratch._base import ScratchModel, check_sizes, compiled
from dlhw.scratch._eval32 import Rows32, mlp_predict, rows32
from dlhw.scratch._ops import cross_entropy, cross_entropy_rows, normal_init, relu, relu_backward


def hidden_forward(W1: np.ndarray, b1: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pre-activation ``a = W1 @ x + b1`` (H,) and hidden units ``h = relu(a)`` (H,)."""
    a = W1 @ x + b1  # (H,)
    return a, relu(a)


def hidden_backward(da_out: np.ndarray, W_out: np.ndarray, a: np.ndarray,
                    x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Given ``dL/d(out)`` (K,) and the output weights ``W_out`` (K, H), return ``dW1, db1``.

    ``dh = W_out^T dout``; ``da = dh * [a > 0]``; ``dW1 = da x^T``; ``db1 = da``.
    """
    da = relu_backward(W_out.T @ da_out, a)  # (H,)
    return np.outer(da, x), da  # (H, D), (H,)


class MLP(ScratchModel):
    """``z = W2 relu(W1 x + b1) + b2``, softmax cross-entropy, batch-1 SGD.

    Parameters: ``W1`` (H, D), ``b1`` (H,), ``W2`` (K, H), ``b2`` (K,). :meth:`train_epoch`
    returns the mean cross-entropy of the epoch's examples (each before its update).
    """

    _params = ("W1", "b1", "W2", "b2")

    def __init__(self, n_classes: int, n_features: int, hidden_size: int, layers: int = 1, *,
                 seed: Any = 0) -> None:
        """``layers`` is the 2021-22 skeleton's 4th argument (``MLP(n_classes, n_features,
        hidden_size, layers)``): this MLP has exactly one hidden layer, as both texts ask, so it
        must be 1. ``seed`` (keyword only, so a skeleton's ``layers`` never becomes a seed) seeds
        the N(0.1, 0.1^2) initial weights."""
        if isinstance(layers, bool) or not isinstance(layers, (int, np.integer)) or layers != 1:
            raise ConfigError(f"the numpy MLP has exactly one hidden layer (layers=1), got layers="
                              f"{layers!r}; pass the seed as seed=..., and use the PyTorch "
                              f"FeedforwardNetwork for deeper networks")
        check_sizes(n_classes, n_features, hidden_size)
        self.n_classes, self.n_features, self.hidden_size = int(n_classes), int(n_features), int(hidden_size)
        self.seed = seed if isinstance(seed, int) else None
        rng = as_generator(seed)
        self.W1 = normal_init(rng, (self.hidden_size, self.n_features))  # (H, D)
        self.b1 = np.zeros(self.hidden_size)  # (H,)
        self.W2 = normal_init(rng, (self.n_classes, self.hidden_size))  # (K, H)
        self.b2 = np.zeros(self.n_classes)  # (K,)

    def config(self) -> dict[str, Any]:
        return {"n_classes": self.n_classes, "n_features": self.n_features,
                "hidden_size": self.hidden_size, "seed": self.seed}

    def loss_and_grads(self, x_i: np.ndarray, y_i: int) -> tuple[float, dict[str, np.ndarray]]:
        """Cross-entropy of one example and its gradient for ``W1, b1, W2, b2``."""
        a, h = hidden_forward(self.W1, self.b1, x_i)  # (H,), (H,)
        z = self.W2 @ h + self.b2  # (K,)
        loss, dz = cross_entropy(z, y_i)  # dz (K,)
        dW1, db1 = hidden_backward(dz, self.W2, a, x_i)
        return loss, {"W1": dW1, "b1": db1, "W2": np.outer(dz, h), "b2": dz}

    def _prepare_fast(self, X: np.ndarray) -> Any:
        return compiled().encode(X)  # the exact uint8 encoding of X, read by every epoch

    def _train_epoch_fast(self, X, y, lr, order, dtype, prepared) -> float:
        fast = compiled()
        params = (self.W1, self.b1, self.W2, self.b2)
        return fast.hidden_net(fast.mlp_epoch, params, X, y, lr, order, dtype, prepared)

    def scores(self, X: np.ndarray) -> np.ndarray:
        """Logits for the rows of ``X`` (N, D): shape (N, K)."""
        H = relu(X @ self.W1.T + self.b1)  # (N, H)
        return H @ self.W2.T + self.b2  # (N, K)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self.scores(X).argmax(axis=1)

    def prepare_eval(self, X: Any, reuse: Any = None) -> Rows32 | None:
        return rows32(self._check_X(X, keep_codes=True))

    def _predict_prepared(self, prepared: Rows32) -> np.ndarray:
        return mlp_predict(self.W1, self.b1, self.W2, self.b2, prepared, self._predict)

    def loss(self, X: Any, y: Any) -> float:
        """Mean cross-entropy over the rows of ``X`` (n, D) with labels ``y`` (n,)."""
        X, y = self._check_X_y(X, y)
        return float(np.mean(cross_entropy_rows(self.scores(X), y)))

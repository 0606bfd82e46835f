"""Regression of Ames house prices (2021-22 Q2): a linear model and a one-hidden-layer network.

Loss per example ``0.5 * (prediction - y)^2`` (the text's squared error), batch-1 SGD;
:meth:`evaluate` returns the RMSE. **Bias:** ``LinearRegression`` has none of its own; load
the data with ``bias=True`` (the skeleton's convention) so the constant-1 feature's weight is
the intercept. ``NeuralRegression`` has explicit biases ``b1`` (H,) and ``b2`` (a 0-d array).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlhw.rng import as_generator
from dlhw.scratch._base import ScratchModel, check_sizes, compiled
from dlhw.scratch._ops import normal_init, relu, squared_error
from dlhw.scratch.mlp import hidden_backward, hidden_forward
from dlhw.validation import check_X_y


def solve_analytically(X: Any, y: Any) -> np.ndarray:
    """Least-squares weights ``argmin_w ||X w - y||^2`` for ``X`` (n, d), ``y`` (n,): shape (d,).

    Solved with :func:`numpy.linalg.lstsq` (SVD based), never an explicit inverse: when ``X``
    is rank deficient (Ames' one-hot columns plus the bias column are collinear) it returns the
    minimum-norm solution, which is also the point SGD from zero weights converges to.
    """
    X, y = check_X_y(X, y)
    w, *_ = np.linalg.lstsq(np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64),
                            rcond=None)
    return w


class _Regressor(ScratchModel):
    task = "regression"
    metric = "rmse"


class LinearRegression(_Regressor):
    """``y_hat = w @ x``, weights ``w`` (D,) from zero; one step ``w -= lr * (w @ x - y) x``."""

    _params = ("w",)

    def __init__(self, n_features: int) -> None:
        check_sizes(None, n_features)
        self.n_features = int(n_features)
        self.w = np.zeros(self.n_features)  # (D,)

    def config(self) -> dict[str, Any]:
        return {"n_features": self.n_features}

    def loss_and_grads(self, x_i: np.ndarray, y_i: float) -> tuple[float, dict[str, np.ndarray]]:
        """``0.5 (w.x - y)^2`` and its gradient ``{"w": (w.x - y) x}``."""
        loss, dpred = squared_error(self.w @ x_i, y_i)
        return loss, {"w": dpred * x_i}

    def _train_epoch_fast(self, X, y, lr, order, dtype, prepared) -> float:
        fast = compiled()
        return fast.linear_regression(self.w, fast.kernel_input(X, dtype), y, lr, order, dtype)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return X @ self.w

    def distance_to(self, w_star: np.ndarray) -> float:
        """Euclidean distance ``||w - w_star||`` (e.g. to :func:`solve_analytically`'s weights)."""
        return float(np.linalg.norm(self.w - np.asarray(w_star, dtype=np.float64)))

    def solve_analytically(self, X: Any, y: Any) -> np.ndarray:
        """The closed-form weights for ``X``, ``y`` (see :func:`solve_analytically`)."""
        return solve_analytically(X, y)


class NeuralRegression(_Regressor):
    """``y_hat = w2 @ relu(W1 x + b1) + b2``; biases 0, weights ~ N(0.1, 0.1^2).

    Parameters ``W1`` (H, D), ``b1`` (H,), ``w2`` (H,), ``b2`` () ; the hidden layer shares
    :func:`~dlhw.scratch.mlp.hidden_forward` / ``hidden_backward`` with the classifier MLP.
    """

    _params = ("W1", "b1", "w2", "b2")

    def __init__(self, n_features: int, hidden_size: int, seed: Any = 0) -> None:
        check_sizes(None, n_features, hidden_size)
        self.n_features, self.hidden_size = int(n_features), int(hidden_size)
        self.seed = seed if isinstance(seed, int) else None
        rng = as_generator(seed)
        self.W1 = normal_init(rng, (self.hidden_size, self.n_features))  # (H, D)
        self.b1 = np.zeros(self.hidden_size)  # (H,)
        self.w2 = normal_init(rng, (self.hidden_size,))  # (H,)
        self.b2 = np.zeros(())  # () scalar bias, an array so it updates in place

    def config(self) -> dict[str, Any]:
        return {"n_features": self.n_features, "hidden_size": self.hidden_size, "seed": self.seed}

    def loss_and_grads(self, x_i: np.ndarray, y_i: float) -> tuple[float, dict[str, np.ndarray]]:
        """Squared error of one example and its gradient for ``W1, b1, w2, b2``."""
        a, h = hidden_forward(self.W1, self.b1, x_i)  # (H,), (H,)
        loss, dpred = squared_error(self.w2 @ h + self.b2, y_i)
        dout = np.array([dpred])  # (1,) so the output layer is a (1, H) matrix
        dW1, db1 = hidden_backward(dout, self.w2[None, :], a, x_i)
        return loss, {"W1": dW1, "b1": db1, "w2": dpred * h, "b2": np.asarray(dpred)}

    def _train_epoch_fast(self, X, y, lr, order, dtype, prepared) -> float:
        fast = compiled()
        params = (self.W1, self.b1, self.w2, self.b2)
        return fast.hidden_net(fast.neural_regression_epoch, params, X, y, lr, order, dtype, prepared)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return relu(X @ self.W1.T + self.b1) @ self.w2 + self.b2  # (N, H) @ (H,) -> (N,)

"""Linear classifiers: the multi-class perceptron and multinomial logistic regression.

Both score an example with ``W @ x`` (W of shape (n_classes, n_features)) and predict the
arg-max. **Bias:** there is no separate bias vector; like the courses' skeletons, load the data
with ``dlhw.data.load(..., bias=True)`` to append a constant-1 feature, whose column of ``W``
is the bias. For logistic regression that column is therefore part of ``W`` and *is*
penalised by L2 (as in the skeleton, which has no separate bias either).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlhw.scratch._base import ScratchModel, check_sizes, compiled
from dlhw.scratch._eval32 import CodedRows, Rows32, coded_rows, linear_predict, linear_predict_codes, rows32
from dlhw.scratch._ops import cross_entropy, cross_entropy_rows
from dlhw.validation import check_positive


class _LinearClassifier(ScratchModel):
    """``W`` (n_classes, n_features), zeros at start; prediction = arg-max of ``W @ x``."""

    _params = ("W",)

    def __init__(self, n_classes: int, n_features: int) -> None:
        check_sizes(n_classes, n_features)
        self.n_classes, self.n_features = int(n_classes), int(n_features)
        self.W = np.zeros((self.n_classes, self.n_features))  # (K, D)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return (X @ self.W.T).argmax(axis=1)  # (N, K) -> (N,); ties go to the lowest class

    def _prepare_fast(self, X: np.ndarray) -> Any:
        return compiled().encode(X)  # the exact uint8 encoding of X, reused by every epoch

    def prepare_eval(self, X: Any, reuse: Any = None) -> CodedRows | Rows32 | None:
        """The rows' exact codes (scored by a compiled pass), else their float32 copy; ``reuse``
        may be :meth:`prepare`'s encoding of the same ``X`` (then nothing is encoded twice)."""
        X = self._check_X(X, keep_codes=True)
        return coded_rows(X, reuse) or rows32(X)

    def _predict_prepared(self, prepared: CodedRows | Rows32) -> np.ndarray:
        if isinstance(prepared, CodedRows):
            return linear_predict_codes(self.W, prepared)
        return linear_predict(self.W, prepared)


class Perceptron(_LinearClassifier):
    """Multi-class perceptron (2025-26 Q1.1, 2021-22 Q3.1a).

    For each example, in order, with the **current** weights: ``y_hat = argmax(W @ x)``; on a
    mistake ``W[y] += lr * x`` and ``W[y_hat] -= lr * x``; a correct example changes nothing.
    The step ``learning_rate`` defaults to 1 (the texts' perceptron has none; from zero weights
    any constant step gives the same predictions). :meth:`train_epoch` returns the fraction
    of examples that caused an update (``loss_name = "mistakes"``).
    """

    loss_name = "mistakes"
    default_learning_rate = 1.0

    def config(self) -> dict[str, Any]:
        return {"n_classes": self.n_classes, "n_features": self.n_features}

    def _train_epoch_fast(self, X, y, lr, order, dtype, prepared) -> float:
        return compiled().perceptron(self.W, X, y, lr, order, dtype, prepared)

    def _step(self, x: np.ndarray, y: int, lr: float) -> float:
        y_hat = int(np.argmax(self.W @ x))  # scored with the current weights
        if y_hat == y:
            return 0.0
        self.W[y] += lr * x
        self.W[y_hat] -= lr * x
        return 1.0


class LogisticRegression(_LinearClassifier):
    """Multinomial logistic regression with L2, trained by batch-1 SGD (2025-26 Q1.2, 2021-22 Q3.1b).

    Per-example objective ``L(W) = -log softmax(W @ x)[y] + l2/2 * ||W||_F^2``; its gradient is
    ``(softmax(W @ x) - e_y) x^T + l2 * W``, and one step is ``W -= lr * grad``. The bias, a
    column of ``W`` for the constant-1 feature, is penalised too. The training loss returned by
    :meth:`train_epoch` is this objective (penalty included), averaged over the epoch.
    """

    def __init__(self, n_classes: int, n_features: int, l2: float = 0.0) -> None:
        super().__init__(n_classes, n_features)
        self.l2 = check_positive(l2, "l2", allow_zero=True)

    def config(self) -> dict[str, Any]:
        return {"n_classes": self.n_classes, "n_features": self.n_features, "l2": self.l2}

    def _train_epoch_fast(self, X, y, lr, order, dtype, prepared) -> float:
        return compiled().logistic(self.W, self.l2, X, y, lr, order, dtype, prepared)

    def loss_and_grads(self, x_i: np.ndarray, y_i: int) -> tuple[float, dict[str, np.ndarray]]:
        """``(L(W), {"W": dL/dW})`` for one example ``x_i`` (D,), label ``y_i``."""
        z = self.W @ x_i  # (K,)
        loss, dz = cross_entropy(z, y_i)  # dz (K,)
        dW = np.outer(dz, x_i)  # (K, D)
        if self.l2:
            loss += 0.5 * self.l2 * float(np.sum(self.W * self.W))
            dW += self.l2 * self.W
        return loss, {"W": dW}

    def loss(self, X: Any, y: Any) -> float:
        """Mean objective over the rows of ``X`` (n, D) with labels ``y`` (n,)."""
        X, y = self._check_X_y(X, y)
        data = float(np.mean(cross_entropy_rows(X @ self.W.T, y)))
        return data + 0.5 * self.l2 * float(np.sum(self.W * self.W))

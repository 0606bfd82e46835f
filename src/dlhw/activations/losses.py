"""Losses on top of the activations, each beside its gradient (hw2526.q3.5).

* cross-entropy with softmax: L(z) = -log softmax(z)_y, dL/dz = softmax(z) - e_y.
* the relumax loss: L(z) = -log((relumax_b(z)_y + eps) / (1 + K eps)), eps > 0. The eps keeps
  the loss finite where relumax_b(z)_y = 0 (a sparse output: -log 0 = inf, with zero gradient);
  dividing by 1 + K eps makes (p + eps) / (1 + K eps) a distribution (the eps-smoothed p), so
  L is its cross-entropy, with minimum log((1 + K eps) / (1 + eps)) > 0 at p = e_y and maximum
  log((1 + K eps) / eps) wherever p_y = 0. Its gradient is dL/dz = -J^T e_y / (p_y + eps), J the
  relumax Jacobian, i.e.
  dL/dz = -(w - e_k sum(w)) / (Z (p_y + eps)) with w = s * (e_y - p_y) (see relumax).

Shapes: ``z`` is (K,) with an integer ``y``, or (N, K) with ``y`` (N,) integer labels.
``reduction`` is "mean" (default), "sum" or "none" (per-example losses (N,), and then the
gradient's row n is the gradient of loss n).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlhw.activations._common import FloatArray, as_logits
from dlhw.activations.relumax import relumax, relumax_vjp
from dlhw.activations.softmax import log_softmax, softmax
from dlhw.errors import ShapeError
from dlhw.validation import check_choice, check_labels, check_positive

REDUCTIONS = ("mean", "sum", "none")


def _batch(z: Any, y: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    """(N, K) logits, (N,) labels and whether the input was a single vector."""
    x = as_logits(z, -1)
    single = x.ndim == 1
    if x.ndim not in (1, 2):
        raise ShapeError(f"z must be (K,) or (N, K), got shape {x.shape}; reshape to (N, K)")
    x2 = x[None, :] if single else x  # (N, K)
    labels = check_labels(np.atleast_1d(np.asarray(y)), x2.shape[1])  # (N,)
    if labels.shape[0] != x2.shape[0]:
        raise ShapeError(f"z has {x2.shape[0]} rows but y has {labels.shape[0]} labels; they must match")
    return x2, labels, single


def _reduce(per: np.ndarray, reduction: str, single: bool) -> Any:
    """Apply ``reduction`` to per-example losses (N,)."""
    if single:
        return float(per[0])
    if reduction == "none":
        return per
    return float(per.mean() if reduction == "mean" else per.sum())


def _scale_grad(g: np.ndarray, reduction: str, single: bool) -> np.ndarray:
    """Per-example gradients (N, K) -> the gradient of the reduced loss."""
    if single:
        return g[0]
    return g / g.shape[0] if reduction == "mean" else g


def _onehot(labels: np.ndarray, K: int, dtype: np.dtype) -> np.ndarray:
    return np.eye(K, dtype=dtype)[labels]  # (N, K)


def cross_entropy(z: Any, y: Any, reduction: str = "mean") -> Any:
    """-log softmax(z)_y (a float, or (N,) with reduction="none")."""
    check_choice(reduction, "reduction", REDUCTIONS)
    x, labels, single = _batch(z, y)
    per = -np.take_along_axis(log_softmax(x), labels[:, None], axis=1)[:, 0]  # (N,)
    return _reduce(per, reduction, single)


def cross_entropy_grad(z: Any, y: Any, reduction: str = "mean") -> FloatArray:
    """d cross_entropy / dz = softmax(z) - e_y (divided by N for "mean"); same shape as ``z``."""
    check_choice(reduction, "reduction", REDUCTIONS)
    x, labels, single = _batch(z, y)
    g = softmax(x) - _onehot(labels, x.shape[1], x.dtype)  # (N, K)
    return _scale_grad(g, reduction, single)


def relumax_loss(z: Any, y: Any, b: float = 1.0, eps: float = 1e-3, reduction: str = "mean") -> Any:
    """-log((relumax_b(z)_y + eps) / (1 + K eps)), eps > 0 (ConfigError otherwise)."""
    check_choice(reduction, "reduction", REDUCTIONS)
    eps = check_positive(eps, "eps")
    x, labels, single = _batch(z, y)
    p_y = np.take_along_axis(relumax(x, b), labels[:, None], axis=1)[:, 0]  # (N,)
    per = -np.log((p_y + eps) / (1 + x.shape[1] * eps))
    return _reduce(per, reduction, single)


def relumax_loss_grad(z: Any, y: Any, b: float = 1.0, eps: float = 1e-3,
                      reduction: str = "mean") -> FloatArray:
    """d relumax_loss / dz = -J^T e_y / (p_y + eps) (closed form above); same shape as ``z``."""
    check_choice(reduction, "reduction", REDUCTIONS)
    eps = check_positive(eps, "eps")
    x, labels, single = _batch(z, y)
    e_y = _onehot(labels, x.shape[1], x.dtype)  # (N, K)
    p_y = np.take_along_axis(relumax(x, b), labels[:, None], axis=1)  # (N, 1)
    g = -relumax_vjp(x, e_y, b) / (p_y + eps)  # (N, K)
    return _scale_grad(g, reduction, single)

"""Checks and axis handling shared by the numpy activations (private).

Every map here acts on one axis ``dim`` of an array of any shape. The helpers move that axis
last, so each kernel is written once for ``(..., K)``, and move it back afterwards.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from dlhw.errors import ConfigError, ShapeError
from dlhw.validation import check_positive

FloatArray = NDArray[np.floating]


def as_logits(z: Any, dim: int, name: str = "z") -> FloatArray:
    """``z`` as a float array (float32/float64 kept, integers -> float64), ``dim`` moved last.

    Raises ShapeError for an empty axis, an out-of-range ``dim``, NaN or ``+inf`` entries, or a
    slice whose entries are all ``-inf`` (every map needs a finite maximum). ``-inf`` entries
    are allowed: they get probability 0.
    """
    arr = np.asarray(z)
    if arr.dtype.kind not in "fiub":
        raise ShapeError(f"{name} must be a real array, got dtype {arr.dtype}; convert it with "
                         f"np.asarray(z, float)")
    if arr.dtype.kind != "f" or arr.dtype.itemsize < 4:
        arr = arr.astype(np.float64)
    if arr.ndim == 0:
        raise ShapeError(f"{name} must have at least one axis, got a scalar; pass a vector of K logits")
    if not -arr.ndim <= dim < arr.ndim:
        raise ShapeError(f"dim={dim} is out of range for {name} of shape {arr.shape}; "
                         f"use -{arr.ndim} <= dim < {arr.ndim}")
    x = np.moveaxis(arr, dim, -1)  # (..., K)
    if x.shape[-1] == 0:
        raise ShapeError(f"{name} has an empty axis dim={dim} (shape {arr.shape}); it needs K >= 1 entries")
    if np.isnan(x).any() or np.isposinf(x).any():
        raise ShapeError(f"{name} contains NaN or +inf; only finite values and -inf (probability 0) are "
                         f"allowed")
    if np.isneginf(x).all(axis=-1).any():
        raise ShapeError(f"{name} has a slice along dim={dim} whose entries are all -inf; "
                         f"at least one entry per slice must be finite")
    return x


def restore(x: np.ndarray, dim: int) -> np.ndarray:
    """Move the last axis of ``x`` back to position ``dim`` (inverse of :func:`as_logits`)."""
    return np.moveaxis(x, -1, dim)


def check_b(b: Any, batch_shape: tuple[int, ...]) -> np.ndarray:
    """The relumax parameter ``b`` as an array of shape ``(..., 1)`` broadcastable to ``(..., K)``.

    ``b`` is a number or an array of the batch shape (``z``'s shape without ``dim``); every
    value must be finite and > 0, else a ConfigError.
    """
    try:
        arr = np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(f"relumax b must be a number > 0 or an array of them, got {b!r}") from None
    if arr.ndim == 0:
        check_positive(float(arr), "relumax b")
        return arr.reshape((1,) * (len(batch_shape) + 1))
    if not np.isfinite(arr).all() or (arr <= 0).any():
        raise ConfigError(f"relumax b must be finite and > 0, got values in [{arr.min()}, {arr.max()}]; "
                          f"pass b > 0 (e.g. b=1.0)")
    try:
        arr = np.broadcast_to(arr, batch_shape)
    except ValueError:
        raise ShapeError(f"relumax b has shape {arr.shape}, expected a number or the batch shape "
                         f"{batch_shape} (z's shape without dim)") from None
    return arr[..., None]  # (..., 1)


def as_vector(z: Any, name: str = "z") -> FloatArray:
    """``z`` as a float vector (K,) for the single-vector Jacobians (ShapeError otherwise)."""
    arr = np.asarray(z)
    if arr.ndim != 1:
        raise ShapeError(f"{name} must be one vector of shape (K,), got shape {arr.shape}; "
                         f"compute Jacobians one vector at a time")
    return as_logits(arr, -1, name)

"""Input checks: the one place where messages about bad arrays and hyperparameters are built.

Each check raises a :mod:`dlhw.errors` exception whose message names the argument, the expected
value or range, what was received, and the fix.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from dlhw.errors import ConfigError, ShapeError


def check_array(a: Any, name: str, *, ndim: int, dtype_kind: str | None = None,
                shape: tuple[int | None, ...] | None = None) -> np.ndarray:
    """Return ``a`` as an ndarray after checking ``ndim`` and optionally ``shape``/dtype kind.

    ``shape`` entries of ``None`` are free. ``dtype_kind`` is a string of accepted numpy kinds
    (``"fiu"`` for numbers, ``"iu"`` for integers).
    """
    arr = np.asarray(a)
    if arr.ndim != ndim:
        raise ShapeError(f"{name} must be a {ndim}-d array, got shape {arr.shape}; reshape it "
                         f"(e.g. X.reshape(len(X), -1) for images)")
    if dtype_kind is not None and arr.dtype.kind not in dtype_kind:
        raise ShapeError(f"{name} must have a numeric dtype of kind {dtype_kind!r}, got {arr.dtype}")
    if shape is not None:
        for axis, (got, want) in enumerate(zip(arr.shape, shape)):
            if want is not None and got != want:
                raise ShapeError(f"{name} has shape {arr.shape}, expected {tuple(shape)} "
                                 f"(axis {axis} should be {want})")
    return arr


def check_finite(a: np.ndarray, name: str, where: str = "") -> None:
    """Raise if ``a`` contains NaN or inf."""
    if a.dtype.kind == "f" and not np.isfinite(a).all():
        bad = int((~np.isfinite(a)).sum())
        loc = f" in {where}" if where else ""
        raise ShapeError(f"{name}{loc} contains {bad} NaN/inf values; clean or impute them first")


def check_labels(y: Any, n_classes: int, name: str = "y") -> np.ndarray:
    """Return integer labels ``y`` of shape (n,), each in ``[0, n_classes)``."""
    y = check_array(y, name, ndim=1, dtype_kind="iu")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ShapeError(f"{name} has labels in [{y.min()}, {y.max()}], expected 0..{n_classes - 1}; "
                         f"shift or remap the labels")
    return y.astype(np.int64, copy=False)


def check_X_y(X: Any, y: Any, *, n_features: int | None = None, n_classes: int | None = None,
              name: str = "X") -> tuple[np.ndarray, np.ndarray]:
    """Check a design matrix (n, d) and its targets (n,) together.

    With ``n_classes`` the targets are integer labels; without it they are real values.
    """
    X = check_array(X, name, ndim=2, dtype_kind="fiu", shape=(None, n_features))
    check_finite(X, name)
    if n_classes is not None:
        y = check_labels(y, n_classes)
    else:
        y = check_array(y, "y", ndim=1, dtype_kind="fiu")
        check_finite(y, "y")
    if len(X) != len(y):
        raise ShapeError(f"{name} has {len(X)} rows but y has {len(y)}; they must match")
    return X, y


def check_choice(value: Any, name: str, choices: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise a ConfigError listing them."""
    choices = tuple(choices)
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ConfigError(f"unknown {name} {value!r}; choose one of {listed}")
    return value


def check_positive(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float if it is finite and > 0 (or >= 0 with ``allow_zero``)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    ok = v >= 0 if allow_zero else v > 0
    if not np.isfinite(v) or not ok:
        rng = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"{name} must be finite and {rng}, got {value!r}")
    return v


def check_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_probability(value: Any, name: str) -> float:
    """Return ``value`` if it lies in [0, 1)."""
    v = check_positive(value, name, allow_zero=True)
    if v >= 1:
        raise ConfigError(f"{name} must be in [0, 1), got {value!r}")
    return v


def check_device(device: Any) -> str:
    """Return ``device`` (``cpu``, ``cuda`` or ``cuda:N``) if this torch can use it, else raise.

    The one device check of every command (``dlhw run``, ``reproduce``, the shims), done before
    any data is loaded: a CUDA device on a CPU-only torch build, or with no GPU visible, is one
    ConfigError naming the fix. torch is imported only for a non-CPU device.
    """
    name = str(device).strip().lower()
    if name == "cpu":
        return name
    kind, _, index = name.partition(":")
    if kind != "cuda" or (index and not index.isdigit()):
        raise ConfigError(f"--device must be cpu, cuda or cuda:N, got {device!r}")
    import torch

    if not torch.cuda.is_available():
        why = ("this torch is a CPU-only build" if torch.version.cuda is None
               else "torch sees no GPU (check the driver and CUDA_VISIBLE_DEVICES)")
        raise ConfigError(f"--device {device} was given but {why}; use --device cpu, or install "
                          f"torch's CUDA build (README: the CUDA build)")
    n = torch.cuda.device_count()
    if index and int(index) >= n:
        raise ConfigError(f"--device {device}: torch sees {n} GPU(s), so use cuda:0 to cuda:{n - 1}")
    return name


def check_seed(value: Any, name: str = "seed") -> int:
    """Return ``value`` as a seed: an integer in 0 .. 2**63 - 1 (numpy's and torch's range)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < 2**63:
        raise ConfigError(f"{name} must be an integer from 0 to 2**63 - 1, got {value!r}; "
                          f"use e.g. --seed 0")
    return int(value)


def check_splits(dataset: Any) -> None:
    """Every split a :class:`dlhw.data.Dataset` has (train, dev if any, test) holds examples."""
    from dlhw.errors import DataError

    for name in ("train", "dev", "test"):
        split = getattr(dataset, name, None)
        if split is not None and len(split[1]) == 0:
            raise DataError(f"the {name} split of {getattr(dataset, 'name', 'the data set')} is "
                            f"empty; every split needs examples (check the data file or the slice)")

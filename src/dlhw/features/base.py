"""The :class:`FeatureMap` record and the input check every map shares.

A feature map turns flattened 28x28 images ``X`` of shape (n, 784) into features (n, d). The
kernels in :mod:`dlhw.features.hog` and :mod:`dlhw.features.pooling` work on image stacks
(n, 28, 28); :class:`FeatureMap` adds the checks and runs the kernel over row chunks, so memory
stays bounded (a few hundred MB at most) whatever ``n`` is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dlhw.errors import ShapeError

SIDE = 28                # images are SIDE x SIDE pixels
N_PIXELS = SIDE * SIDE   # 784 columns in X
DEFAULT_CHUNK = 4096     # rows per kernel call: bounds the temporary arrays


def as_images(X: np.ndarray, name: str = "X") -> np.ndarray:
    """Check that ``X`` is (n, 784) numeric and return it as float images (n, 28, 28).

    Integer pixels (uint8) become float64; float32 and float64 are kept (no copy for the reshape).
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != N_PIXELS:
        hint = (" (drop the bias column: load with bias=False and append it after the features)"
                if X.ndim == 2 and X.shape[1] == N_PIXELS + 1 else "")
        raise ShapeError(f"{name} must have shape (n, {N_PIXELS}) = flattened {SIDE}x{SIDE} images, "
                         f"got {X.shape}{hint}; reshape with X.reshape(len(X), -1)")
    if X.dtype.kind not in "fiu":
        raise ShapeError(f"{name} must be numeric (uint8 or float pixels), got dtype {X.dtype}")
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    return X.reshape(len(X), SIDE, SIDE)  # (n, 28, 28)


@dataclass(frozen=True)
class FeatureMap:
    """A named feature map ``(n, 784) -> (n, output_dim)`` with its justification.

    Attributes
    ----------
    name : key in :data:`dlhw.features.FEATURE_MAPS` (``"hog"``, ``"pool2"``, ...).
    kernel : ``(m, 28, 28) float -> (m, output_dim)``, the vectorised computation (no checks).
    output_dim : number of features ``d``.
    goal : ``"accuracy"`` (should raise accuracy), ``"efficiency"`` (cheaper training) or
        ``"baseline"`` (raw pixels).
    rationale : why this is a good representation (for the report, hw2526.q1.2b).
    references : the works that support the choice.
    invariance : the property the map has by construction (tested in tests/features).
    """

    name: str
    kernel: Callable[[np.ndarray], np.ndarray]
    output_dim: int
    goal: str
    rationale: str
    references: tuple[str, ...]
    invariance: str = ""

    def __call__(self, X: np.ndarray, *, chunk_size: int = DEFAULT_CHUNK) -> np.ndarray:
        """Features of ``X`` (n, 784): an array (n, output_dim) of X's float dtype."""
        images = as_images(X)  # (n, 28, 28)
        out = np.empty((len(images), self.output_dim), dtype=images.dtype)  # (n, d)
        for start in range(0, len(images), chunk_size):
            out[start:start + chunk_size] = self.kernel(images[start:start + chunk_size])
        return out

    def describe(self) -> dict[str, object]:
        """The map as data (for result records): name, dimension, goal, rationale, references."""
        return {"name": self.name, "output_dim": self.output_dim, "goal": self.goal,
                "rationale": self.rationale, "references": list(self.references),
                "invariance": self.invariance}

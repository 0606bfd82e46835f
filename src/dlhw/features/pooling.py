"""Average pooling: a coarser image with the same mean brightness.

Pooling by ``size`` replaces each ``size x size`` block of pixels by its mean, so a 28x28 image
becomes (28/size)^2 features: 196 for 2x2, 49 for 4x4. Because every block has the same number of
pixels, the mean of the pooled features equals the mean of the pixels (tested).
"""

from __future__ import annotations

import numpy as np

from dlhw.errors import ConfigError
from dlhw.features.base import SIDE


def check_divides(size: int, name: str) -> int:
    """Return ``size`` if it is an integer that divides the image side (28)."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1 or SIDE % size:
        divisors = [d for d in range(1, SIDE + 1) if SIDE % d == 0]
        raise ConfigError(f"{name} must divide the image side {SIDE}, got {size!r}; use one of {divisors}")
    return int(size)


def avg_pool_images(images: np.ndarray, size: int) -> np.ndarray:
    """Mean of each ``size x size`` block.

    Parameters
    ----------
    images : (n, 28, 28) float
    size : block side, a divisor of 28

    Returns
    -------
    (n, (28 // size) ** 2), row-major over the pooled grid.
    """
    size = check_divides(size, "pool size")
    n, g = len(images), SIDE // size
    blocks = images.reshape(n, g, size, g, size)  # (n, g, size, g, size)
    return blocks.mean(axis=(2, 4)).reshape(n, g * g)  # (n, g*g)

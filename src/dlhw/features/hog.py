"""Histograms of oriented gradients (Dalal & Triggs, 2005), vectorised over a stack of images.

1. Gradients with the centred mask [-1, 0, 1] (edges replicated, so a constant image has zero
   gradient everywhere and adding a constant to the image changes nothing).
2. Each pixel votes its gradient magnitude into ``bins`` unsigned orientation bins over [0, pi),
   split linearly between the two nearest bin centres (no aliasing at bin edges).
3. Votes are summed over ``cell x cell`` pixel cells (one ``np.bincount`` for the whole chunk).
4. Overlapping blocks of ``block x block`` cells (stride one cell) are L2-Hys normalised:
   L2 normalise, clip at 0.2, normalise again. This makes the descriptor invariant to
   multiplying the image by a positive constant (contrast) and robust to local contrast changes.

The output is (n, n_blocks^2 * block^2 * bins) with n_blocks = 28 / cell - block + 1.
"""

from __future__ import annotations

import numpy as np

from dlhw.errors import ConfigError
from dlhw.features.base import SIDE
from dlhw.features.pooling import check_divides

EPS = 1e-8      # keeps flat (all-zero) blocks at zero instead of 0 / 0
CLIP = 0.2      # the L2-Hys clipping threshold of Dalal & Triggs


def hog_dim(cell: int, block: int, bins: int) -> int:
    """Length of the HOG descriptor for these parameters (checked)."""
    cells = SIDE // check_divides(cell, "HOG cell size")
    if not 1 <= block <= cells:
        raise ConfigError(f"HOG block must be between 1 and {cells} cells, got {block!r}")
    if bins < 2:
        raise ConfigError(f"HOG bins must be >= 2, got {bins!r}")
    n_blocks = cells - block + 1
    return n_blocks * n_blocks * block * block * bins


def gradients(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical centred differences of (n, 28, 28) images, each (n, 28, 28).

    At the border the missing neighbour is the edge pixel itself (edge replication), which is
    a one-sided difference there.
    """
    gx, gy = np.empty_like(images), np.empty_like(images)  # (n, 28, 28) each
    gx[:, :, 1:-1] = images[:, :, 2:] - images[:, :, :-2]
    gx[:, :, 0] = images[:, :, 1] - images[:, :, 0]
    gx[:, :, -1] = images[:, :, -1] - images[:, :, -2]
    gy[:, 1:-1] = images[:, 2:] - images[:, :-2]
    gy[:, 0] = images[:, 1] - images[:, 0]
    gy[:, -1] = images[:, -1] - images[:, -2]
    return gx, gy


def cell_histograms(images: np.ndarray, cell: int, bins: int) -> np.ndarray:
    """Magnitude-weighted orientation histograms per cell: (n, 28/cell, 28/cell, bins)."""
    n, cells = len(images), SIDE // cell
    gx, gy = gradients(images)
    magnitude = np.sqrt(gx * gx + gy * gy).reshape(n, -1)  # (n, 784)
    theta = np.mod(np.arctan2(gy, gx), np.pi).reshape(n, -1)  # (n, 784) in [0, pi]
    pos = theta * (bins / np.pi) - 0.5  # bin centres at integers
    lo = np.floor(pos)
    frac = pos - lo  # weight of the upper neighbour
    lo = lo.astype(np.int64) % bins  # pos in [-0.5, bins - 0.5]: wrap both ends
    hi = (lo + 1) % bins
    rows, cols = np.divmod(np.arange(SIDE * SIDE), SIDE)
    cell_of_pixel = (rows // cell) * cells + cols // cell  # (784,)
    base = (np.arange(n)[:, None] * (cells * cells) + cell_of_pixel) * bins  # (n, 784)
    size = n * cells * cells * bins
    hist = np.bincount((base + lo).ravel(), weights=(magnitude * (1 - frac)).ravel(), minlength=size)
    hist += np.bincount((base + hi).ravel(), weights=(magnitude * frac).ravel(), minlength=size)
    return hist.reshape(n, cells, cells, bins).astype(images.dtype, copy=False)


def _l2_normalise(v: np.ndarray) -> np.ndarray:
    return v / np.sqrt(np.sum(v * v, axis=-1, keepdims=True) + EPS * EPS)


def block_normalise(hist: np.ndarray, block: int) -> np.ndarray:
    """L2-Hys normalised overlapping blocks of (n, c, c, bins) cells -> (n, n_blocks^2 * block^2 * bins)."""
    n, cells, _, bins = hist.shape
    nb = cells - block + 1
    parts = [hist[:, i:i + nb, j:j + nb, :] for i in range(block) for j in range(block)]
    blocks = np.concatenate(parts, axis=-1)  # (n, nb, nb, block*block*bins)
    blocks = np.minimum(_l2_normalise(blocks), CLIP)
    return _l2_normalise(blocks).reshape(n, -1)


def hog_images(images: np.ndarray, *, cell: int = 7, block: int = 2, bins: int = 9) -> np.ndarray:
    """HOG descriptors of (n, 28, 28) images: (n, hog_dim(cell, block, bins)), images' dtype."""
    hog_dim(cell, block, bins)  # validates the parameters
    return block_normalise(cell_histograms(images, cell, bins), block)

"""Fashion-MNIST with the 2021-22 course's exact split.

The course took the 70000 OpenML rows (60000 official training images in file order, then the
10000 official test images), divided pixels by 256, and split the training part with
scikit-learn's ``train_test_split(train_size=50000, test_size=10000, random_state=42)``. With
numpy alone that is ``perm = RandomState(42).permutation(60000)``; dev = ``perm[:10000]``,
train = ``perm[10000:]`` (in that order); test = the official test set.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from dlhw.data.dataset import Dataset, pixels_to_float
from dlhw.data.decoded import read_idx_cached
from dlhw.data.locate import require
from dlhw.data.pixels import PixelRows
from dlhw.errors import DataError

NAME = "fashion-mnist"
N_CLASSES = 10
N_DEV = 10000
SPLIT_SEED = 42

# sha256 of the *decompressed* IDX bytes (the same for the official and Debian's re-packed .gz).
SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
FILES = tuple(SHA256)
FILESETS = (tuple(f + ".gz" for f in FILES), FILES)
FIX = f"run `dlhw data fetch {NAME}`, or point --data-dir / DLHW_DATA_DIR at a folder holding the IDX files"


def find_files(data_dir: str | os.PathLike | None) -> tuple[Path, tuple[str, ...]]:
    """The folder with the four IDX files (``.gz`` preferred, raw accepted)."""
    return require(NAME, data_dir, FILESETS, "Fashion-MNIST", FIX)


def course_split(n: int = 60000, n_dev: int = N_DEV, seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``(train, dev)`` of the course's split of the ``n`` training images."""
    perm = np.random.RandomState(seed).permutation(n)
    return perm[n_dev:], perm[:n_dev]


def _images(path: Path, sha: str, n: int | None = None) -> np.ndarray:
    X = read_idx_cached(path, sha256_hex=sha, fix=FIX)
    if X.ndim != 3 or X.shape[1:] != (28, 28) or (n is not None and len(X) != n):
        raise DataError(f"{path} holds images of shape {X.shape}, expected (n, 28, 28); {FIX}")
    return X.reshape(len(X), 28 * 28)  # (n, 784)


def _labels(path: Path, sha: str, n: int) -> np.ndarray:
    y = read_idx_cached(path, sha256_hex=sha, fix=FIX)
    if y.shape != (n,):
        raise DataError(f"{path} holds {y.shape} labels but the images number {n}; {FIX}")
    if y.max(initial=0) >= N_CLASSES:
        raise DataError(f"{path} has a label {int(y.max())} outside 0..{N_CLASSES - 1}; {FIX}")
    return y.astype(np.int64)


def load_fashion_mnist(data_dir: str | os.PathLike | None = None, *, bias: bool = False,
                       dtype: np.dtype = np.float64, lazy: bool = False) -> Dataset:
    """Fashion-MNIST, course split: train (50000, 784), dev (10000, 784), test (10000, 784).

    Pixels are divided by 256 (as the course did); labels are int64 in 0..9. With ``bias`` a
    constant-1 column is appended (d = 785). With ``lazy`` each ``X`` is a
    :class:`dlhw.data.pixels.PixelRows` (the same values, made as floats on first use). Every
    file's decompressed sha256 is verified (a verified decoded copy is kept in the user cache,
    see :mod:`dlhw.data.decoded`).
    """
    folder, files = find_files(data_dir)
    paths = {base: folder / f for base, f in zip(FILES, files)}
    tr_X = _images(paths["train-images-idx3-ubyte"], SHA256["train-images-idx3-ubyte"])
    tr_y = _labels(paths["train-labels-idx1-ubyte"], SHA256["train-labels-idx1-ubyte"], len(tr_X))
    te_X = _images(paths["t10k-images-idx3-ubyte"], SHA256["t10k-images-idx3-ubyte"])
    te_y = _labels(paths["t10k-labels-idx1-ubyte"], SHA256["t10k-labels-idx1-ubyte"], len(te_X))
    train_idx, dev_idx = course_split(len(tr_X))
    def to_float(pixels: np.ndarray) -> np.ndarray | PixelRows:
        if lazy:
            return PixelRows.from_pixels(pixels, bias=bias, dtype=dtype)
        return pixels_to_float(pixels, bias=bias, dtype=dtype)

    return Dataset(
        name=NAME,
        train=(to_float(tr_X[train_idx]), tr_y[train_idx]),
        dev=(to_float(tr_X[dev_idx]), tr_y[dev_idx]),
        test=(to_float(te_X), te_y),
        n_classes=N_CLASSES,
        source=str(folder),
    )

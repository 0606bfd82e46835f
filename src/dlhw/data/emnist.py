"""EMNIST Letters: the 2025-26 course's ``emnist-letters.npz`` and the official NIST archive.

Course file (``emnist-letters.npz``): keys ``X_train``, ``y_train``, ``X_valid``, ``y_valid``,
``X_test``, ``y_test``; uint8 pixels (n, 784) or (n, 28, 28), divided by 256 when loaded;
labels 1..26 (shifted to 0..25 when the minimum label is 1).

Official NIST archive (``gzip.zip`` or its extracted ``emnist-letters-*-idx?-ubyte.gz`` files):
124800 training and 20800 test images, stored *transposed* (column-major); they are transposed
back so letters read upright, as in the course file. The archive has no validation split: the
first 20800 rows of ``RandomState(42).permutation(124800)`` become the validation set (the same
recipe as the Fashion-MNIST course split), matching the course's 20800-row validation size.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np

from dlhw.data.dataset import Dataset, finish, pixels_to_float
from dlhw.data.idx import parse_idx, read_bytes
from dlhw.data.locate import require
from dlhw.data.pixels import PixelRows
from dlhw.errors import DataError

NAME = "emnist-letters"
N_CLASSES = 26
N_VALID = 20800
COURSE_FILE = "emnist-letters.npz"
COURSE_KEYS = ("X_train", "y_train", "X_valid", "y_valid", "X_test", "y_test")
NIST_ZIP = "gzip.zip"
NIST_FILES = tuple(f"emnist-letters-{s}-{k}-idx{d}-ubyte.gz"
                   for s in ("train", "test") for k, d in (("images", 3), ("labels", 1)))
FILESETS = ((COURSE_FILE,), (NIST_ZIP,), NIST_FILES)
FIX = (f"run `dlhw data fetch {NAME}` (the course's file), or put {COURSE_FILE} or the NIST "
       f"{NIST_ZIP} under --data-dir / DLHW_DATA_DIR")


def _check_pixels(X: np.ndarray, where: str) -> np.ndarray:
    """(n, 784) or (n, 28, 28) pixels in 0..255 -> (n, 784), rejecting other shapes, values, NaN/inf."""
    if X.ndim == 3 and X.shape[1:] == (28, 28):
        X = X.reshape(len(X), 784)
    if X.ndim != 2 or X.shape[1] != 784:
        raise DataError(f"{where} has shape {X.shape}, expected (n, 784) or (n, 28, 28); {FIX}")
    if X.dtype.kind not in "iuf":
        raise DataError(f"{where} holds {X.dtype} values, not pixel numbers; the file is corrupt, {FIX}")
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        raise DataError(f"{where} contains NaN/inf pixels; the file is corrupt, {FIX}")
    if X.size and (X.min() < 0 or X.max() > 255):
        raise DataError(f"{where} has pixel values in [{X.min()}, {X.max()}], expected 0..255 "
                        f"(8-bit grey levels); the file is corrupt, {FIX}")
    return X


def _shift_labels(ys: list[np.ndarray], where: str,
                  names: tuple[str, ...] = ("train", "valid", "test")) -> list[np.ndarray]:
    """Labels 1..26 -> 0..25 (when the smallest label is 1); reject anything else: empty splits,
    non-integer or text labels, values outside the range, splits with different label bases."""
    for y, name in zip(ys, names):
        if y.size == 0:
            raise DataError(f"{where}: the {name} split is empty; every split needs examples, {FIX}")
        if y.dtype.kind not in "iuf" or (y.dtype.kind == "f" and not np.array_equal(y, np.round(y))):
            kind = "text" if y.dtype.kind in "USO" else f"non-integer {y.dtype}"
            raise DataError(f"{where}: the {name} labels are {kind} values, expected integer "
                            f"class numbers 1..26 (or 0..25); {FIX}")
    ranges = {name: (int(np.min(y)), int(np.max(y))) for y, name in zip(ys, names)}
    lo, hi = min(r[0] for r in ranges.values()), max(r[1] for r in ranges.values())
    if lo == 0 and hi == N_CLASSES:
        text = ", ".join(f"{n} {a}..{b}" for n, (a, b) in ranges.items())
        raise DataError(f"{where}: the splits use different label bases ({text}); all must be "
                        f"1..26 or all 0..25, {FIX}")
    if lo < 0 or hi > N_CLASSES or (lo == 0 and hi >= N_CLASSES):
        raise DataError(f"{where} has labels in [{lo}, {hi}], expected 1..26 (or 0..25); {FIX}")
    return [np.asarray(y).astype(np.int64).ravel() - (1 if lo == 1 else 0) for y in ys]


def _load_course(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    try:
        with np.load(path, allow_pickle=False) as z:
            missing = [k for k in COURSE_KEYS if k not in z.files]
            if missing:
                raise DataError(f"{path} lacks the keys {missing} (has {z.files}); {FIX}")
            arrays = {k: z[k] for k in COURSE_KEYS}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{path} is corrupt or truncated ({exc}); delete it and {FIX}") from None
    splits = {}
    ys = _shift_labels([arrays[f"y_{s}"] for s in ("train", "valid", "test")], str(path))
    for s, y in zip(("train", "valid", "test"), ys):
        X = _check_pixels(arrays[f"X_{s}"], f"{path}[X_{s}]")
        if len(X) != len(y):
            raise DataError(f"{path}: X_{s} has {len(X)} rows but y_{s} has {len(y)}; {FIX}")
        splits[s] = (X, y)
    return splits


def _nist_members(folder: Path, files: tuple[str, ...]) -> dict[str, bytes]:
    """Decompressed IDX bytes of the four letters files, from ``gzip.zip`` or extracted files."""
    if files == (NIST_ZIP,):
        path = folder / NIST_ZIP
        try:
            with zipfile.ZipFile(path) as zf:
                names = {Path(n).name: n for n in zf.namelist()}
                missing = [f for f in NIST_FILES if f not in names]
                if missing:
                    raise DataError(f"{path} lacks {missing}; it is not the EMNIST gzip.zip, {FIX}")
                raw = {f: zf.read(names[f]) for f in NIST_FILES}
        except (zipfile.BadZipFile, OSError) as exc:
            raise DataError(f"{path} is corrupt or truncated ({exc}); delete it and {FIX}") from None
        return {f: _gunzip(b, path / f) for f, b in raw.items()}
    return {f: read_bytes(folder / f, FIX) for f in NIST_FILES}


def _gunzip(data: bytes, where: Path) -> bytes:
    import gzip

    try:
        return gzip.GzipFile(fileobj=io.BytesIO(data)).read()
    except (OSError, EOFError) as exc:
        raise DataError(f"{where} is a corrupt gzip member ({exc}); {FIX}") from None


def _load_nist(folder: Path, files: tuple[str, ...]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    data = _nist_members(folder, files)
    arrays = {f: parse_idx(b, folder / f, FIX) for f, b in data.items()}
    out = {}
    for s in ("train", "test"):
        X = arrays[f"emnist-letters-{s}-images-idx3-ubyte.gz"]
        y = arrays[f"emnist-letters-{s}-labels-idx1-ubyte.gz"]
        if X.ndim != 3 or X.shape[1:] != (28, 28) or len(X) != len(y):
            raise DataError(f"{folder}: EMNIST {s} images {X.shape} / labels {y.shape} do not match; {FIX}")
        out[s] = (X.transpose(0, 2, 1).reshape(len(X), 784), y)  # NIST stores images transposed
    (ytr, yte) = _shift_labels([out["train"][1], out["test"][1]], str(folder), ("train", "test"))
    n_valid = min(N_VALID, len(ytr) // 5)
    perm = np.random.RandomState(42).permutation(len(ytr))
    train_idx, valid_idx = perm[n_valid:], perm[:n_valid]
    Xtr = out["train"][0]
    return {"train": (Xtr[train_idx], ytr[train_idx]), "valid": (Xtr[valid_idx], ytr[valid_idx]),
            "test": (out["test"][0], yte)}


def load_emnist_letters(data_dir: str | os.PathLike | None = None, *, bias: bool = False,
                        dtype: np.dtype = np.float64, lazy: bool = False) -> Dataset:
    """EMNIST Letters: X (n, 784) pixels / 256, y int64 in 0..25; the course file preferred.

    With ``lazy``, uint8 pixel splits are :class:`dlhw.data.pixels.PixelRows` (same values)."""
    folder, files = require(NAME, data_dir, FILESETS, "EMNIST Letters", FIX)
    splits = _load_course(folder / COURSE_FILE) if files == (COURSE_FILE,) else _load_nist(folder, files)

    def prep(split: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        X, y = split
        if X.dtype == np.uint8:
            if lazy:
                return PixelRows.from_pixels(np.ascontiguousarray(X), bias=bias, dtype=dtype), y
            return pixels_to_float(X, bias=bias, dtype=dtype), y
        # integer pixels 0..255, or floats that may already be scaled to [0, 1]
        X = X.astype(dtype)
        X = X / 256.0 if X.size and X.max() > 1 else X
        return finish(X, bias=bias, dtype=dtype), y

    source = str(folder / files[0]) if len(files) == 1 else str(folder)
    return Dataset(name=NAME, train=prep(splits["train"]), dev=prep(splits["valid"]),
                   test=prep(splits["test"]), n_classes=N_CLASSES, source=source)

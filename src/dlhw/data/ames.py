"""Ames housing: the 2021-22 course's ``ames.npz``, and a pipeline from the raw data.

``ames.npz`` holds ``Xtrain`` (1465, 348), ``ytrain`` (1465, 1), ``Xtest``, ``ytest``: features
already standardised and one-hot encoded, targets the log sale price. :func:`prepare` builds the
same kind of matrix from the raw ``AmesHousing.csv`` (De Cock 2011), step by step:

1. read the 2930 rows; drop the identifiers ``Order`` and ``PID``; the target is ``SalePrice``;
2. split 50/50 with ``RandomState(seed).permutation(n)`` (first half train, second half test);
3. a column is numeric when every non-empty value parses as a number, except ``MS SubClass``,
   a dwelling-type *code*, which is categorical; missing numeric values are filled with the
   **training** median;
4. categoricals are one-hot encoded over the categories seen in training (a missing value is its
   own category ``"NA"``, which in this data usually means "no such feature", e.g. no pool; a
   category seen only in test gets all zeros);
5. every column is standardised with the training mean and standard deviation (constant columns
   are centred only);
6. the target becomes ``log(SalePrice)``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from pathlib import Path

import numpy as np

from dlhw.data.dataset import Dataset
from dlhw.data.locate import require
from dlhw.errors import DataError

NAME = "ames"
COURSE_FILE = "ames.npz"
RAW_FILES = ("AmesHousing.csv", "AmesHousing.txt")
COURSE_SHA256 = "131656074fe19ae3864c355aacbf350f6f0a3d40e90b1fcca7dd0f271e1f0598"
# Content digest of De Cock's table (2930 rows, 82 columns), see :func:`table_digest`; computed
# from a copy whose file sha256 is 9be4e178af290abcc41e82402e9eca2bd767f22aa148d155531fed4f7c5b55da.
TABLE_SHA256 = "d06730bacba83cbe27ce57dc4f099ac2f831db792a923f3b80645af251af6e3b"
TARGET = "SalePrice"
DROP = ("Order", "PID")
CATEGORICAL_CODES = ("MS SubClass",)
FILESETS = ((COURSE_FILE,),) + tuple((f,) for f in RAW_FILES)
FIX = (f"run `dlhw data fetch {NAME}` (downloads the raw data and prepares it), or put the "
       f"course's {COURSE_FILE} under --data-dir / DLHW_DATA_DIR")


def _load_course(path: Path, dtype: np.dtype) -> Dataset:
    raw = path.read_bytes()
    if hashlib.sha256(raw).hexdigest() != COURSE_SHA256:
        raise DataError(f"{path} fails its checksum (sha256 differs from the course's file); "
                        f"delete it and {FIX}")
    with np.load(io.BytesIO(raw), allow_pickle=False) as z:
        parts = {k: z[k] for k in ("Xtrain", "ytrain", "Xtest", "ytest")}
    for k in ("Xtrain", "Xtest"):
        if parts[k].ndim != 2 or not np.isfinite(parts[k]).all():
            raise DataError(f"{path}[{k}] has shape {parts[k].shape} or non-finite values; {FIX}")
    return Dataset(name=NAME, dev=None, n_classes=None, source=str(path),
                   train=(parts["Xtrain"].astype(dtype), parts["ytrain"].ravel().astype(dtype)),
                   test=(parts["Xtest"].astype(dtype), parts["ytest"].ravel().astype(dtype)))


def _read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the raw file (comma- or tab-separated, optional UTF-8 BOM)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path} ({exc}); {FIX}") from None
    delimiter = "\t" if "\t" in text.split("\n", 1)[0] else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    rows = [r for r in rows if r]
    if not rows or TARGET not in rows[0]:
        raise DataError(f"{path} has no {TARGET!r} column: not the Ames housing table; {FIX}")
    header, body = rows[0], rows[1:]
    bad = [i + 2 for i, r in enumerate(body) if len(r) != len(header)]
    if bad:
        raise DataError(f"{path} lines {bad[:5]} have the wrong number of fields (truncated?); {FIX}")
    return header, body


def _canonical(value: str) -> str:
    """A field as the digest sees it: stripped, ``NA`` as empty, numbers as floats (``020`` = 20)."""
    value = value.strip()
    if value == "NA":
        return ""
    try:
        return repr(float(value))
    except ValueError:
        return value


def table_digest(path: str | os.PathLike) -> str:
    """sha256 of the parsed table (delimiter, BOM, line ends and number spelling do not count)."""
    header, body = _read_table(Path(path))
    h = hashlib.sha256()
    for row in (header, *body):
        h.update(("\t".join(_canonical(v) for v in row) + "\n").encode())
    return h.hexdigest()


def check_table(path: str | os.PathLike) -> None:
    """Raise DataError unless ``path`` holds De Cock's Ames table (:data:`TABLE_SHA256`)."""
    digest = table_digest(path)
    if digest != TABLE_SHA256:
        raise DataError(f"{path} is not the published Ames table (content sha256 {digest[:12]}..., "
                        f"expected {TABLE_SHA256[:12]}...); the download is corrupt or the file "
                        f"changed: delete it and rerun `dlhw data fetch {NAME}`")


def _as_float(values: list[str]) -> np.ndarray | None:
    """The column as floats (NaN for empty/NA), or None if some value is not a number."""
    out = np.empty(len(values))
    for i, v in enumerate(values):
        v = v.strip()
        if v in ("", "NA"):
            out[i] = np.nan
            continue
        try:
            out[i] = float(v)
        except ValueError:
            return None
    return out


def prepare(csv_path: str | os.PathLike, seed: int = 0, *, dtype: np.dtype = np.float64) -> Dataset:
    """Build train/test matrices from the raw Ames table (see the module docstring for the steps).

    Returns a Dataset with X of shape (n/2, d) for both halves (d depends on the categories seen in
    training) and y = log(SalePrice) of shape (n/2,).
    """
    path = Path(csv_path)
    header, body = _read_table(path)
    columns = {name: [r[j] for r in body] for j, name in enumerate(header)}
    price = _as_float(columns.pop(TARGET))
    if price is None or np.isnan(price).any() or (price <= 0).any():
        raise DataError(f"{path}: {TARGET} must be a positive number on every row; {FIX}")
    n = len(body)
    perm = np.random.RandomState(seed).permutation(n)
    tr, te = perm[: n // 2], perm[n // 2:]
    blocks_tr, blocks_te = [], []
    for name, values in columns.items():
        if name in DROP:
            continue
        num = None if name in CATEGORICAL_CODES else _as_float(values)
        if num is not None:
            fill = np.nanmedian(num[tr]) if np.isfinite(num[tr]).any() else 0.0
            num = np.where(np.isnan(num), fill, num)
            blocks_tr.append(num[tr, None])
            blocks_te.append(num[te, None])
        else:
            cats = np.array([v.strip() or "NA" for v in values])
            levels = np.unique(cats[tr])  # (k,) categories seen in training
            blocks_tr.append((cats[tr, None] == levels[None, :]).astype(float))  # (n_tr, k)
            blocks_te.append((cats[te, None] == levels[None, :]).astype(float))
    Xtr, Xte = np.hstack(blocks_tr), np.hstack(blocks_te)
    mean, std = Xtr.mean(axis=0), Xtr.std(axis=0)
    std[std == 0] = 1.0
    Xtr, Xte = (Xtr - mean) / std, (Xte - mean) / std
    y = np.log(price)
    return Dataset(name=NAME, dev=None, n_classes=None, source=f"{path} (prepared, seed {seed})",
                   train=(Xtr.astype(dtype), y[tr].astype(dtype)),
                   test=(Xte.astype(dtype), y[te].astype(dtype)))


def load_ames(data_dir: str | os.PathLike | None = None, *, bias: bool = False,
              dtype: np.dtype = np.float64) -> Dataset:
    """The course's ``ames.npz`` if present, else :func:`prepare` on the raw table (seed 0)."""
    from dlhw.data.dataset import finish

    folder, (fname,) = require(NAME, data_dir, FILESETS, "Ames housing", FIX)
    ds = _load_course(folder / fname, dtype) if fname == COURSE_FILE else prepare(folder / fname, dtype=dtype)
    if not bias:
        return ds
    return ds.map_features(lambda X: finish(X, bias=True, dtype=dtype))

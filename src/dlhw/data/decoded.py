"""Decoded IDX arrays kept in the user cache as ``.npy``: the second load skips gzip and hashing.

Decompressing Fashion-MNIST's four ``.gz`` files and hashing the 55 MB they hold costs about
half a second per process; reading the same arrays from ``.npy`` costs a few milliseconds.
:func:`read_idx_cached` reads a file with :func:`dlhw.data.idx.read_idx` (which verifies the
published sha256 of the decompressed bytes) and stores the array as
``<cache>/decoded/<sha256>.npy``; later calls load that copy, without pickle. What is and is
not checked, precisely:

* a copy is written only after its bytes passed the published checksum, and it is named by it;
* it is used only while the source file is the one it was made from: the sidecar
  ``<sha256>.json`` records the source's resolved path, size and modification time, and any
  difference rebuilds the copy (verifying the checksum again);
* the copy itself is not re-hashed on each load (that would cost what the cache saves); it is
  written atomically, so it is complete or absent. Delete ``<cache>/decoded`` to force a check.

A cache that cannot be written (read-only home, full disk) is skipped silently: the data then
loads from the source every time, as before.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from dlhw.data.idx import read_idx
from dlhw.data.locate import cache_dir
from dlhw.io import atomic_write_bytes, load_json, save_json


def _stamp(path: Path) -> dict[str, object]:
    st = path.stat()
    return {"source": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def read_idx_cached(path: Path, *, sha256_hex: str, fix: str) -> np.ndarray:
    """The array of IDX file ``path`` (checksum ``sha256_hex``), from the decoded cache if valid."""
    folder = cache_dir() / "decoded"
    npy, meta = folder / f"{sha256_hex}.npy", folder / f"{sha256_hex}.json"
    try:
        stamp = _stamp(path)
        if npy.exists() and meta.exists() and load_json(meta) == {**stamp, "sha256": sha256_hex}:
            return np.load(npy, allow_pickle=False)
    except (OSError, ValueError):
        pass  # unreadable copy or sidecar: rebuild it below
    arr = read_idx(path, sha256_hex=sha256_hex, fix=fix)
    try:
        buf = _npy_bytes(arr)
        atomic_write_bytes(npy, buf)
        save_json(meta, {**stamp, "sha256": sha256_hex})  # last: the copy is complete
    except OSError:
        pass  # no cache: load from the source next time too
    return arr


def _npy_bytes(arr: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, np.ascontiguousarray(arr), allow_pickle=False)
    return out.getvalue()


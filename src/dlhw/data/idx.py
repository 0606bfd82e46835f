"""Reader for the IDX format of (Fashion-)MNIST and EMNIST, gzipped or raw."""

from __future__ import annotations

import hashlib
import zlib
from pathlib import Path

import numpy as np

from dlhw.errors import DataError

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_bytes(path: Path, fix: str) -> bytes:
    """The decompressed content of ``path`` (``.gz`` or raw); a corrupt gzip raises DataError."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path} ({exc.strerror}); {fix}") from None
    if path.suffix == ".gz":
        try:
            return zlib.decompress(raw, 31)  # 31: gzip header; faster than the gzip module
        except zlib.error as exc:
            raise DataError(f"{path} is a corrupt or truncated gzip file ({exc}); delete it and "
                            f"{fix}") from None
    return raw


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_idx(data: bytes, path: Path, fix: str) -> np.ndarray:
    """Parse IDX bytes into an array of the shape stored in the header."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise DataError(f"{path} is not an IDX file (bad magic number); {fix}")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path} is truncated (header incomplete); {fix}")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[data[2]])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        raise DataError(f"{path} has {len(data)} bytes but its header {shape} needs {expected}: "
                        f"the file is truncated or corrupt; {fix}")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def read_idx(path: Path, *, sha256_hex: str | None = None, fix: str) -> np.ndarray:
    """Read an IDX file, verifying the sha256 of its decompressed bytes when given."""
    data = read_bytes(path, fix)
    if sha256_hex is not None and sha256(data) != sha256_hex:
        raise DataError(f"{path} fails its checksum (sha256 of the decompressed bytes differs "
                        f"from the published one); delete it and {fix}")
    return parse_idx(data, path, fix)

"""Safe files: atomic writes, npz without pickle, JSON.

Everything dlhw writes goes to a temporary file in the same folder and is then moved over the
target with :func:`os.replace`, so a reader (or a resumed run after ``kill -9``) sees either the
old complete file or the new complete file, never a half-written one. Arrays are stored as
``.npz`` and loaded with ``allow_pickle=False``: loading never executes code.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from dlhw.errors import CheckpointError


def current_umask() -> int:
    """The process umask (read without changing it where ``/proc`` says it, Linux >= 4.7)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: read it by setting it, and put it back at once
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file + fsync + ``os.replace``).

    The file gets the permissions of any newly created file (``0666`` minus the umask), not
    ``mkstemp``'s private ``0600``.
    """
    path = Path(path)
    try:
        return _atomic_write(path, data)
    except OSError as exc:  # name the file: a bare write() error (ENOSPC) carries no path
        if exc.filename is not None:
            raise
        raise type(exc)(exc.errno, exc.strerror or str(exc), str(path)) from exc


def _atomic_write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_copy(src: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Copy file ``src`` to ``dest`` atomically (a reader never sees a truncated copy)."""
    return atomic_write_bytes(dest, Path(src).read_bytes())


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def save_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON, atomically (numpy scalars and arrays are converted)."""
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False,
                                              default=_json_default, allow_nan=True) + "\n")


def load_json(path: str | os.PathLike) -> Any:
    """Read JSON from ``path``; a missing or corrupt file raises :class:`CheckpointError`."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(f"{path} does not exist; run the step that writes it first") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path} is not valid JSON ({exc}); delete it and rerun") from None


def save_npz(path: str | os.PathLike, arrays: Mapping[str, np.ndarray],
             meta: Mapping[str, Any] | None = None) -> Path:
    """Save ``arrays`` to ``path`` (.npz, atomically) and ``meta`` to a ``.json`` sidecar.

    The sidecar is written after the arrays, so its presence marks a complete checkpoint.
    """
    path = Path(path)
    buf = io.BytesIO()
    np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})
    atomic_write_bytes(path, buf.getvalue())
    if meta is not None:
        save_json(path.with_suffix(".json"), dict(meta))
    return path


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Load every array of an ``.npz`` without pickle; corrupt files raise CheckpointError."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise CheckpointError(f"{path} does not exist; train the model first") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise CheckpointError(f"{path} is corrupt or not an .npz file ({exc}); delete it and "
                              f"retrain") from None

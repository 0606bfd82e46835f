"""A member's files as data: how a worker without the grid's file system hands its work back.

A remote worker (:class:`~dlhw.grid.ray_backend.RayBackend`) runs a task in a temporary folder
of its own node, then returns each member's folder as a :class:`MemberFiles`: JSON files
(``record.json``, ``history.json``, ``run.json``, checkpoint sidecars) as parsed objects, ``.npz``
checkpoints (best and last) as arrays, and every other file (plots) as bytes. Nothing is
pickled but numpy arrays, strings and numbers, so Ray's object store carries it and the driver
rebuilds the files without running code. The driver then writes them into the grid's root
with :meth:`MemberFiles.install` (each file atomically, the record last), which is exactly the
state a local worker leaves: a member is finished when its ``record.json`` exists.

Paths inside JSON files that point into the worker's temporary folder (e.g. ``run.json``'s
``out_dir``) are rewritten to the member's folder on the driver.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dlhw.errors import CheckpointError
from dlhw.grid.store import CONFIG_FILE, FAILED_FILE, RECORD_FILE
from dlhw.io import atomic_write_bytes, load_json, load_npz, save_json, save_npz

STAGING = ".incoming"  # the driver assembles a member's files here, then moves them into place


def _relocate(obj: Any, old: str, new: str) -> Any:
    """``obj`` (parsed JSON) with every string path under ``old`` moved under ``new``."""
    if isinstance(obj, str):
        return new + obj[len(old):] if obj == old or obj.startswith(old + os.sep) else obj
    if isinstance(obj, list):
        return [_relocate(v, old, new) for v in obj]
    if isinstance(obj, dict):
        return {k: _relocate(v, old, new) for k, v in obj.items()}
    return obj


@dataclass
class MemberFiles:
    """Everything a member's work left in its folder (except the store's ``config.json``).

    Attributes
    ----------
    id : the member's configuration id.
    source : the folder the files were read from (on the worker).
    record : the parsed ``record.json`` (metrics, seconds, ...).
    json : relative path -> parsed JSON object.
    arrays : relative path of an ``.npz`` -> {name: array}.
    raw : relative path -> bytes (plots and anything else).
    """

    id: str
    source: str
    record: dict[str, Any]
    json: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    raw: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def collect(cls, folder: str | os.PathLike, config_id: str) -> MemberFiles:
        """Read member ``config_id``'s finished folder (its ``record.json`` must exist)."""
        folder = Path(folder)
        out = cls(id=config_id, source=str(folder), record=load_json(folder / RECORD_FILE))
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = path.relative_to(folder).as_posix()
            if rel in (CONFIG_FILE, RECORD_FILE, FAILED_FILE) or path.name.startswith("."):
                continue  # the store's own files; temporary files of atomic writes
            if path.suffix == ".json":
                out.json[rel] = load_json(path)
            elif path.suffix == ".npz":
                out.arrays[rel] = load_npz(path)
            else:
                out.raw[rel] = path.read_bytes()
        return out

    @property
    def nbytes(self) -> int:
        """Bytes of arrays and raw files (what the object store carries, roughly)."""
        return (sum(a.nbytes for d in self.arrays.values() for a in d.values())
                + sum(len(b) for b in self.raw.values()))

    def install(self, folder: str | os.PathLike) -> None:
        """Write the files into ``folder`` (the member's folder on the driver), the record last.

        The files are assembled in ``folder/.incoming`` and then moved into place, replacing
        whatever an interrupted earlier attempt left there; until ``record.json`` is written
        the member is not finished, so a crash anywhere in between only means a rerun.
        """
        folder = Path(folder)
        if self.record.get("id") != self.id:
            raise CheckpointError(f"the worker returned the record of {self.record.get('id')!r} for "
                                  f"config {self.id}; rerun the grid")
        staging = folder / STAGING
        shutil.rmtree(staging, ignore_errors=True)
        for rel, obj in self.json.items():
            save_json(staging / rel, _relocate(obj, self.source, str(folder)))
        for rel, arrays in self.arrays.items():
            save_npz(staging / rel, arrays)
        for rel, data in self.raw.items():
            atomic_write_bytes(staging / rel, data)
        for entry in sorted(staging.iterdir()) if staging.is_dir() else ():
            target = folder / entry.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(entry, target)
        shutil.rmtree(staging, ignore_errors=True)
        save_json(folder / RECORD_FILE, _relocate(self.record, self.source, str(folder)))
        (folder / FAILED_FILE).unlink(missing_ok=True)

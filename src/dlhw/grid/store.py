"""The results store: one folder per configuration, a record file that marks it finished.

Layout under the grid's root::

    <root>/<config id>/config.json    parameters and seed (written before the work starts)
    <root>/<config id>/run/...        whatever the work writes: history.json, checkpoint.npz, ...
    <root>/<config id>/record.json    the result; written LAST and atomically
    <root>/<config id>/test.json      test metrics, only ever for the best configuration
    <root>/<config id>/failed.json    the error of the last failed attempt (removed on success)

A configuration is finished exactly when ``record.json`` exists. A run killed mid-way (even by
``kill -9``) leaves no record, so it is run again (the work may resume from its own files).
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlhw.errors import CheckpointError
from dlhw.grid.spec import Config
from dlhw.io import load_json, save_json

CONFIG_FILE = "config.json"
RECORD_FILE = "record.json"
TEST_FILE = "test.json"
FAILED_FILE = "failed.json"
RUN_DIR = "run"  # the work's own files, kept apart from the store's config.json and record.json


@dataclass(frozen=True)
class Member:
    """One configuration as the work function sees it.

    Attributes
    ----------
    config : the :class:`~dlhw.grid.spec.Config` (``.params`` are the hyperparameters).
    seed : its seed, derived from the grid seed and the config hash before any dispatch.
    out_dir : its folder; files of an interrupted earlier attempt may be there (resume or overwrite).
    """

    config: Config
    seed: int
    out_dir: Path

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def params(self) -> dict[str, Any]:
        return self.config.params

    @property
    def run_dir(self) -> Path:
        """Where the work writes its own files (checkpoints, history), apart from the store's."""
        return self.out_dir / RUN_DIR


class GridStore:
    """Reads and writes the per-configuration folders under ``root``."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    def folder(self, config_id: str) -> Path:
        return self.root / config_id

    def is_finished(self, config_id: str) -> bool:
        return (self.folder(config_id) / RECORD_FILE).is_file()

    def prepare(self, member: Member) -> None:
        """Create the member's folder and write its ``config.json`` (checking an existing one)."""
        path = member.out_dir / CONFIG_FILE
        wanted = {"id": member.id, "params": member.params, "seed": member.seed}
        if path.exists():
            try:
                old = load_json(path)
            except CheckpointError:
                old = None  # a corrupt file from a crash: rewrite it
            if old is not None and (old.get("params") != member.params or old.get("seed") != member.seed):
                raise CheckpointError(f"{path} holds other parameters than config {member.id}; "
                                      f"delete the folder {member.out_dir} and rerun")
        save_json(path, wanted)

    def write_record(self, member: Member, metrics: dict[str, Any], seconds: float) -> dict[str, Any]:
        """Write the member's record (marks it finished) and return it."""
        if not isinstance(metrics, dict):
            raise CheckpointError(f"the work for {member.id} returned {type(metrics).__name__}; "
                                  f"it must return a dict of metrics")
        record = {"id": member.id, "index": member.config.index, "params": member.params,
                  "varied": member.config.varied, "seed": member.seed, "metrics": metrics,
                  "seconds": round(seconds, 3),
                  "finished_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
        save_json(self.folder(member.id) / RECORD_FILE, record)
        (self.folder(member.id) / FAILED_FILE).unlink(missing_ok=True)
        return record

    def write_failure(self, config_id: str, exc: BaseException) -> None:
        """Record why ``config_id`` failed (``failed.json``); it stays unfinished, so a rerun retries it."""
        save_json(self.folder(config_id) / FAILED_FILE, {"id": config_id, "error": type(exc).__name__,
                                                          "message": str(exc)})

    def read_record(self, config_id: str) -> dict[str, Any]:
        """The record of ``config_id``; one whose ``id`` is another configuration's is refused."""
        path = self.folder(config_id) / RECORD_FILE
        record = load_json(path)
        if not isinstance(record, dict) or record.get("id") != config_id:
            other = record.get("id") if isinstance(record, dict) else type(record).__name__
            raise CheckpointError(f"{path} is the record of {other!r}, not of {config_id!r}; "
                                  f"delete it and rerun to retrain that configuration")
        return record

    def read_test(self, config_id: str) -> dict[str, Any] | None:
        path = self.folder(config_id) / TEST_FILE
        return load_json(path) if path.is_file() else None

    def write_test(self, config_id: str, metrics: dict[str, Any]) -> None:
        save_json(self.folder(config_id) / TEST_FILE, metrics)

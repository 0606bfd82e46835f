"""Checkpoints of numpy-state models: one atomic ``.npz`` plus a readable JSON sidecar, no pickle.

The arrays are the model's ``state_dict()``. The metadata (model kind and config, epoch, run
fingerprint, and for ``last.npz`` the whole history) is stored twice: inside the ``.npz`` as a
UTF-8 JSON byte array (so weights and metadata are replaced together by one ``os.replace`` and
can never disagree after a crash), and in the ``.json`` sidecar for people and other tools.
Loading reads the copy inside the archive.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from dlhw.errors import CheckpointError
from dlhw.io import load_npz, save_npz

META_KEY = "__meta__"


def _encode(meta: dict[str, Any]) -> np.ndarray:
    return np.frombuffer(json.dumps(meta, allow_nan=True, default=_plain).encode("utf-8"), dtype=np.uint8)


def _plain(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (np.ndarray, Path)):
        return obj.tolist() if isinstance(obj, np.ndarray) else str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def model_meta(model: Any) -> dict[str, Any]:
    """The part of a checkpoint's metadata that identifies the model."""
    from dlhw.scratch import model_kind

    return {"model": model_kind(model), "class": type(model).__name__, "config": model.config()}


def save_checkpoint(path: str | os.PathLike, model: Any, meta: dict[str, Any] | None = None,
                    state: dict[str, np.ndarray] | None = None) -> Path:
    """Write ``state`` (default ``model.state_dict()``: a snapshot taken earlier may be given) and
    ``meta`` (plus the model's identity) to ``path`` atomically."""
    full = {**model_meta(model), **(meta or {})}
    arrays = dict(model.state_dict() if state is None else state)
    if META_KEY in arrays:
        raise CheckpointError(f"a parameter is named {META_KEY!r}, which checkpoints reserve; rename it")
    arrays[META_KEY] = _encode(full)
    return save_npz(path, arrays, meta=full)


def read_checkpoint(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """``(state, meta)`` stored at ``path`` (no pickle; a corrupt file raises CheckpointError)."""
    arrays = load_npz(path)
    raw = arrays.pop(META_KEY, None)
    if raw is None or raw.dtype != np.uint8:
        raise CheckpointError(f"{path} has no dlhw metadata; it was not written by dlhw, retrain")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path} has corrupt metadata ({exc}); delete it and retrain") from None
    return arrays, meta


def load_checkpoint(path: str | os.PathLike, model: Any) -> dict[str, Any]:
    """Load the weights at ``path`` into ``model`` (same class and shapes); return the metadata."""
    state, meta = read_checkpoint(path)
    if meta.get("class") != type(model).__name__:
        raise CheckpointError(f"{path} holds a {meta.get('class')}, not a {type(model).__name__}; "
                              f"load it into the model it was saved from")
    model.load_state_dict(state)
    return meta


def model_from_checkpoint(path: str | os.PathLike) -> tuple[Any, dict[str, Any]]:
    """Rebuild a scratch model from the config stored at ``path`` and load its weights."""
    from dlhw.scratch import MODELS, make_model

    state, meta = read_checkpoint(path)
    if meta.get("model") not in MODELS:
        raise CheckpointError(f"{path} holds a {meta.get('model')!r} model, not a dlhw.scratch model")
    model = make_model(meta["model"], **meta["config"])
    model.load_state_dict(state)
    return model, meta

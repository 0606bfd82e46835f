"""PyTorch checkpoints without pickle: tensors in an ``.npz``, everything else in JSON.

A checkpoint holds a model's ``state_dict`` (keys ``model/<name>``) and optionally an
optimiser's per-parameter state (keys ``optim/<param index>/<name>``; ``None`` entries such
as SGD's empty momentum buffer are listed in the JSON sidecar). Files are written atomically
by :func:`dlhw.io.save_npz` and read with ``allow_pickle=False``: loading never runs code.
The optimiser's hyperparameters (``param_groups``) are not stored: the caller rebuilds the
optimiser from its configuration and only the state is restored.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dlhw.errors import CheckpointError
from dlhw.io import load_json, load_npz, save_npz


def _to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu").numpy().copy()


def save_checkpoint(path: str | os.PathLike, model: torch.nn.Module,
                    optimizer: torch.optim.Optimizer | None = None,
                    meta: Mapping[str, Any] | None = None) -> Path:
    """Write ``model`` (and ``optimizer``'s state) to ``path`` (.npz) plus a ``.json`` sidecar."""
    arrays = {f"model/{k}": _to_numpy(v) for k, v in model.state_dict().items()}
    nones: list[str] = []
    if optimizer is not None:
        for idx, state in optimizer.state_dict()["state"].items():
            for name, value in state.items():
                key = f"optim/{idx}/{name}"
                if value is None:
                    nones.append(key)
                else:
                    arrays[key] = _to_numpy(torch.as_tensor(value))
    sidecar = {"meta": dict(meta or {}), "none_entries": nones,
               "has_optimizer": optimizer is not None}
    return save_npz(path, arrays, meta=sidecar)


def load_checkpoint(path: str | os.PathLike, model: torch.nn.Module,
                    optimizer: torch.optim.Optimizer | None = None) -> dict[str, Any]:
    """Load checkpoint ``path`` into ``model`` (and ``optimizer``); return its ``meta``.

    Raises :class:`CheckpointError` when the file is missing or corrupt, or when its tensors
    do not match the model (different names or shapes).
    """
    path = Path(path)
    arrays = load_npz(path)
    sidecar = load_json(path.with_suffix(".json"))
    params = {k[len("model/"):]: v for k, v in arrays.items() if k.startswith("model/")}
    own = model.state_dict()
    if set(params) != set(own) or any(tuple(params[k].shape) != tuple(own[k].shape) for k in own):
        raise CheckpointError(f"{path} does not match the model (tensors {sorted(params)} vs "
                              f"{sorted(own)}); use the configuration it was saved with or retrain")
    device = next(iter(own.values())).device if own else "cpu"
    model.load_state_dict({k: torch.from_numpy(v).to(device) for k, v in params.items()})
    if optimizer is not None:
        if not sidecar.get("has_optimizer"):
            raise CheckpointError(f"{path} holds no optimiser state; resume from a 'last' checkpoint")
        _load_optimizer_state(optimizer, arrays, sidecar.get("none_entries", []))
    return sidecar.get("meta", {})


def _load_optimizer_state(optimizer: torch.optim.Optimizer, arrays: Mapping[str, np.ndarray],
                          none_entries: list[str]) -> None:
    """Restore per-parameter state into ``optimizer`` (its param_groups stay as constructed)."""
    state: dict[int, dict[str, Any]] = {}
    for key in [k for k in arrays if k.startswith("optim/")] + list(none_entries):
        _, idx, name = key.split("/", 2)
        value = arrays.get(key)
        state.setdefault(int(idx), {})[name] = None if value is None else torch.from_numpy(value)
    sd = optimizer.state_dict()
    sd["state"] = state
    try:
        optimizer.load_state_dict(sd)
    except (ValueError, KeyError, RuntimeError) as exc:
        raise CheckpointError(f"optimiser state does not fit ({exc}); delete the checkpoint "
                              f"and retrain") from None

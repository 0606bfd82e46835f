"""Checkpoints: round trip, identity checks, corrupt files, no pickle."""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.errors import CheckpointError
from dlhw.scratch import MLP, LogisticRegression, NeuralRegression
from dlhw.training.checkpoint import (
    META_KEY,
    load_checkpoint,
    model_from_checkpoint,
    read_checkpoint,
    save_checkpoint,
)


def test_round_trip_with_metadata(tmp_path):
    m = NeuralRegression(4, 3, seed=5)
    path = save_checkpoint(tmp_path / "c.npz", m, {"epoch": 7})
    assert path.with_suffix(".json").exists()
    back, meta = model_from_checkpoint(path)
    assert meta["epoch"] == 7 and meta["model"] == "nn" and meta["config"]["hidden_size"] == 3
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v, back.state_dict()[k])
    with np.load(path, allow_pickle=False) as z:  # loadable without pickle
        assert META_KEY in z.files and z[META_KEY].dtype == np.uint8


def test_wrong_model_or_shape_is_refused(tmp_path):
    path = save_checkpoint(tmp_path / "c.npz", MLP(3, 4, 5, seed=0))
    with pytest.raises(CheckpointError, match="holds a MLP"):
        load_checkpoint(path, LogisticRegression(3, 4))
    with pytest.raises(CheckpointError, match="shape"):
        load_checkpoint(path, MLP(3, 4, 6, seed=0))


def test_corrupt_or_foreign_files(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(CheckpointError, match="corrupt"):
        read_checkpoint(bad)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, W=np.zeros(3))
    with pytest.raises(CheckpointError, match="metadata"):
        read_checkpoint(foreign)

"""The messages of dlhw.validation name the argument, the range and the value."""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.errors import ConfigError, ShapeError
from dlhw.validation import (
    check_choice,
    check_int,
    check_positive,
    check_probability,
    check_X_y,
)


def test_check_X_y():
    X, y = check_X_y(np.ones((3, 2)), np.array([0, 1, 2]), n_classes=3)
    assert y.dtype == np.int64
    with pytest.raises(ShapeError, match=r"X must be a 2-d array, got shape \(3,\)"):
        check_X_y(np.ones(3), np.zeros(3, int), n_classes=2)
    with pytest.raises(ShapeError, match=r"expected \(None, 5\)"):
        check_X_y(np.ones((3, 2)), np.zeros(3, int), n_features=5, n_classes=2)
    with pytest.raises(ShapeError, match="labels in \\[0, 7\\], expected 0..2"):
        check_X_y(np.ones((2, 2)), np.array([0, 7]), n_classes=3)
    with pytest.raises(ShapeError, match="1 NaN/inf"):
        check_X_y(np.array([[1.0, np.nan]]), np.array([0]), n_classes=2)
    with pytest.raises(ShapeError, match="X has 2 rows but y has 3"):
        check_X_y(np.ones((2, 2)), np.zeros(3))


def test_hyperparameters():
    assert check_positive(1, "learning_rate") == 1.0
    with pytest.raises(ConfigError, match="learning_rate must be finite and > 0, got -1"):
        check_positive(-1, "learning_rate")
    with pytest.raises(ConfigError, match="l2 must be finite and >= 0, got nan"):
        check_positive(float("nan"), "l2", allow_zero=True)
    with pytest.raises(ConfigError, match="dropout must be in \\[0, 1\\), got 1"):
        check_probability(1, "dropout")
    with pytest.raises(ConfigError, match="epochs must be an integer >= 1, got 0"):
        check_int(0, "epochs")
    with pytest.raises(ConfigError, match="unknown activation 'gelu'; choose one of 'relu', 'tanh'"):
        check_choice("gelu", "activation", ("relu", "tanh"))


def test_check_device(monkeypatch):
    import torch

    from dlhw.validation import check_device

    assert check_device("cpu") == "cpu" and check_device(" CPU ") == "cpu"
    with pytest.raises(ConfigError, match="must be cpu, cuda or cuda:N, got 'tpu'"):
        check_device("tpu")
    with pytest.raises(ConfigError, match="must be cpu, cuda or cuda:N"):
        check_device("cuda:x")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ConfigError, match="--device cuda was given but .*; use --device cpu"):
        check_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert check_device("cuda") == "cuda" and check_device("cuda:1") == "cuda:1"
    with pytest.raises(ConfigError, match="torch sees 2 GPU.*cuda:0 to cuda:1"):
        check_device("cuda:2")

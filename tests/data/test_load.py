"""The search order of dlhw.data and its argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.data import find, load, status
from dlhw.data.locate import candidate_dirs
from dlhw.errors import ConfigError


def test_search_order(tmp_path, monkeypatch):
    monkeypatch.setenv("DLHW_DATA_DIR", str(tmp_path / "env"))
    monkeypatch.setenv("DLHW_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "arg").mkdir()  # a --data-dir that does not exist is an error, not skipped
    dirs = candidate_dirs("fashion-mnist", tmp_path / "arg")
    assert dirs[:6] == [tmp_path / "arg" / "fashion-mnist", tmp_path / "arg",
                        tmp_path / "env" / "fashion-mnist", tmp_path / "env",
                        tmp_path / "cache" / "fashion-mnist", tmp_path / "cache"]
    assert dirs[-1].as_posix() == "/usr/share/datasets/fashion-mnist"


def test_find_and_status(data_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("DLHW_DATA_DIR", raising=False)
    assert find("ames", data_dir) == str(data_dir / "ames")
    assert find("emnist-letters", tmp_path) is None
    rows = dict(status(data_dir))
    assert rows["emnist-letters"].startswith("missing:")
    assert "train 1465" in rows["ames"]


def test_bad_arguments():
    with pytest.raises(ConfigError, match="unknown data set 'mnist'.*fashion-mnist"):
        load("mnist")
    with pytest.raises(ConfigError, match="dtype must be a floating type"):
        load("ames", dtype=np.int32)


def test_subset_and_describe(fashion):
    small = fashion.subset(100, 50)
    assert small.train[0].shape == (100, 784) and small.test[1].shape == (50,)
    assert small.describe().startswith("fashion-mnist: train 100, dev 50, test 50; 784 features, 10 classes")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [False, True])
def test_pixels_to_float_is_p_over_256_for_every_pixel_value(dtype, bias):
    from dlhw.data.dataset import pixels_to_float

    pixels = np.arange(256, dtype=np.uint8).reshape(32, 8)[::-1]  # (32, 8), every value once
    X = pixels_to_float(pixels, bias=bias, dtype=dtype)
    assert X.dtype == dtype and X.shape == (32, 8 + bias)
    np.testing.assert_array_equal(X[:, :8], pixels.astype(dtype) / dtype(256))
    if bias:
        assert (X[:, 8] == 1).all()

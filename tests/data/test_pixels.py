"""Image rows kept as pixels (:class:`dlhw.data.pixels.PixelRows`): the same values as the eager
loader's, bit for bit, made once, and checked on construction."""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.data import load
from dlhw.data.dataset import pixels_to_float
from dlhw.data.pixels import PixelRows, head_rows
from dlhw.errors import ShapeError


@pytest.fixture
def pixels(rng) -> np.ndarray:
    P = rng.integers(0, 256, size=(40, 12), dtype=np.uint8)
    P[0] = np.arange(244, 256)  # the top codes, where a wrong scale would show
    return P


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_are_the_eager_loaders(pixels, bias, dtype):
    rows = PixelRows.from_pixels(pixels, bias=bias, dtype=dtype)
    want = pixels_to_float(pixels, bias=bias, dtype=dtype)
    got = np.asarray(rows)
    assert got.dtype == want.dtype and rows.shape == want.shape and len(rows) == len(want)
    assert np.array_equal(got, want)
    assert np.array_equal(rows.codes * rows.scale, want)  # the codes are an exact encoding


def test_floats_are_made_once_and_indexing_reads_them(pixels):
    rows = PixelRows.from_pixels(pixels, bias=True)
    assert "array" not in vars(rows)  # nothing made before it is asked for
    first = np.asarray(rows)
    assert np.asarray(rows) is first and rows.array is first
    np.testing.assert_array_equal(rows[3], first[3])
    np.testing.assert_array_equal(rows[[1, 2]], first[[1, 2]])
    assert np.asarray(rows, dtype=np.float32).dtype == np.float32
    assert np.array(rows, copy=True) is not first


def test_head_keeps_the_codes(pixels):
    rows = PixelRows.from_pixels(pixels, bias=True)
    head = head_rows(rows, 5)
    assert isinstance(head, PixelRows) and "array" not in vars(rows)
    np.testing.assert_array_equal(np.asarray(head), np.asarray(rows)[:5])
    plain = np.ones((4, 2))
    assert head_rows(plain, 2).shape == (2, 2)


@pytest.mark.parametrize("bad", ["float_codes", "one_dim", "strided", "scale_shape", "scale_not_power"])
def test_bad_codes_or_scales_are_refused(pixels, bad):
    codes, scale = pixels, np.full(pixels.shape[1], 2.0**-8)
    if bad == "float_codes":
        codes = pixels.astype(np.float64)
    elif bad == "one_dim":
        codes = pixels[0]
    elif bad == "strided":
        codes = pixels[:, ::2]
    elif bad == "scale_shape":
        scale = scale[:-1]
    else:
        scale = scale.copy()
        scale[2] = 0.003
    with pytest.raises(ShapeError, match="PixelRows needs"):
        PixelRows(codes, scale if bad != "strided" else scale[::2])


def test_lazy_load_gives_the_same_data(data_dir, fashion):
    lazy = load("fashion-mnist", data_dir=data_dir, lazy=True)
    for (X, y), (Xe, ye) in zip(lazy.splits().values(), fashion.splits().values(), strict=True):
        assert isinstance(X, PixelRows) and X.shape == Xe.shape
        assert np.array_equal(X.codes, np.asarray(Xe) * 256)  # no float copy made to compare
        np.testing.assert_array_equal(y, ye)
    assert lazy.n_features == 784 and "float64" in lazy.describe()
    quick = lazy.subset(100, 50)
    assert isinstance(quick.train[0], PixelRows) and quick.train[0].shape == (100, 784)


def test_lazy_bias_column_and_ames_ignores_lazy(data_dir):
    lazy = load("fashion-mnist", data_dir=data_dir, bias=True, lazy=True)
    X = lazy.dev[0]
    assert X.shape == (10000, 785) and (X.codes[:, -1] == 128).all() and X.scale[-1] == 2.0**-7
    assert (np.asarray(X)[:, -1] == 1.0).all()
    ames = load("ames", data_dir=data_dir, lazy=True)
    assert isinstance(ames.train[0], np.ndarray)

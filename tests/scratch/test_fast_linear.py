"""The linear classifiers' encoded path: exact encoding, fallback, cache reuse and invalidation."""

from __future__ import annotations

import numpy as np
import pytest
from test_fast import assert_same_params, run_epochs

from dlhw.scratch import _fast_linear as fl

LINEAR = ["perceptron", "perceptron_lr", "logistic", "logistic_l2", "logistic_strong_l2"]


def pixel_data(seed: int, n: int = 150, d: int = 30, k: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """``X`` (n, d+1) of ``k/256`` values, ~60% zeros, a constant-1 bias column; labels (n,)."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, size=(n, d)) * (rng.random((n, d)) < 0.4) / 256.0
    return np.hstack([X, np.ones((n, 1))]), rng.integers(0, k, size=n)


@pytest.fixture(autouse=True)
def _fresh_cache():
    fl.clear_cache()
    yield
    fl.clear_cache()


def test_pixels_encode_exactly(seed):
    X, _ = pixel_data(seed)
    codes, scale = fl.encoded(X)
    assert codes.dtype == np.uint8
    np.testing.assert_array_equal(codes * scale, X)
    assert scale[-1] == 2.0 ** -7 and scale[0] == 2.0 ** -8  # the bias is 128 * 2^-7


@pytest.mark.parametrize("bad", ["negative", "non_dyadic", "code_too_big", "nan"])
def test_data_without_the_form_falls_back(bad, seed):
    X, _ = pixel_data(seed)
    X[3, 2] = {"negative": -1 / 256, "non_dyadic": 0.1, "code_too_big": 300 / 256, "nan": np.nan}[bad]
    if bad == "code_too_big":
        X[4, 2] = 1 / 256  # column max 300/256 needs scale 2^-7, on which 1/256 is no integer
    assert fl.encoded(X) is None
    C, scale = fl.source(X, np.float64)
    assert C is X and (scale == 1).all()  # the kernels then read X itself


@pytest.mark.parametrize("name", LINEAR)
def test_encoded_path_equals_reference(name, seed):
    X, y = pixel_data(seed)
    rng = np.random.default_rng(seed + 1)
    orders = [rng.permutation(len(y)) for _ in range(3)]
    ref, ref_losses = run_epochs(name, X, y, "numpy", orders, 4)
    fast, fast_losses = run_epochs(name, X, y, "numba", orders, 4)
    assert fl.encoded(X) is not None  # the encoded path really ran
    assert_same_params(fast, ref)
    np.testing.assert_allclose(fast_losses, ref_losses, rtol=1e-12)


def test_encoded_float32_path(seed):
    X, y = pixel_data(seed)
    orders = [np.random.default_rng(seed).permutation(len(y))]
    ref, _ = run_epochs("logistic_l2", X, y, "numpy", orders, 4)
    fast, _ = run_epochs("logistic_l2", X.astype(np.float32), y, "numba32", orders, 4)
    assert_same_params(fast, ref, rtol=1e-4)


def test_cache_reuses_and_invalidates(seed):
    X, _ = pixel_data(seed, n=200)
    codes = fl.encoded(X)[0]
    assert fl.encoded(X)[0] is codes  # reused
    other = X.copy()
    other[5, 0] = 7 / 256
    assert fl.encoded(other)[0][5, 0] == 7  # same shape, other array: its own encoding
    X[:] = X[::-1].copy()  # every row changes in place: the sampled check sees it
    assert fl.encoded(X)[0] is not codes
    np.testing.assert_array_equal(fl.encoded(X)[0] * fl.encoded(X)[1], X)
    X[7, 1] = 0.3  # not representable any more
    fl.clear_cache()  # the documented remedy after a change the sample may miss
    assert fl.encoded(X) is None


def test_modified_data_trains_like_the_reference(seed):
    X, y = pixel_data(seed)
    orders = [np.random.default_rng(seed).permutation(len(y))]
    run_epochs("logistic_l2", X, y, "numba", orders, 4)  # caches X's encoding
    X *= 0.5  # in place, every row: still k/256, other codes
    ref, _ = run_epochs("logistic_l2", X, y, "numpy", orders, 4)
    fast, _ = run_epochs("logistic_l2", X, y, "numba", orders, 4)
    assert_same_params(fast, ref)


@pytest.mark.parametrize("l2", [0.0, 0.37])
def test_fused_update_is_the_reference_formula_bit_for_bit(l2, seed):
    rng = np.random.default_rng(seed)
    W, x, x_next = rng.normal(size=(3, 50)), rng.random((1, 50)), rng.random((1, 50))
    want = W[1] - 0.013 * (-0.731 * x[0] + l2 * W[1])
    dot, sq = fl._step_row(W, 1, x, -0.731, 0.013, l2, x_next)
    np.testing.assert_array_equal(W[1], want)
    np.testing.assert_allclose([dot, sq], [want @ x_next[0], want @ want], rtol=1e-13)

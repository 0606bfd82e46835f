"""The blocked perceptron epoch: taken only when its scores are exact, then bit-identical."""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.scratch import Perceptron
from dlhw.scratch import _fast_linear as fl
from dlhw.scratch import _fast_perceptron as fp
from dlhw.testing.twins import pixel_data


def train_both(X, y, k, lr, orders, W0=None):
    """(reference model, fast model, mistakes per epoch of each) after the epochs in ``orders``."""
    ref, fast = Perceptron(k, X.shape[1]), Perceptron(k, X.shape[1])
    if W0 is not None:
        ref.W[...] = W0
        fast.W[...] = W0
    prepared = fast.prepare(X, "numba")
    ref_m = [ref.train_epoch(X, y, lr, order=o, kernel="numpy") for o in orders]
    fast_m = [fast.train_epoch(X, y, lr, order=o, prepared=prepared) for o in orders]
    return ref, fast, ref_m, fast_m


@pytest.mark.parametrize(("n", "k", "lr"), [(150, 4, 1.0), (151, 3, 0.5), (97, 5, 4.0), (3, 4, 1.0)])
def test_blocked_epoch_is_bit_identical(n, k, lr, seed):
    # leftover rows (n % BLOCK != 0), an odd class count (the last class outside the 2-wide tiles)
    X, y = pixel_data(seed, n=n, k=k)
    rng = np.random.default_rng(seed + 7)
    orders = [rng.permutation(n) for _ in range(4)]
    assert fp.exact_for(np.zeros((k, X.shape[1])), lr, fl.encode(X), X, n)
    ref, fast, ref_m, fast_m = train_both(X, y, k, lr, orders)
    np.testing.assert_array_equal(fast.W, ref.W)
    assert fast_m == ref_m and ref_m[0] > 0


def test_blocked_epoch_on_fashion(fashion_small):
    X, y = fashion_small.train
    X = np.hstack([X, np.ones((len(X), 1))])
    orders = [np.random.default_rng(e).permutation(len(y)) for e in range(3)]
    assert fp.exact_for(np.zeros((10, X.shape[1])), 1.0, fl.encode(X), X, 3 * len(y))
    ref, fast, ref_m, fast_m = train_both(X, y, 10, 1.0, orders)
    np.testing.assert_array_equal(fast.W, ref.W)
    assert fast_m == ref_m


@pytest.mark.parametrize("c", ["bound", 1.0])
def test_kernel_itself_matches_the_per_example_kernel(c, seed):
    # called directly (no dispatcher), so a dispatcher that never picks it cannot hide a bug;
    # c = 1 certifies nothing, so every decision goes through the exact float64 scores
    X, y = pixel_data(seed, n=203, k=6)
    enc = fl.encode(X)
    order = np.random.default_rng(seed).permutation(len(y))
    W_blocked, W_plain = np.zeros((6, X.shape[1])), np.zeros((6, X.shape[1]))
    factor = fp.error_factor(X.shape[1]) if c == "bound" else c
    for _epoch in range(3):
        m_blocked = fp.perceptron_epoch(enc.codes, enc.scale, enc.row_norm, y, order, 1.0, W_blocked, factor)
        m_plain = fl.perceptron_epoch(enc.codes, enc.scale, y, order, 1.0, W_plain)
        np.testing.assert_array_equal(W_blocked, W_plain)
        assert m_blocked == m_plain > 0


def test_float32_scores_stay_within_the_error_bound(seed):
    # large weights of both signs on the grid: much cancellation, the worst case for rounding
    X, _ = pixel_data(seed, n=64, d=700)
    enc = fl.encode(X)
    rng = np.random.default_rng(seed)
    W = rng.integers(-2 ** 20, 2 ** 20, size=(6, X.shape[1])) * 2.0 ** -8
    W32 = W.astype(np.float32)
    S = np.zeros((fp.BLOCK, 6))  # float32 sums, stored as float64
    c = fp.error_factor(X.shape[1])
    worst = 0.0
    for start in range(0, 60, fp.BLOCK):
        Xb = X[start:start + fp.BLOCK].astype(np.float32)
        for k in range(0, 6, 2):
            fp.score_tile(W32, Xb, S, k)
        exact = X[start:start + fp.BLOCK] @ W.T  # exact: integers far below 2**53 units
        bound = c * np.linalg.norm(W, axis=1)[None, :] * enc.row_norm[start:start + fp.BLOCK, None]
        gap = np.abs(S - exact)
        assert (gap <= bound).all()
        worst = max(worst, (gap / bound).max())
    assert worst > 1e-4  # float32 really rounds here: the check above is not vacuous


def test_only_a_clear_winner_is_certified():
    s = np.array([3.0, 5.0, 4.999, 9.0])  # the last entry is padding, outside the K = 3 classes
    assert fp.certain_argmax(s, 3, 1e-4) == 1
    assert fp.certain_argmax(s, 3, 1e-3) == -1  # 5.0 - 4.999 < 2 * err: the exact scores decide
    assert fp.certain_argmax(np.array([7.0, 1.0, 6.0]), 3, 0.1) == 0  # the winner comes first
    assert fp.certain_argmax(np.array([1.0, 6.0, 7.0]), 3, 0.1) == 2  # ... or last
    assert fp.certain_argmax(np.array([2.0, 2.0]), 2, 0.0) == -1  # a tie is never certified
    assert fp.certain_argmax(np.array([1.0, 2.0, 2.0]), 3, 0.0) == -1


def test_exactness_conditions(seed):
    X, _ = pixel_data(seed)
    enc = fl.encode(X)
    W = np.zeros((4, X.shape[1]))
    assert fp.exact_for(W, 1.0, enc, X, 150)
    assert fp.exact_for(W + 3 * 2.0 ** -8, 1.0, enc, X, 150)  # on the grid of lr * min(scale)
    assert not fp.exact_for(W, 0.37, enc, X, 150)  # lr * x may round
    assert not fp.exact_for(W + 0.1, 1.0, enc, X, 150)  # weights off the grid
    assert not fp.exact_for(W, 1.0, None, X, 150)  # not encodable
    assert not fp.exact_for(W, 1.0, enc, X.copy(), 150)  # another array than the encoded one
    assert not fp.exact_for(W.astype(np.float32), 1.0, enc, X, 150)
    assert not fp.exact_for(W + 2.0 ** 40, 1.0, enc, X, 150)  # sums could exceed 2**53 units
    assert not fp.exact_for(W, 2.0 ** -90, enc, X, 150)  # products below float32's normal range
    W[0, 0] = np.nan
    assert not fp.exact_for(W, 1.0, enc, X, 150)


def test_off_grid_start_falls_back_and_still_matches(seed):
    X, y = pixel_data(seed)
    W0 = np.random.default_rng(seed).normal(size=(4, X.shape[1]))  # not exact: the plain kernel runs
    orders = [np.random.default_rng(seed + 1).permutation(len(y)) for _ in range(2)]
    ref, fast, ref_m, fast_m = train_both(X, y, 4, 1.0, orders, W0)
    np.testing.assert_allclose(fast.W, ref.W, rtol=1e-12, atol=1e-12 * np.abs(ref.W).max())
    assert fast_m == ref_m


def test_encoding_records_the_score_bounds(seed):
    X, _ = pixel_data(seed)
    enc = fl.encode(X)
    assert enc.x_max == X.max()
    assert enc.row_l1_max == np.abs(X).sum(axis=1).max()
    norms = np.linalg.norm(X, axis=1)
    assert (enc.row_norm >= norms).all()
    np.testing.assert_allclose(enc.row_norm, norms, rtol=1e-9)


def test_float32_backend_takes_the_exact_path_when_it_applies(seed, monkeypatch):
    calls = []
    kernel = fp.perceptron_epoch
    monkeypatch.setattr(fp, "perceptron_epoch", lambda *a: calls.append(a[6].dtype) or kernel(*a))
    X, y = pixel_data(seed)
    X32 = X.astype(np.float32)  # as numba32's users load it: the same values
    orders = [np.random.default_rng(seed + 3).permutation(len(y)) for _ in range(2)]
    ref = Perceptron(4, X.shape[1])
    fast = Perceptron(4, X.shape[1])
    prepared = fast.prepare(X32, "numba32")
    for o in orders:
        ref.train_epoch(X, y, order=o, kernel="numpy")
        fast.train_epoch(X32, y, order=o, kernel="numba32", prepared=prepared)
    np.testing.assert_array_equal(fast.W, ref.W)  # exact, not float32-accurate
    assert calls == [np.float64, np.float64]  # the blocked epoch ran, on the float64 weights

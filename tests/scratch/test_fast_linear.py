"""The linear classifiers' encoded path: exact encoding, fallback, and use only for its own array."""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.scratch import _fast_linear as fl
from dlhw.testing.twins import assert_same_params, build, pixel_data, run_epochs

LINEAR = ["perceptron", "perceptron_lr", "logistic", "logistic_l2", "logistic_strong_l2"]
ENCODED = [*LINEAR, "mlp"]  # the models whose compiled epochs read the codes


def run_prepared(name, X, y, kernel, orders, k):
    """Like ``run_epochs``, with the run's ``prepare`` result passed to every epoch (the protocol's way)."""
    model, lr = build(name, X.shape[1], k)
    prepared = model.prepare(X, kernel)
    losses = [model.train_epoch(X, y, lr, order=o, kernel=kernel, prepared=prepared) for o in orders]
    return model, losses, prepared


def test_pixels_encode_exactly(seed):
    X, _ = pixel_data(seed)
    enc = fl.encode(X)
    codes, scale = enc.codes, enc.scale
    assert enc.source is X and codes.dtype == np.uint8
    np.testing.assert_array_equal(codes * scale, X)
    assert scale[-1] == 2.0 ** -7 and scale[0] == 2.0 ** -8  # the bias is 128 * 2^-7


@pytest.mark.parametrize("bad", ["negative", "non_dyadic", "code_too_big", "nan"])
def test_data_without_the_form_falls_back(bad, seed):
    X, _ = pixel_data(seed)
    X[3, 2] = {"negative": -1 / 256, "non_dyadic": 0.1, "code_too_big": 300 / 256, "nan": np.nan}[bad]
    if bad == "code_too_big":
        X[4, 2] = 1 / 256  # column max 300/256 needs scale 2^-7, on which 1/256 is no integer
    assert fl.encode(X) is None
    C, scale = fl.source(X, np.float64, None)
    assert C is X and (scale == 1).all()  # the kernels then read X itself


@pytest.mark.parametrize("name", ENCODED)
def test_encoded_path_equals_reference(name, seed):
    X, y = pixel_data(seed)
    rng = np.random.default_rng(seed + 1)
    orders = [rng.permutation(len(y)) for _ in range(3)]
    ref, ref_losses = run_epochs(name, X, y, "numpy", orders, 4)
    fast, fast_losses, prepared = run_prepared(name, X, y, "numba", orders, 4)
    assert isinstance(prepared, fl.Encoded)  # the encoded path really ran
    assert_same_params(fast, ref)
    np.testing.assert_allclose(fast_losses, ref_losses, rtol=1e-12)


def test_encoded_float32_path(seed):
    X, y = pixel_data(seed)
    orders = [np.random.default_rng(seed).permutation(len(y))]
    ref, _ = run_epochs("logistic_l2", X, y, "numpy", orders, 4)
    fast, _, prepared = run_prepared("logistic_l2", X.astype(np.float32), y, "numba32", orders, 4)
    assert isinstance(prepared, fl.Encoded)
    assert_same_params(fast, ref, rtol=1e-4)


def test_an_encoding_serves_only_its_own_array(seed):
    X, _ = pixel_data(seed, n=200)
    enc = fl.encode(X)
    C, _ = fl.source(X, np.float64, enc)
    assert C is enc.codes
    other = X.copy()  # equal values, another array: read densely, never through X's codes
    C, scale = fl.source(other, np.float64, enc)
    assert C is other and (scale == 1).all()


def test_what_each_model_prepares(seed):
    X, _ = pixel_data(seed)
    assert isinstance(build("mlp", X.shape[1], 4)[0].prepare(X, "numba"), fl.Encoded)  # reads codes too
    assert build("logistic", X.shape[1], 4)[0].prepare(X, "numpy") is None  # the reference: nothing
    assert build("nn", X.shape[1], 4)[0].prepare(X, "numba") is None  # regression: nothing


def test_modified_data_trains_like_the_reference(seed):
    X, y = pixel_data(seed)
    orders = [np.random.default_rng(seed).permutation(len(y))]
    run_prepared("logistic_l2", X, y, "numba", orders, 4)  # a run on the old values
    X *= 0.5  # in place, every row: still k/256, other codes
    ref, _ = run_epochs("logistic_l2", X, y, "numpy", orders, 4)
    fast, _, _ = run_prepared("logistic_l2", X, y, "numba", orders, 4)  # a new run prepares anew
    assert_same_params(fast, ref)


@pytest.mark.parametrize("l2", [0.0, 0.37])
def test_fused_update_is_the_reference_formula_bit_for_bit(l2, seed):
    rng = np.random.default_rng(seed)
    W, x, x_next = rng.normal(size=(3, 50)), rng.random((1, 50)), rng.random((1, 50))
    want = W[1] - 0.013 * (-0.731 * x[0] + l2 * W[1])
    dot, sq = fl.step_row(W, 1, x, -0.731, 0.013, l2, x_next)
    np.testing.assert_array_equal(W[1], want)
    np.testing.assert_allclose([dot, sq], [want @ x_next[0], want @ want], rtol=1e-13)


def test_paired_update_is_the_reference_formula_to_one_ulp(seed):
    rng = np.random.default_rng(seed)
    W, x, x_next = rng.normal(size=(4, 5000)), rng.random((1, 5000)), rng.random((1, 5000))
    before = W.copy()
    want = W[1:3] - 0.013 * (np.array([[-0.731], [0.52]]) * x[0])
    dots = fl.step_pair_plain(W, 1, x, -0.731, 0.52, 0.013, x_next)
    step = np.abs(0.013 * (np.array([[-0.731], [0.52]]) * x[0]))
    # two products rounded in another order (each side within 2**-52 of the exact step), then
    # each side's subtraction rounded: far below the 1e-12 the epochs are held to
    assert (np.abs(W[1:3] - want) <= 2.0 ** -51 * step + 2.0 ** -52 * np.abs(want)).all()
    np.testing.assert_allclose(dots, want @ x_next[0], rtol=1e-13)
    np.testing.assert_array_equal(W[[0, 3]], before[[0, 3]])  # the other rows untouched


@pytest.mark.parametrize("k", [3, 4])
def test_logistic_without_l2_pairs_rows_of_any_class_count(k, seed):
    X, y = pixel_data(seed, k=k)
    orders = [np.random.default_rng(seed).permutation(len(y)) for _ in range(2)]
    ref, ref_losses = run_epochs("logistic", X, y, "numpy", orders, k)
    fast, fast_losses, _ = run_prepared("logistic", X, y, "numba", orders, k)
    assert_same_params(fast, ref)
    np.testing.assert_allclose(fast_losses, ref_losses, rtol=1e-12)


def test_protocol_prepares_once_per_run(seed, tmp_path, monkeypatch):
    from dlhw.data.dataset import Dataset
    from dlhw.training.protocol import train

    X, y = pixel_data(seed, n=120)
    ds = Dataset("toy", train=(X, y), dev=(X[:40], y[:40]), test=(X[:40], y[:40]), n_classes=4)
    calls, used = [], []
    real_source = fl.source
    monkeypatch.setattr(fl, "source", lambda X, dtype,
                        enc=None: used.append(enc is not None and enc.source is X)
                        or real_source(X, dtype, enc))
    model, lr = build("logistic_l2", X.shape[1], 4)
    real_prepare = model.prepare
    monkeypatch.setattr(model, "prepare", lambda *a: calls.append(1) or real_prepare(*a))
    fast = train(model, ds, epochs=3, learning_rate=lr, seed=seed, out_dir=tmp_path / "fast")
    ref_model, _ = build("logistic_l2", X.shape[1], 4)
    ref = train(ref_model, ds, epochs=3, learning_rate=lr, seed=seed, out_dir=tmp_path / "ref",
                kernel="numpy")
    # encoded once, used by the compile warm-up (its timing, protocol.warm_up) and by every epoch
    assert calls == [1] and used == [True] * (1 + 3)
    np.testing.assert_allclose(fast.history.metrics["train_loss"], ref.history.metrics["train_loss"],
                               rtol=1e-12)


# ---- rows kept as pixels (dlhw.data.pixels.PixelRows): same training, no float copy -------------
def pixel_rows(seed: int, n: int = 150):
    """``pixel_data`` as float rows and as the same rows kept as pixels (bias column included)."""
    from dlhw.data.pixels import PixelRows

    X, y = pixel_data(seed, n=n)
    rows = PixelRows.from_pixels((X[:, :-1] * 256).astype(np.uint8), bias=True)
    return X, rows, y


@pytest.mark.parametrize("name", ENCODED)
def test_pixel_rows_train_like_float_rows_without_making_floats(name, seed):
    X, rows, y = pixel_rows(seed)
    rng = np.random.default_rng(seed + 1)
    orders = [rng.permutation(len(y)) for _ in range(3)]
    floats, float_losses, _ = run_prepared(name, X, y, "numba", orders, 4)
    pix, pix_losses, prepared = run_prepared(name, rows, y, "numba", orders, 4)
    assert prepared.source is rows and prepared.codes is rows.codes  # the pixels are the encoding
    for k, want in floats.state_dict().items():
        np.testing.assert_array_equal(pix.state_dict()[k], want)  # the same decoded values
    assert pix_losses == float_losses
    evaluation = pix.prepare_eval(rows)
    assert evaluation.source is rows
    assert pix.evaluate(rows, y, evaluation) == floats.evaluate(X, y)
    assert "array" not in vars(rows)  # no float copy was ever made


def test_pixel_rows_on_the_reference_and_without_preparation(seed):
    X, rows, y = pixel_rows(seed)
    order = np.random.default_rng(seed).permutation(len(y))
    ref, ref_losses = run_epochs("logistic_l2", X, y, "numpy", [order], 4)
    pix, pix_losses = run_epochs("logistic_l2", rows, y, "numpy", [order], 4)
    assert_same_params(pix, ref, rtol=0)
    bare, _ = run_epochs("perceptron", rows, y, "numba", [order], 4)  # no prepared: reads floats
    want, _ = run_epochs("perceptron", X, y, "numpy", [order], 4)
    assert_same_params(bare, want, rtol=0)
    assert np.array_equal(pix.predict(rows), ref.predict(X))


def test_encoding_bounds_come_from_the_codes(seed):
    X, rows, _ = pixel_rows(seed)
    assert fl.encode(rows).x_max == X.max() == fl.encode(X).x_max
    np.testing.assert_array_equal(fl.encode(rows).row_norm, fl.encode(X).row_norm)


def test_pixel_rows_of_the_wrong_width_are_refused(seed):
    from dlhw.errors import ShapeError

    _, rows, y = pixel_rows(seed)
    model, lr = build("perceptron", rows.shape[1] + 1, 4)
    with pytest.raises(ShapeError, match="expected"):
        model.train_epoch(rows, y, lr)
    with pytest.raises(ShapeError, match="expected"):
        model.evaluate(rows, y)

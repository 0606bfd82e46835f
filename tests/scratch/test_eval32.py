"""The float32 per-epoch evaluation makes exactly the float64 reference's predictions.

:mod:`dlhw.scratch._eval32` certifies each row's arg-max from float32 scores and a rounding
bound, and leaves the uncertain rows (every tie) to the float64 reference. Checked here: equal
predictions on real data after training, on constructed ties and near-ties, outside the safe
range, and that the bound really bounds the float32 error.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.scratch import make_model
from dlhw.scratch._eval32 import (
    CodedRows,
    Rows32,
    certain_argmax,
    coded_rows,
    linear_predict,
    linear_predict_codes,
    mlp_predict,
    rows32,
    rows32_reference,
)
from dlhw.training.protocol import epoch_order


def _trained(kind: str, data, **config):
    model = make_model(kind, n_classes=data.n_classes, n_features=data.n_features, **config)
    X, y = data.train
    for epoch in (1, 2):
        model.train_epoch(X, y, 0.01, order=epoch_order(0, epoch, len(y)))
    return model


@pytest.mark.parametrize("kind, config", [("perceptron", {}), ("logistic_regression", {"l2": 0.0}),
                                          ("mlp", {"hidden_size": 32, "seed": 1})])
def test_predictions_equal_the_reference_on_fashion(fashion_small, kind, config):
    model = _trained(kind, fashion_small, **config)
    for X, y in fashion_small.splits().values():
        prepared = model.prepare_eval(X)
        if kind == "mlp":
            assert isinstance(prepared, Rows32) and prepared.x32.dtype == np.float32
        else:  # the linear classifiers score the pixels' uint8 codes
            assert isinstance(prepared, CodedRows) and prepared.enc.codes.dtype == np.uint8
        np.testing.assert_array_equal(model._predict_prepared(prepared), model._predict(X))
        assert model.evaluate(X, y, prepared=prepared) == model.evaluate(X, y)


def test_a_prepared_view_of_other_rows_is_not_used(fashion_small):
    model = _trained("perceptron", fashion_small)
    X, y = fashion_small.dev
    other = model.prepare_eval(fashion_small.test[0])
    assert model.evaluate(X, y, prepared=other) == model.evaluate(X, y)


def test_ties_and_near_ties_go_to_the_reference(rng):
    X = np.floor(rng.uniform(0, 256, size=(500, 40))) / 256  # dyadic, like pixels
    rows = rows32(X)
    W = rng.normal(size=(4, 40))
    W[1] = W[0]  # class 0 and 1 tie exactly on every row: the reference picks 0
    W[2] = W[0] * (1 + 2.0**-40)  # beats class 0 by a hair where the score is positive
    pred = linear_predict(W, rows)
    np.testing.assert_array_equal(pred, (X @ W.T).argmax(axis=1))
    scores = rows.x32 @ W.astype(np.float32).T  # classes 0, 1, 2 score the same in float32
    _, unsure = certain_argmax(scores, np.full(scores.shape, 1e-30))
    top3 = np.flatnonzero((X @ W.T).argmax(axis=1) < 3)
    assert top3.size > 10 and np.isin(top3, unsure).all()  # all of them left to float64


def test_mlp_near_ties_go_to_the_reference(rng):
    X = np.floor(rng.uniform(0, 256, size=(400, 30))) / 256
    W1, b1 = rng.normal(size=(16, 30)), rng.normal(size=16)
    W2, b2 = rng.normal(size=(3, 16)), np.zeros(3)
    W2[1] = W2[0] * (1 + 2.0**-45)
    b2[2] = 1e-300  # below float32's range: the whole prediction falls back to the reference

    def reference(X):
        return (np.maximum(X @ W1.T + b1, 0) @ W2.T + b2).argmax(axis=1)

    np.testing.assert_array_equal(mlp_predict(W1, b1, W2, b2, rows32(X), reference), reference(X))
    b2[2] = 0.0
    np.testing.assert_array_equal(mlp_predict(W1, b1, W2, b2, rows32(X), reference), reference(X))


def test_the_bound_covers_the_float32_error(rng):
    X = np.floor(rng.uniform(0, 256, size=(2000, 785))) / 256 * (rng.uniform(size=(2000, 785)) < 0.5)
    W = rng.normal(scale=30.0, size=(10, 785))
    rows = rows32(X)
    scores32 = (rows.x32 @ W.astype(np.float32).T).astype(np.float64)
    exact = X.astype(np.longdouble) @ W.T.astype(np.longdouble)
    slack = (785 + 2) * 2.0**-24 * np.outer(rows.norm, np.linalg.norm(W, axis=1))
    err = np.abs(scores32 - exact).astype(np.float64)
    assert (err <= slack).all()
    assert err.max() > slack.max() * 1e-4  # the bound is not vacuous by orders of magnitude


def test_rows_without_an_exact_float32_copy_use_the_reference(rng):
    X = rng.uniform(size=(50, 8)) / 3  # not representable in float32
    assert rows32(X) is None
    model = make_model("perceptron", n_classes=3, n_features=8)
    assert model.prepare_eval(X) is None
    model.W = rng.normal(size=(3, 8))
    y = rng.integers(0, 3, size=50)
    assert model.evaluate(X, y, prepared=model.prepare_eval(X)) == model.evaluate(X, y)


def _inputs(rng):
    """Arrays with and without an exact float32 view (name, X)."""
    pixels = np.floor(rng.uniform(0, 256, size=(300, 20))) / 256
    yield "pixels", pixels
    yield "pixels with bias", np.hstack([pixels, np.ones((300, 1))])
    yield "float32 input", pixels.astype(np.float32)
    yield "negative", pixels - 0.5
    yield "a column slice", pixels[:, ::2]
    yield "not dyadic", pixels / 3
    for bad in (np.nan, np.inf, -np.inf, 2.0**31, 2.0**-31, 2.0**-140):
        X = pixels.copy()
        X[123, 7] = bad
        yield f"one entry {bad}", X


def test_the_one_pass_rows32_is_the_numpy_reference(rng):
    for name, X in _inputs(rng):
        fast, ref = rows32(X), rows32_reference(X)
        assert (fast is None) == (ref is None), name
        if ref is None:
            continue
        np.testing.assert_array_equal(fast.x32, ref.x32, err_msg=name)
        assert fast.x32.dtype == np.float32 and fast.source is X
        np.testing.assert_allclose(fast.norm, ref.norm, rtol=1e-6, err_msg=name)  # float32 sums
        exact = np.sqrt((X.astype(np.longdouble) ** 2).sum(axis=1)).astype(np.float64)
        assert (fast.norm >= exact).all(), name  # still upper bounds


def test_codes_scoring_makes_the_references_decisions_on_ties_and_near_ties(rng):
    X = np.floor(rng.uniform(0, 256, size=(3000, 40))) / 256 * (rng.uniform(size=(3000, 40)) < 0.6)
    X[:, -1] = 1.0  # a bias column: code 128, its own scale
    rows = coded_rows(X)
    assert rows is not None and rows.enc.codes.dtype == np.uint8
    W = rng.normal(size=(5, 40))
    W[1] = W[0]  # exact ties on every row: the reference picks class 0
    W[2] = W[0] * (1 + 2.0**-40)  # a hair above class 0 where the score is positive
    np.testing.assert_array_equal(linear_predict_codes(W, rows), (X @ W.T).argmax(axis=1))
    for scale in (1e-6, 1.0, 1e3, 1e6):  # perceptron-like integer weights and tiny ones
        W = np.round(rng.normal(scale=scale, size=(10, 40)) * 256) / 256
        np.testing.assert_array_equal(linear_predict_codes(W, rows), (X @ W.T).argmax(axis=1))
    odd, W9 = X[:2999], W[:9]  # rows and classes are scored in pairs: odd counts too
    np.testing.assert_array_equal(linear_predict_codes(W9, coded_rows(odd)), (odd @ W9.T).argmax(axis=1))
    W = rng.normal(size=(10, 40))
    W[3, 5] = 2.0**40  # outside the certified range: the float64 reference scores every row
    np.testing.assert_array_equal(linear_predict_codes(W, rows), (X @ W.T).argmax(axis=1))


def test_codes_scoring_leaves_few_rows_to_the_reference(fashion_small, monkeypatch):
    """The certificate is not vacuous: on trained weights almost every row is decided in float32."""
    from dlhw.scratch import _fast_linear as fl

    model = _trained("logistic_regression", fashion_small, l2=0.0)
    X = fashion_small.train[0]
    counts = []
    real = fl.certified_argmax
    monkeypatch.setattr(fl, "certified_argmax", lambda *a: counts.append(real(*a)) or counts[-1])
    pred = linear_predict_codes(model.W, coded_rows(X))
    np.testing.assert_array_equal(pred, model._predict(X))
    assert counts and counts[0] < 0.01 * len(X)


def test_codes_are_reused_from_the_training_encoding(fashion_small):
    model = _trained("perceptron", fashion_small)
    X = fashion_small.train[0]
    enc = model.prepare(X, "numba")
    assert model.prepare_eval(X, reuse=enc).enc is enc
    assert model.prepare_eval(fashion_small.dev[0], reuse=enc).enc is not enc  # not its rows


def test_rows_without_codes_fall_back_to_float32_then_float64(rng):
    model = make_model("logistic_regression", n_classes=3, n_features=8)
    model.W = rng.normal(size=(3, 8))
    y = rng.integers(0, 3, size=50)
    negative = np.floor(rng.uniform(-256, 256, size=(50, 8))) / 256  # exact in float32, no codes
    assert isinstance(model.prepare_eval(negative), Rows32)
    assert model.evaluate(negative, y, prepared=model.prepare_eval(negative)) == model.evaluate(negative, y)

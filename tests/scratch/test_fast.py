"""The compiled (numba) epoch equals the numpy reference, repeats bit for bit, and passes through.

Equality is "to 1e-12 relative" in float64: elementwise ``rtol=1e-12`` with an absolute floor of
1e-12 times the largest weight (a weight that cancels to ~0 cannot keep 12 relative digits under
any change of summation order, and the reference's BLAS picks its own order).
"""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.data.dataset import Dataset
from dlhw.errors import ConfigError
from dlhw.scratch import KERNELS, LogisticRegression
from dlhw.testing.twins import (
    CASES,
    RTOL,
    assert_same_params,
    run_epochs,
    sparse_data,
    targets,
)


@pytest.mark.parametrize("name", list(CASES))
def test_fast_equals_reference_on_sparse_random_data(name, seed):
    X, labels, real = sparse_data(seed)
    y = targets(name, labels, real)
    rng = np.random.default_rng(seed + 1)
    orders = [rng.permutation(len(y)) for _ in range(3)] + [rng.integers(0, len(y), size=50)]
    ref, ref_losses = run_epochs(name, X, y, "numpy", orders, 4)
    fast, fast_losses = run_epochs(name, X, y, "numba", orders, 4)
    assert_same_params(fast, ref)
    np.testing.assert_allclose(fast_losses, ref_losses, rtol=RTOL)


@pytest.mark.parametrize("name", ["perceptron", "logistic_l2", "mlp", "linear_regression", "nn"])
def test_fast_equals_reference_on_fashion(name, fashion_small):
    X, labels = fashion_small.train[0][:300], fashion_small.train[1][:300]
    if CASES[name][0] in ("perceptron", "logistic_regression", "linear_regression"):
        X = np.hstack([X, np.ones((len(X), 1))])  # the linear models' bias column
    y = targets(name, labels, labels.astype(np.float64) / 9.0)
    orders = [np.random.default_rng([7, e]).permutation(len(y)) for e in range(2)]
    ref, ref_losses = run_epochs(name, X, y, "numpy", orders, fashion_small.n_classes)
    fast, fast_losses = run_epochs(name, X, y, "numba", orders, fashion_small.n_classes)
    assert_same_params(fast, ref)
    np.testing.assert_allclose(fast_losses, ref_losses, rtol=RTOL)


@pytest.mark.parametrize("name", ["perceptron", "logistic_l2", "mlp", "linear_regression", "nn"])
def test_float32_path_is_float32_accurate(name, seed):
    X, labels, real = sparse_data(seed)
    y = targets(name, labels, real)
    orders = [np.random.default_rng(seed).permutation(len(y))]
    ref, ref_losses = run_epochs(name, X, y, "numpy", orders, 4)
    fast, fast_losses = run_epochs(name, X, y, "numba32", orders, 4)
    assert_same_params(fast, ref, rtol=1e-4)
    np.testing.assert_allclose(fast_losses, ref_losses, rtol=1e-4)
    assert all(v.dtype == np.float64 for v in fast.state_dict().values())  # the model stays float64


@pytest.mark.parametrize("kernel", ["numba", "numba32"])
@pytest.mark.parametrize("name", ["logistic_l2", "mlp", "nn"])
def test_fast_path_repeats_bit_for_bit(name, kernel, seed):
    X, labels, real = sparse_data(seed)
    y = targets(name, labels, real)
    orders = [np.random.default_rng(seed).permutation(len(y)) for _ in range(2)]
    a, loss_a = run_epochs(name, X, y, kernel, orders, 4)
    b, loss_b = run_epochs(name, X, y, kernel, orders, 4)
    assert loss_a == loss_b
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(v, b.state_dict()[k])


def test_numba_is_the_default_and_updates_in_place(seed):
    X, y, _ = sparse_data(seed)
    a, b = LogisticRegression(4, X.shape[1], l2=0.01), LogisticRegression(4, X.shape[1], l2=0.01)
    W = a.W
    assert KERNELS[0] == "numba"
    assert a.train_epoch(X, y, 0.1) == b.train_epoch(X, y, 0.1, kernel="numba")
    assert a.W is W  # the parameter array keeps its identity, as in the reference
    np.testing.assert_array_equal(a.W, b.W)


def test_protocol_passes_the_backend_through(tmp_path, seed):
    X, y, _ = sparse_data(seed, n=120)
    data = Dataset(name="sparse", train=(X[:80], y[:80]), dev=(X[80:100], y[80:100]),
                   test=(X[100:], y[100:]), n_classes=4)
    from dlhw.training.protocol import train

    models = {}
    for kernel in ("numpy", "numba", "numba32"):
        models[kernel] = LogisticRegression(4, X.shape[1], l2=0.01)
        res = train(models[kernel], data, epochs=2, learning_rate=0.1, seed=seed,
                    out_dir=tmp_path / kernel, kernel=kernel)
        assert res.history.epochs == 2
    assert_same_params(models["numba"], models["numpy"])
    assert not np.array_equal(models["numba32"].W, models["numba"].W)  # float32 really ran


def test_fast_path_reports_divergence_like_the_reference(seed):
    X, y, _ = sparse_data(seed)
    for kernel in ("numpy", "numba"):
        m = LogisticRegression(4, X.shape[1])
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(3):
                loss = m.train_epoch(1e154 * X, y, 10.0, kernel=kernel)
        assert not (np.isfinite(loss) and m.params_finite()), kernel


def test_models_without_a_kernel_are_refused():
    class Custom(LogisticRegression):
        def loss_and_grads(self, x_i, y_i):  # another step: the parent's kernel no longer applies
            return super().loss_and_grads(x_i, y_i)

    class Same(LogisticRegression):
        pass

    X, y = np.ones((2, 3)), np.array([0, 1])
    a, b = Same(2, 3), LogisticRegression(2, 3)
    assert a.train_epoch(X, y, kernel="numba") == b.train_epoch(X, y, kernel="numba")
    m = Custom(2, 3)
    with pytest.raises(ConfigError, match="kernel='numpy'"):
        m.train_epoch(np.ones((2, 3)), np.array([0, 1]), kernel="numba")
    m.train_epoch(np.ones((2, 3)), np.array([0, 1]), kernel="numpy")  # the reference still works


def test_the_old_backend_spelling_still_works_with_a_deprecation_warning(tmp_path, seed):
    from dlhw import scratch

    X, y, _ = sparse_data(seed)
    a, b = LogisticRegression(4, X.shape[1]), LogisticRegression(4, X.shape[1])
    with pytest.warns(DeprecationWarning, match="use kernel="):
        loss_old = a.train_epoch(X, y, 0.1, backend="numpy")
    assert loss_old == b.train_epoch(X, y, 0.1, kernel="numpy")
    with pytest.raises(ConfigError, match="disagree"), pytest.warns(DeprecationWarning):
        a.train_epoch(X, y, 0.1, kernel="numba", backend="numpy")
    with pytest.warns(DeprecationWarning, match="KERNELS"):
        assert scratch.BACKENDS == scratch.KERNELS


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_hidden_step_is_update_then_forward_bit_for_bit(dtype, seed):
    """:func:`hidden_backward_forward` (one pass over the rows either example touches) equals
    :func:`hidden_backward` for one example followed by :func:`hidden_forward` for the next."""
    from dlhw.scratch._kernels import (
        gather,
        hidden_backward,
        hidden_backward_forward,
        hidden_forward,
        union_rows,
    )

    rng = np.random.default_rng(seed)
    D, H = 40, 9
    X = (rng.normal(size=(2, D)) * (rng.random((2, D)) < 0.4)).astype(dtype)
    X[:, 3] = 0.0  # a column neither example has
    W1T, b1 = rng.normal(size=(D, H)).astype(dtype), rng.normal(size=H).astype(dtype)
    a = rng.normal(size=H).astype(dtype)  # the first example's pre-activations (some <= 0)
    dh = rng.normal(size=H).astype(dtype)
    lr = dtype(0.03)

    W_ref, b_ref, dh_ref = W1T.copy(), b1.copy(), dh.copy()
    idx, val, ones = np.empty(D, np.int64), np.empty(D, dtype), np.ones(D, dtype)  # X read as itself
    hidden_backward(W_ref, b_ref, idx, val, gather(X, 0, ones, idx, val), a, dh_ref, lr)
    a_ref, h_ref = np.empty(H, dtype), np.empty((1, H), dtype)
    hidden_forward(W_ref, b_ref, idx, val, gather(X, 1, ones, idx, val), a_ref, h_ref)

    v0, v1 = np.empty(D, dtype), np.empty(D, dtype)
    n = union_rows(X, 0, 1, ones, idx, v0, v1)
    assert list(idx[:n]) == [j for j in range(D) if X[0, j] != 0 or X[1, j] != 0]
    a_next, h_next = np.empty(H, dtype), np.empty((1, H), dtype)
    hidden_backward_forward(W1T, b1, idx, v0, v1, n, a, dh, lr, a_next, h_next)
    for got, want in ((W1T, W_ref), (b1, b_ref), (dh, dh_ref), (a_next, a_ref), (h_next, h_ref)):
        np.testing.assert_array_equal(got, want)

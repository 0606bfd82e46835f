"""hw2122.q2.1, q2.2a and q3.2a: the derivations of answers/hw2122/q2_1, q2_2a and q3_2a.typ."""

from __future__ import annotations

import numpy as np

from dlhw.answers import formulas as F
from dlhw.testing.gradcheck import numerical_grad, numerical_jacobian


def test_squared_error_gradient_and_hessian(rng):
    z, y = rng.normal(size=5), rng.normal(size=5)
    fd = numerical_grad(lambda x: F.squared_error_loss(x, y), z)
    assert np.max(np.abs(F.squared_error_gradient(z, y) - fd)) < 1e-8
    fd_h = numerical_jacobian(lambda x: F.squared_error_gradient(x, y), z)
    assert np.allclose(F.squared_error_hessian(5), fd_h)
    assert not np.allclose(2 * F.squared_error_hessian(5), fd_h)  # a factor error is caught


def test_squared_error_is_convex_in_params(rng):
    D, K = 6, 3
    for _ in range(200):
        phi, y = rng.normal(size=D), rng.normal(size=K)
        a = {"W": rng.normal(scale=3, size=(D, K)), "b": rng.normal(size=K)}
        b = {"W": rng.normal(scale=3, size=(D, K)), "b": rng.normal(size=K)}
        loss = lambda p: F.squared_error_loss(p["W"].T @ phi + p["b"], y)  # noqa: E731 (z = W^T phi + b)
        assert F.midpoint_gap(loss, a, b, mix=F.mix_params) >= -1e-10


def test_squared_error_param_hessian_is_A_transpose_A(rng):
    D, K = 4, 3
    phi, y = rng.normal(size=D), rng.normal(size=K)
    A = F.linear_model_jacobian(phi, K)  # theta = (V = W^T row by row, b)
    loss = lambda t: F.squared_error_loss(A @ t, y)  # noqa: E731
    theta = rng.normal(size=K * D + K)
    fd_h = numerical_jacobian(lambda t: numerical_grad(loss, t.copy(), eps=1e-5), theta, eps=1e-4)
    H = F.linear_model_param_hessian(phi, F.squared_error_hessian(K))
    assert np.max(np.abs(H - fd_h)) < 1e-5
    assert np.allclose(H, A.T @ A) and np.linalg.eigvalsh(H).min() > -1e-12
    # the substitution V = W^T of the text: the same z
    V, b = theta[: K * D].reshape(K, D), theta[K * D:]
    W = V.T  # (D, K), the text's shape
    assert np.allclose(A @ theta, W.T @ phi + b)


def _least_squares_problem(rng, n=60, d=8):
    X = np.hstack([rng.normal(size=(n, d - 1)), np.ones((n, 1))])  # a bias column, as in Ames
    y = X @ rng.normal(size=d) + rng.normal(scale=0.5, size=n)
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    return X, y, w_star


def test_least_squares_training_error_identity(rng):
    X, y, w_star = _least_squares_problem(rng)
    mse = lambda w: float(np.mean((X @ w - y) ** 2))  # noqa: E731
    for _ in range(20):
        w = w_star + rng.normal(scale=rng.uniform(0.01, 3), size=w_star.size)
        assert np.isclose(mse(w) - mse(w_star), F.least_squares_excess_mse(X, w, w_star), rtol=1e-9,
                          atol=1e-12)
        assert mse(w) >= mse(w_star)
    # the identity needs w* to solve the normal equations: with another w* it fails
    w_bad = w_star + 0.3
    w = w_star + rng.normal(size=w_star.size)
    assert not np.isclose(mse(w) - mse(w_bad), F.least_squares_excess_mse(X, w, w_bad), rtol=1e-3)


def test_least_squares_is_not_the_test_error_minimiser(rng):
    X, y, w_star = _least_squares_problem(rng, n=30, d=12)
    X_test, y_test, _ = _least_squares_problem(rng, n=500, d=12)
    test_mse = lambda w: float(np.mean((X_test @ w - y_test) ** 2))  # noqa: E731
    g = 2 * X_test.T @ (X_test @ w_star - y_test) / X_test.shape[0]  # test-error gradient at w*
    assert np.linalg.norm(g) > 1e-3  # w* is not a stationary point of the test error ...
    assert test_mse(w_star - 1e-3 * g) < test_mse(w_star)  # ... so a nearby w beats it on test data
    train_mse = lambda w: float(np.mean((X @ w - y) ** 2))  # noqa: E731
    assert train_mse(w_star - 1e-3 * g) > train_mse(w_star)  # while being worse on training data


def test_linear_activation_mlp_collapses_to_linear_model(rng):
    W1, b1 = rng.normal(size=(7, 5)), rng.normal(size=7)
    W2, b2 = rng.normal(size=(3, 7)), rng.normal(size=3)
    W, b = F.collapse_linear_mlp(W1, b1, W2, b2)
    assert W.shape == (3, 5) and b.shape == (3,)
    for _ in range(10):
        x = rng.normal(size=5)
        assert np.allclose(W2 @ (W1 @ x + b1) + b2, W @ x + b)
    # with relu the same collapse is wrong (relu is not linear), so the check can fail
    x = rng.normal(size=(200, 5))
    relu_net = np.maximum(x @ W1.T + b1, 0) @ W2.T + b2
    assert not np.allclose(relu_net, x @ W.T + b)


XOR_X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])


def test_relu_network_computes_xor():
    assert np.array_equal(F.xor_relu_network(XOR_X), XOR_Y)


def test_no_linear_classifier_separates_xor(rng):
    w, c = rng.normal(scale=5, size=(200_000, 2)), rng.normal(scale=5, size=200_000)
    pred = (XOR_X @ w.T + c) > 0  # (4, M): each column one linear classifier
    errors = np.sum(pred != XOR_Y[:, None].astype(bool), axis=0)
    assert errors.min() >= 1
    # the same check accepts a separable labelling (AND), so it can fail
    and_y = np.array([False, False, False, True])
    assert np.sum(pred != and_y[:, None], axis=0).min() == 0

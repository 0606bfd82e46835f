"""hw2122.q1.1-1.5: each derivation of answers/hw2122/q1_*.typ, checked numerically.

Every check is also run on a deliberately wrong variant of the formula, which it must reject.
"""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.activations import softmax, softmax_jacobian
from dlhw.answers import formulas as F
from dlhw.errors import ConfigError
from dlhw.testing.gradcheck import numerical_grad, numerical_jacobian, rel_error

Z_GRID = np.linspace(-12.0, 12.0, 97)


def _fd_scalar(f, z: np.ndarray) -> np.ndarray:
    """Central differences of an elementwise scalar function on a grid."""
    return np.array([numerical_grad(lambda x: float(f(x[0])), np.array([zi]))[0] for zi in z])


def _max_abs(a: np.ndarray, b: np.ndarray) -> float:
    """Largest absolute difference: finite differences of values near 1 lose relative precision."""
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def test_sigmoid_derivative():
    fd = _fd_scalar(F.sigmoid, Z_GRID)
    assert _max_abs(F.sigmoid_derivative(Z_GRID), fd) < 1e-8
    s = F.sigmoid(Z_GRID)
    assert _max_abs(s * (1 + s), fd) > 0.1  # a wrong formula is rejected


def test_sigmoid_is_stable_for_large_inputs():
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        s = F.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    assert np.array_equal(s, [0.0, 0.5, 1.0])


def test_binary_logistic_loss_derivatives():
    loss = lambda z: float(F.binary_logistic_loss(z, y=1))  # noqa: E731
    d1 = F.binary_logistic_loss_derivative(Z_GRID)
    assert _max_abs(d1, _fd_scalar(loss, Z_GRID)) < 1e-8
    d2 = F.binary_logistic_loss_second_derivative(Z_GRID)
    assert _max_abs(d2, _fd_scalar(F.binary_logistic_loss_derivative, Z_GRID)) < 1e-8
    # the text's closed forms, term by term
    assert np.allclose(d1, -(1 - F.sigmoid(Z_GRID)))
    assert np.allclose(d2, F.sigmoid(Z_GRID) * (1 - F.sigmoid(Z_GRID)))
    # a sign error in L' is caught by the same check
    assert _max_abs(1 - F.sigmoid(Z_GRID), _fd_scalar(loss, Z_GRID)) > 0.5


def test_binary_logistic_loss_signs_and_convexity(rng):
    assert np.all(F.binary_logistic_loss_derivative(Z_GRID) < 0)  # L decreasing in z
    assert np.all(F.binary_logistic_loss_second_derivative(Z_GRID) > 0)  # strictly convex
    a, b = rng.normal(scale=5, size=(2, 1000))
    gaps = 0.5 * (F.binary_logistic_loss(a) + F.binary_logistic_loss(b)) - F.binary_logistic_loss((a + b) / 2)
    assert np.all(gaps >= -1e-12)
    # the two forms of (1) in the text agree: -(1+y)/2 log s - (1-y)/2 log(1-s)
    for y in (-1, 1):
        s = F.sigmoid(Z_GRID[np.abs(Z_GRID) < 10])
        text = -(1 + y) / 2 * np.log(s) - (1 - y) / 2 * np.log(1 - s)
        assert np.allclose(F.binary_logistic_loss(Z_GRID[np.abs(Z_GRID) < 10], y=y), text)


def test_binary_logistic_loss_rejects_bad_label():
    with pytest.raises(ConfigError, match="-1 or \\+1"):
        F.binary_logistic_loss(0.0, y=0)


@pytest.mark.parametrize("K", [2, 3, 7])
def test_softmax_jacobian(rng, K):
    for _ in range(5):
        z = rng.normal(scale=2, size=K)
        fd = numerical_jacobian(softmax, z)
        J = softmax_jacobian(z)
        p = softmax(z)
        assert rel_error(J, fd) < 1e-7
        assert np.allclose(J, np.diag(p) - np.outer(p, p))  # the formula of q1_3.typ
        assert rel_error(np.diag(p) + np.outer(p, p), fd) > 0.1  # wrong sign rejected


@pytest.mark.parametrize("K", [2, 4, 10])
def test_multinomial_logistic_gradient_and_hessian(rng, K):
    for _ in range(5):
        z, y = rng.normal(scale=3, size=K), int(rng.integers(K))
        g = F.multinomial_logistic_gradient(z, y)
        fd = numerical_grad(lambda x: F.multinomial_logistic_loss(x, y), z)
        assert _max_abs(g, fd) < 1e-8
        H = F.multinomial_logistic_hessian(z)
        fd_h = numerical_jacobian(lambda x: F.multinomial_logistic_gradient(x, y), z)
        assert np.max(np.abs(H - fd_h)) < 1e-8
        wrong = g + np.eye(K)[y] * 2  # e_y - p instead of p - e_y: rejected
        assert rel_error(wrong, fd) > 0.1


@pytest.mark.parametrize("K", [2, 5, 26])
def test_multinomial_logistic_hessian_psd_with_null_direction_ones(rng, K):
    ones = np.ones(K)
    for _ in range(20):
        z = rng.normal(scale=4, size=K)
        H, p = F.multinomial_logistic_hessian(z), softmax(z)
        v = rng.normal(size=K)
        # the identity of the proof: v^T H v = sum_j p_j v_j^2 - (p . v)^2 = Var_p(v) >= 0
        assert np.isclose(v @ H @ v, p @ v**2 - (p @ v) ** 2)
        eig = np.linalg.eigvalsh(H)
        assert eig.min() > -1e-12
        assert np.allclose(H @ ones, 0, atol=1e-12)  # null direction: the all-ones vector
        # ... and the only one: positive curvature on the complement of span(1)
        assert np.sort(eig)[1] > 0
        y = int(rng.integers(K))
        assert np.isclose(F.multinomial_logistic_loss(z + 3.7 * ones, y), F.multinomial_logistic_loss(z, y))


def _random_linear_params(rng, K: int, D: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(scale=2, size=(K, D)), rng.normal(scale=2, size=K)


def test_linear_model_loss_is_convex_in_params(rng):
    K, D = 4, 6
    for _ in range(200):
        phi, y = rng.normal(size=D), int(rng.integers(K))
        (W1, b1), (W2, b2) = _random_linear_params(rng, K, D), _random_linear_params(rng, K, D)
        loss = lambda p: F.multinomial_logistic_loss(p["W"] @ phi + p["b"], y)  # noqa: E731
        gap = F.midpoint_gap(loss, {"W": W1, "b": b1}, {"W": W2, "b": b2}, mix=F.mix_params)
        assert gap >= -1e-12


def test_linear_model_param_hessian_is_psd(rng):
    K, D = 3, 4
    phi, y = rng.normal(size=D), 1
    A = F.linear_model_jacobian(phi, K)
    theta = rng.normal(size=K * D + K)
    W, b = theta[: K * D].reshape(K, D), theta[K * D:]
    assert np.allclose(A @ theta, W @ phi + b)  # z = A theta: the model is linear in theta
    loss = lambda t: F.multinomial_logistic_loss(A @ t, y)  # noqa: E731
    fd_h = numerical_jacobian(lambda t: numerical_grad(loss, t.copy(), eps=1e-5), theta, eps=1e-4)
    H = F.linear_model_param_hessian(phi, F.multinomial_logistic_hessian(A @ theta))
    assert np.max(np.abs(H - fd_h)) < 1e-5
    assert np.linalg.eigvalsh(H).min() > -1e-12


def test_one_hidden_layer_network_is_not_convex_in_params():
    theta, theta_p, x, y = F.nonconvex_counterexample(c=2.0)
    loss = lambda p: F.multinomial_logistic_loss(F.one_hidden_layer_logits(p, x), y)  # noqa: E731
    # permuting hidden units changes the parameters but not the function
    assert not np.array_equal(theta["W1"], theta_p["W1"])
    assert np.allclose(F.one_hidden_layer_logits(theta, x), [2.0, 0.0])
    assert np.allclose(F.one_hidden_layer_logits(theta_p, x), [2.0, 0.0])
    assert np.isclose(loss(theta), np.log1p(np.exp(-2.0)))
    assert np.isclose(loss(theta_p), loss(theta))
    mid = F.mix_params(theta, theta_p)
    assert np.allclose(mid["W1"], 0.0)
    assert np.isclose(loss(mid), np.log(2.0))
    gap = F.midpoint_gap(loss, theta, theta_p, mix=F.mix_params)
    assert np.isclose(gap, np.log1p(np.exp(-2.0)) - np.log(2.0)) and gap < -0.5  # convexity fails
    # the product W2 W1 alone breaks convexity: with a linear activation the example still works
    linear = lambda p: F.multinomial_logistic_loss(p["W2"] @ (p["W1"] @ x + p["b1"]) + p["b2"], y)  # noqa: E731
    assert F.midpoint_gap(linear, theta, theta_p, mix=F.mix_params) < -0.5
    # the same holds for every c > 0 (the text's claim), e.g. a small one
    t2, t2p, x2, y2 = F.nonconvex_counterexample(c=0.1)
    assert F.midpoint_gap(lambda p: F.multinomial_logistic_loss(F.one_hidden_layer_logits(p, x2), y2),
                          t2, t2p, mix=F.mix_params) < 0

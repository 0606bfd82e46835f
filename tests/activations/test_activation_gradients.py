"""Every closed-form Jacobian, vector-Jacobian product and loss gradient against central differences
(float64, relative error < 1e-6, points at least 1e-3 away from every kink)."""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.activations import (
    cross_entropy,
    cross_entropy_grad,
    relumax,
    relumax_jacobian,
    relumax_loss,
    relumax_loss_grad,
    relumax_vjp,
    softmax,
    softmax_jacobian,
    softmax_vjp,
    sparsemax,
    sparsemax_jacobian,
    sparsemax_vjp,
)
from dlhw.testing.activation_oracles import (
    draw_away_from_kinks,
    relumax_smooth,
    sparsemax_smooth,
)
from dlhw.testing.gradcheck import numerical_grad, numerical_jacobian, rel_error

TOL = 1e-6
SIZES = (2, 3, 5, 8)


@pytest.mark.parametrize("k", SIZES)
def test_softmax_jacobian_matches_finite_differences(k, rng):
    z = 2.0 * rng.standard_normal(k)
    assert rel_error(softmax_jacobian(z), numerical_jacobian(softmax, z)) < TOL


@pytest.mark.parametrize("k", SIZES)
def test_sparsemax_jacobian_matches_finite_differences(k, rng):
    z = draw_away_from_kinks(rng, k, sparsemax_smooth, scale=0.5)
    J = sparsemax_jacobian(z)
    assert rel_error(J, numerical_jacobian(sparsemax, z)) < TOL
    assert np.abs(J).max() > 0 or (sparsemax(z) == 1).any()  # non-trivial unless one-hot


@pytest.mark.parametrize("b", [0.3, 1.0, 2.5])
@pytest.mark.parametrize("k", SIZES)
def test_relumax_jacobian_matches_finite_differences(k, b, rng):
    """Includes the max column: d max(z) / dz = e_k moves every numerator."""
    z = draw_away_from_kinks(rng, k, relumax_smooth(b))
    J = relumax_jacobian(z, b)
    assert rel_error(J, numerical_jacobian(lambda x: relumax(x, b), z)) < TOL


def test_relumax_jacobian_max_column_is_needed(rng):
    """Dropping the e_k term (treating max(z) as a constant) would fail the check above."""
    z = np.array([1.0, 0.7, 0.2, -0.5])
    fd = numerical_jacobian(lambda x: relumax(x, 1.0), z)
    p = relumax(z, 1.0)
    s = (p > 0).astype(float)
    no_max = (np.diag(s) - np.outer(p, s)) / (np.maximum(z - z.max() + 1.0, 0).sum())
    assert rel_error(no_max, fd) > 0.1
    assert rel_error(relumax_jacobian(z, 1.0), fd) < TOL


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_vjps_equal_v_times_jacobian(dim, rng):
    z = draw_away_from_kinks(rng, 12, lambda x: all(relumax_smooth(0.8)(r) and sparsemax_smooth(r)
                                                     for r in np.moveaxis(x.reshape(3, 4), dim, -1)))
    z = z.reshape(3, 4)
    v = rng.standard_normal(z.shape)
    cases = [(softmax_jacobian, lambda: softmax_vjp(softmax(z, dim), v, dim)),
             (sparsemax_jacobian, lambda: sparsemax_vjp(sparsemax(z, dim), v, dim)),
             (lambda x: relumax_jacobian(x, 0.8), lambda: relumax_vjp(z, v, 0.8, dim))]
    for jac, vjp in cases:
        zl, vl = np.moveaxis(z, dim, -1), np.moveaxis(v, dim, -1)
        expected = np.stack([vr @ jac(zr) for zr, vr in zip(zl, vl)])
        np.testing.assert_allclose(np.moveaxis(vjp(), dim, -1), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_grad_matches_finite_differences(reduction, rng):
    z = rng.standard_normal((4, 5))
    y = rng.integers(0, 5, size=4)
    loss = lambda x: np.sum(cross_entropy(x, y, reduction=reduction))  # noqa: E731
    assert rel_error(cross_entropy_grad(z, y, reduction=reduction), numerical_grad(loss, z.copy())) < TOL


def test_cross_entropy_single_vector_values():
    z = np.array([1.0, 2.0, 0.5])
    assert abs(cross_entropy(z, 1) - (-np.log(softmax(z)[1]))) < 1e-15
    np.testing.assert_allclose(cross_entropy_grad(z, 1), softmax(z) - [0, 1, 0], atol=1e-15)


@pytest.mark.parametrize("eps", [1e-3, 0.1])
@pytest.mark.parametrize("b", [0.5, 1.0, 3.0])
def test_relumax_loss_grad_matches_finite_differences(b, eps, rng):
    k = 6
    for y in range(k):  # targets inside and outside the support, and the argmax itself
        z = draw_away_from_kinks(rng, k, relumax_smooth(b))
        loss = lambda x: relumax_loss(x, y, b, eps)  # noqa: E731
        g = relumax_loss_grad(z, y, b, eps)
        assert rel_error(g, numerical_grad(loss, z.copy())) < TOL
        assert abs(g.sum()) < 1e-12  # shift invariance


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_relumax_loss_grad_batched(reduction, rng):
    b, eps = 1.5, 0.01
    z = np.stack([draw_away_from_kinks(rng, 4, relumax_smooth(b)) for _ in range(3)])  # (3, 4)
    y = np.array([0, 2, 3])
    loss = lambda x: np.sum(relumax_loss(x, y, b, eps, reduction=reduction))  # noqa: E731
    g = relumax_loss_grad(z, y, b, eps, reduction=reduction)
    assert g.shape == z.shape
    assert rel_error(g, numerical_grad(loss, z.copy())) < TOL


def test_relumax_loss_values():
    """L = -log((p_y + eps) / (1 + K eps)): log((1 + K eps) / (1 + eps)) at a one-hot hit,
    log((1 + K eps) / eps) at a miss."""
    z, eps = np.array([5.0, 0.0, -1.0]), 0.01
    assert abs(relumax_loss(z, 0, 1.0, eps) - np.log((1 + 3 * eps) / (1 + eps))) < 1e-15
    assert abs(relumax_loss(z, 2, 1.0, eps) - np.log((1 + 3 * eps) / eps)) < 1e-12
    np.testing.assert_array_equal(relumax_loss_grad(z, 2, 1.0, eps), 0.0)  # sparse output: no signal

"""Hypothesis properties behind hw2526.q3.1 and q3.2: simplex outputs, shift invariance, projection,
zero-temperature limits, relumax_b = sparsemax at b = max(z) - tau, Jacobian row/column sums."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlhw.activations import (
    orthant_projection_gap,
    relu,
    relumax,
    relumax_b_for_sparsemax,
    relumax_jacobian,
    simplex_projection_gap,
    softmax,
    softmax_jacobian,
    sparsemax,
    sparsemax_jacobian,
    sparsemax_threshold_bisect,
    sparsemax_threshold_sort,
)
from dlhw.testing.activation_oracles import (
    logits_and_dim,
    project_simplex_michelot,
    vector_pairs,
    vectors,
)

FAST = settings(max_examples=60, deadline=None)
B_VALUES = st.sampled_from([0.1, 0.5, 1.0, 2.0, 7.0])
MAPS = {
    "softmax": lambda z, b, dim=-1: softmax(z, dim=dim),
    "sparsemax": lambda z, b, dim=-1: sparsemax(z, dim=dim),
    "relumax": lambda z, b, dim=-1: relumax(z, b, dim=dim),
}
JACOBIANS = {
    "softmax": lambda z, b: softmax_jacobian(z),
    "sparsemax": lambda z, b: sparsemax_jacobian(z),
    "relumax": lambda z, b: relumax_jacobian(z, b),
}


@pytest.mark.parametrize("name", MAPS)
@FAST
@given(zd=logits_and_dim(), b=B_VALUES)
def test_output_on_simplex(name, zd, b):
    z, dim = zd
    p = MAPS[name](z, b, dim)
    assert p.shape == z.shape
    assert (p >= 0).all()
    np.testing.assert_allclose(p.sum(axis=dim), 1.0, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", MAPS)
@FAST
@given(zd=logits_and_dim(), b=B_VALUES, c=st.floats(-100, 100))
def test_invariant_to_adding_a_constant(name, zd, b, c):
    z, dim = zd
    np.testing.assert_allclose(MAPS[name](z + c, b, dim), MAPS[name](z, b, dim), rtol=0, atol=1e-10)


@FAST
@given(z=vectors())
def test_sparsemax_is_the_euclidean_projection(z):
    p = sparsemax(z)
    np.testing.assert_allclose(p, project_simplex_michelot(z), rtol=0, atol=1e-12)
    assert simplex_projection_gap(z, p) <= 1e-12  # <z - p, q - p> <= 0 for every q in the simplex


@FAST
@given(zd=logits_and_dim(), n_iter=st.sampled_from([60, 80]))
def test_sort_and_bisection_thresholds_agree(zd, n_iter):
    z, dim = zd
    tau_sort = sparsemax_threshold_sort(z, dim)
    tau_bisect = sparsemax_threshold_bisect(z, dim, n_iter=n_iter)
    np.testing.assert_allclose(tau_bisect, tau_sort, rtol=0, atol=1e-12)
    np.testing.assert_allclose(relu(z - tau_bisect).sum(axis=dim), 1.0, atol=1e-11)


def test_projection_certificate_rejects_non_projections():
    z = np.array([1.0, 0.0, -0.5])
    assert simplex_projection_gap(z, softmax(z)) > 0.1  # softmax is on the simplex but not the projection
    assert simplex_projection_gap(z, sparsemax(z)) <= 1e-15
    assert orthant_projection_gap(z, np.abs(z)) > 0.1


@FAST
@given(zq=vector_pairs())
def test_relu_is_the_projection_onto_the_orthant(zq):
    """q3.1: relu(z) satisfies the KKT conditions and is no farther from z than any q >= 0."""
    z, q = zq
    y = relu(z)
    assert orthant_projection_gap(z, y) == 0.0
    assert np.sum((y - z) ** 2) <= np.sum((np.abs(q) - z) ** 2) + 1e-12


@pytest.mark.parametrize("name", MAPS)
@FAST
@given(z=vectors(), b=B_VALUES)
def test_zero_temperature_limit_is_one_hot(name, z, b):
    """q3.2: with a unique maximum, f(z / T) -> e_k as T -> 0+, k = argmax z."""
    top2 = np.sort(z)[-2:]
    gap = top2[1] - top2[0]
    assume(gap > 1e-3)
    e_k = np.eye(len(z))[np.argmax(z)]
    errors = [np.abs(MAPS[name](z / (gap / n), b) - e_k).max() for n in (1, 4, 16, 64, 256)]
    assert all(a >= c - 1e-15 for a,
               c in itertools.pairwise(errors))  # no increase (up to rounding) as T decreases
    if name == "softmax":  # off-max mass <= (K-1) exp(-gap / T)
        assert errors[-1] <= (len(z) - 1) * np.exp(-256.0) * (1 + 1e-9)
    else:  # sparse maps are exactly one-hot once gap / T >= 1 (sparsemax) or >= b (relumax)
        assert errors[-1] <= 1e-15  # one-hot, up to the rounding of z - tau


@FAST
@given(zd=logits_and_dim())
def test_relumax_at_the_proof_b_equals_sparsemax(zd):
    z, dim = zd
    b = relumax_b_for_sparsemax(z, dim)
    assert b.shape == tuple(np.delete(z.shape, dim % z.ndim))
    k = z.shape[dim]
    assert (b >= 1 / k - 1e-12).all() and (b <= 1 + 1e-12).all()
    np.testing.assert_allclose(relumax(z, b, dim), sparsemax(z, dim), rtol=0, atol=1e-12)


def test_relumax_equals_sparsemax_only_at_that_b():
    z = np.array([0.9, 0.5, 0.1, -1.0])  # support {0, 1}: tau = (1.4 - 1) / 2 = 0.2
    b = relumax_b_for_sparsemax(z)
    assert abs(b - 0.7) < 1e-15
    np.testing.assert_allclose(sparsemax(z), [0.7, 0.3, 0.0, 0.0], atol=1e-15)
    assert np.abs(relumax(z, b * 1.1) - sparsemax(z)).max() > 1e-3


@pytest.mark.parametrize("name", JACOBIANS)
@FAST
@given(z=vectors(), b=B_VALUES)
def test_jacobian_rows_and_columns_sum_to_zero(name, z, b):
    J = JACOBIANS[name](z, b)
    np.testing.assert_allclose(J.sum(axis=1), 0.0, atol=1e-12)  # shift invariance: J 1 = 0
    np.testing.assert_allclose(J.sum(axis=0), 0.0, atol=1e-12)  # outputs sum to 1: 1^T J = 0
    if name != "relumax":
        np.testing.assert_array_equal(J, J.T)


def test_relumax_jacobian_is_not_symmetric():
    J = relumax_jacobian(np.array([1.0, 0.6, 0.2]), 1.0)
    assert np.abs(J - J.T).max() > 0.1

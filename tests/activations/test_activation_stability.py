"""Large |z| (1e6), -inf entries, ties, dtypes, no input mutation, and the error messages."""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.activations import (
    cross_entropy,
    relumax,
    relumax_b_for_sparsemax,
    relumax_jacobian,
    relumax_loss,
    relumax_loss_grad,
    softmax,
    softmax_jacobian,
    sparsemax,
    sparsemax_jacobian,
    sparsemax_threshold_bisect,
)
from dlhw.errors import ConfigError, ShapeError

MAPS = {"softmax": lambda z, dim=-1: softmax(z, dim), "sparsemax": lambda z, dim=-1: sparsemax(z, dim),
        "relumax": lambda z, dim=-1: relumax(z, 0.8, dim)}
STRICT = {"over": "raise", "invalid": "raise", "divide": "raise"}  # underflow to 0 is expected
JACS = {"softmax": softmax_jacobian, "sparsemax": sparsemax_jacobian,
        "relumax": lambda z: relumax_jacobian(z, 0.8)}


@pytest.mark.parametrize("name", MAPS)
@pytest.mark.parametrize("scale", [1e6, -1e6])
def test_large_logits_equal_shifted_ones(name, scale):
    base = np.array([0.0, -0.3, -2.5, -0.05])
    z = base + scale  # exactly representable shifts of 1e6 keep ~1e-10 precision
    with np.errstate(**STRICT):
        np.testing.assert_allclose(MAPS[name](z), MAPS[name](base), atol=1e-9)
        assert np.isfinite(JACS[name](z)).all()


@pytest.mark.parametrize("name", MAPS)
def test_huge_spread_gives_one_hot(name):
    with np.errstate(**STRICT):
        np.testing.assert_array_equal(MAPS[name](np.array([-1e6, 1e6, 0.0])), [0.0, 1.0, 0.0])


@pytest.mark.parametrize("name", MAPS)
def test_minus_inf_entries_get_zero_and_drop_out(name):
    z = np.array([[0.2, -np.inf, 1.0, -np.inf], [-np.inf, 0.0, 0.5, 0.1]])  # (2, 4)
    with np.errstate(**STRICT):
        p = MAPS[name](z, -1)
        np.testing.assert_array_equal(p[0, [1, 3]], 0.0)
        np.testing.assert_allclose(p[0, [0, 2]], MAPS[name](np.array([0.2, 1.0])), atol=1e-15)
        np.testing.assert_allclose(p[1, 1:], MAPS[name](np.array([0.0, 0.5, 0.1])), atol=1e-15)
        J = JACS[name](z[0])
    assert np.isfinite(J).all()
    np.testing.assert_array_equal(J[[1, 3]], 0.0)
    np.testing.assert_array_equal(J[:, [1, 3]], 0.0)


def test_bisection_with_minus_inf():
    z = np.array([0.3, -np.inf, 0.1])
    with np.errstate(**STRICT):
        np.testing.assert_allclose(sparsemax_threshold_bisect(z), [-0.3], atol=1e-12)  # (0.4 - 1) / 2


@pytest.mark.parametrize("name", MAPS)
def test_tied_entries_get_equal_probability(name):
    p = MAPS[name](np.array([1.0, 0.2, 1.0, 0.2, -3.0]))
    assert p[0] == p[2] and p[1] == p[3]


def test_sparsemax_ties():
    np.testing.assert_allclose(sparsemax(np.array([1.0, 1.0, 0.0])), [0.5, 0.5, 0.0], atol=1e-15)
    np.testing.assert_allclose(sparsemax(np.full(4, 3.0)), 0.25, atol=1e-15)
    # an entry exactly at the threshold (support edge) is outside the Jacobian's support
    z = np.array([1.0, 0.0])  # tau = 0, p = [1, 0]
    np.testing.assert_array_equal(sparsemax_jacobian(z), 0.0)


def test_relumax_tie_at_max_uses_the_first_index():
    """At tied maxima the Jacobian is the one-sided derivative along directions keeping z_0 the max."""
    z, b = np.array([1.0, 1.0, 0.4, -2.0]), 1.0
    J = relumax_jacobian(z, b)
    rng = np.random.default_rng(3)
    for _ in range(5):
        d = rng.standard_normal(4)
        d[0] = abs(d[1]) + abs(d[0]) + 0.1  # z_0 stays the strict max for h > 0
        h = 1e-7
        one_sided = (relumax(z + h * d, b) - relumax(z, b)) / h
        np.testing.assert_allclose(J @ d, one_sided, rtol=1e-5, atol=1e-6)
    e0 = np.eye(4)[0]
    swapped = relumax_jacobian(z[[1, 0, 2, 3]], b)[[1, 0, 2, 3]][:, [1, 0, 2, 3]]  # max index now 1
    assert np.abs(J - swapped).max() > 0.1  # the choice matters: documented, not arbitrary
    assert np.abs(J @ e0).max() > 0


@pytest.mark.parametrize("name", MAPS)
def test_inputs_not_mutated_and_dtype_kept(name):
    z = np.array([[0.5, -1.0, 2.0]], dtype=np.float32)
    before = z.copy()
    p = MAPS[name](z, -1)
    np.testing.assert_array_equal(z, before)
    assert p.dtype == np.float32
    assert MAPS[name](np.array([1, 2, 3])).dtype == np.float64  # integers -> float64


def test_relumax_b_for_sparsemax_vector_and_one_hot():
    assert isinstance(relumax_b_for_sparsemax(np.array([0.0, 0.5, 0.2])), float)
    z = np.array([3.0, 0.0, -1.0])  # sparsemax is one-hot: b = max - tau = 1
    assert relumax_b_for_sparsemax(z) == 1.0
    np.testing.assert_array_equal(relumax(z, 1.0), sparsemax(z))


@pytest.mark.parametrize("b", [0.0, -0.5, np.inf, np.nan, "one"])
def test_relumax_rejects_bad_b(b):
    with pytest.raises(ConfigError, match="b"):
        relumax(np.array([0.0, 1.0]), b)
    with pytest.raises(ConfigError, match="b"):
        relumax_jacobian(np.array([0.0, 1.0]), b)


def test_relumax_rejects_bad_batched_b():
    with pytest.raises(ConfigError, match="b must be finite and > 0"):
        relumax(np.zeros((2, 3)), np.array([1.0, -1.0]))
    with pytest.raises(ShapeError, match="batch shape"):
        relumax(np.zeros((2, 3)), np.array([1.0, 1.0, 1.0]))


@pytest.mark.parametrize("z,match", [
    (np.array([0.0, np.nan]), "NaN"),
    (np.array([0.0, np.inf]), r"\+inf"),
    (np.array([[-np.inf, -np.inf], [0.0, 1.0]]), "all -inf"),
    (np.zeros((2, 0)), "empty axis"),
    (np.float64(1.0), "scalar"),
    (np.array(["a", "b"]), "real array"),
])
def test_bad_logits_raise_shape_error(z, match):
    for f in MAPS.values():
        with pytest.raises(ShapeError, match=match):
            f(z)


def test_bad_dim_and_jacobian_shape():
    with pytest.raises(ShapeError, match="dim=2 is out of range"):
        softmax(np.zeros((2, 3)), dim=2)
    with pytest.raises(ShapeError, match="one vector"):
        sparsemax_jacobian(np.zeros((2, 3)))


def test_loss_argument_errors():
    z = np.zeros((2, 3))
    with pytest.raises(ConfigError, match="eps"):
        relumax_loss(z, np.array([0, 1]), 1.0, eps=0.0)
    with pytest.raises(ConfigError, match="reduction"):
        relumax_loss_grad(z, np.array([0, 1]), reduction="avg")
    with pytest.raises(ShapeError, match="labels"):
        cross_entropy(z, np.array([0, 3]))
    with pytest.raises(ShapeError, match="2 rows but y has 3"):
        cross_entropy(z, np.array([0, 1, 2]))
    with pytest.raises(ShapeError, match=r"\(N, K\)"):
        cross_entropy(np.zeros((2, 2, 2)), np.array([0, 1]))

"""hw2526.q3.3: the K = 2 closed forms equal the general functions (and Jacobians) on a grid of t."""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.activations import (
    k2,
    relumax,
    relumax_jacobian,
    softmax,
    softmax_jacobian,
    sparsemax,
    sparsemax_jacobian,
)
from dlhw.errors import ConfigError

T_GRID = np.linspace(-4.0, 4.0, 321)  # step 0.025: hits the kinks +-0.25, +-0.5, +-1, +-2, +-3 exactly
B_VALUES = (0.25, 0.5, 1.0, 2.0, 3.0)


def _general(fn, jac, t):
    """p_2 and d p_2 / d t of the general map at z = [0, t], for each t."""
    z = np.stack([np.zeros_like(t), t], axis=1)  # (N, 2)
    return fn(z)[:, 1], np.array([jac(row)[1, 1] for row in z])


def _cases():
    yield "softmax", k2.softmax2, k2.softmax2_derivative, softmax, softmax_jacobian
    yield "sparsemax", k2.sparsemax2, k2.sparsemax2_derivative, sparsemax, sparsemax_jacobian
    for b in B_VALUES:
        yield (f"relumax "
               f"b={b}", lambda t, b=b: k2.relumax2(t, b), lambda t, b=b: k2.relumax2_derivative(t, b),
               lambda z, b=b: relumax(z, b), lambda z, b=b: relumax_jacobian(z, b))


@pytest.mark.parametrize("case", list(_cases()), ids=lambda c: c[0])
def test_closed_forms_equal_general_functions(case):
    _, f, df, fn, jac = case
    value, slope = _general(fn, jac, T_GRID)
    np.testing.assert_allclose(f(T_GRID), value, rtol=0, atol=1e-15)
    np.testing.assert_allclose(df(T_GRID), slope, rtol=0, atol=1e-14)


@pytest.mark.parametrize("case", list(_cases()), ids=lambda c: c[0])
def test_closed_form_derivatives_equal_finite_differences(case):
    name, f, df, _, _ = case
    b = float(name.split("=")[1]) if "=" in name else 1.0
    breaks = {"softmax": (), "sparsemax": (-1.0, 1.0)}.get(name, (-b, 0.0, b))  # relumax: C^1 only at 0
    t = T_GRID[np.all(np.abs(T_GRID[:, None] - np.array(breaks + (np.inf,))) > 1e-3, axis=1)]
    h = 1e-6
    np.testing.assert_allclose((f(t + h) - f(t - h)) / (2 * h), df(t), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("b", B_VALUES)
def test_relumax2_shape_facts(b):
    t = np.array([-2 * b, -b, -b / 2, 0.0, b / 2, b, 2 * b])
    p = k2.relumax2(t, b)
    np.testing.assert_allclose(p, [0, 0, 1 / 3, 0.5, 2 / 3, 1, 1], atol=1e-15)
    np.testing.assert_allclose(p + k2.relumax2(-t, b), 1.0, atol=1e-15)  # p(t) + p(-t) = 1
    assert k2.relumax2_derivative(0.0, b) == pytest.approx(1 / (4 * b), abs=1e-15)
    # the slope jumps from 1/b (just inside) to 0 (outside) at the kink t = b
    assert k2.relumax2_derivative(b * (1 - 1e-9), b) == pytest.approx(1 / b, rel=1e-6)


def test_softmax2_and_sparsemax2_facts():
    assert k2.softmax2(0.0) == 0.5 and k2.softmax2_derivative(0.0) == 0.25
    assert k2.softmax2(-800.0) == 0.0 and k2.softmax2(800.0) == 1.0  # no overflow warnings
    np.testing.assert_array_equal(k2.sparsemax2([-2.0, -1.0, 0.0, 1.0, 2.0]), [0, 0, 0.5, 1, 1])
    np.testing.assert_array_equal(k2.sparsemax2_derivative([-1.0, 0.0, 1.0]), [0, 0.5, 0])


@pytest.mark.parametrize("b", [0.0, -1.0])
def test_relumax2_rejects_non_positive_b(b):
    with pytest.raises(ConfigError, match="b"):
        k2.relumax2(0.0, b)
    with pytest.raises(ConfigError, match="b"):
        k2.relumax2_derivative(0.0, b)

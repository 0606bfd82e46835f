"""Every hand-written gradient equals a central finite difference (float64, relative 1e-6)."""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.scratch import MLP, LinearRegression, LogisticRegression, NeuralRegression
from dlhw.testing.gradcheck import numerical_grad, rel_error

TOL = 1e-6


def _randomise(model, rng):
    """Mixed-sign weights (so some ReLUs are off) and non-zero biases."""
    for name in model.state_dict():
        p = getattr(model, name)
        p[...] = rng.normal(0.0, 0.7, size=p.shape)


def _check_all(model, x, y):
    _, grads = model.loss_and_grads(x, y)
    assert set(grads) == set(model.state_dict())
    for name in model.state_dict():
        param = getattr(model, name)  # perturbed in place by numerical_grad, then restored
        num = numerical_grad(lambda _: model.loss_and_grads(x, y)[0], param, eps=1e-6)
        assert grads[name].shape == param.shape
        assert rel_error(grads[name], num) < TOL, name


def _away_from_kinks(model, x):
    """The finite differences must not cross a ReLU kink: every |pre-activation| is > 1e-3."""
    return np.abs(model.W1 @ x + model.b1).min() > 1e-3


@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_logistic_gradient(rng, l2):
    model = LogisticRegression(4, 6, l2=l2)
    _randomise(model, rng)
    _check_all(model, rng.normal(size=6), 2)


def test_logistic_penalty_enters_the_objective(rng):
    x = rng.normal(size=5)
    a, b = LogisticRegression(3, 5, l2=0.0), LogisticRegression(3, 5, l2=0.5)
    a.W[...] = b.W[...] = rng.normal(size=(3, 5))
    la, lb = a.loss_and_grads(x, 1)[0], b.loss_and_grads(x, 1)[0]
    assert lb - la == pytest.approx(0.25 * np.sum(a.W ** 2), rel=1e-12)


def test_mlp_gradient(rng):
    model = MLP(3, 5, 7, seed=1)
    _randomise(model, rng)
    x = rng.normal(size=5)
    assert _away_from_kinks(model, x)
    _check_all(model, x, 1)


def test_linear_regression_gradient(rng):
    model = LinearRegression(6)
    _randomise(model, rng)
    _check_all(model, rng.normal(size=6), 0.7)


def test_neural_regression_gradient(rng):
    model = NeuralRegression(5, 6, seed=2)
    _randomise(model, rng)
    x = rng.normal(size=5)
    assert _away_from_kinks(model, x)
    _check_all(model, x, -1.3)

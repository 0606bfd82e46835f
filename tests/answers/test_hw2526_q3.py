"""hw2526.q3.1-q3.5: the claims of answers/hw2526/q3_*.typ, checked against dlhw.activations.

The maps, their Jacobians, the K = 2 closed forms and the relumax loss come from
dlhw.activations (written once); here they are checked against finite differences, against
independent oracles and against the exact statements of the answers.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from dlhw import activations as A
from dlhw.activations import k2
from dlhw.answers import formulas as F
from dlhw.testing.gradcheck import numerical_grad, numerical_jacobian

MAPS = {"softmax": A.softmax, "sparsemax": A.sparsemax, "relumax_b=0.7": lambda z: A.relumax(z, 0.7)}


def _distinct_logits(rng, K: int, b: float, scale: float = 2.0, margin: float = 1e-3) -> np.ndarray:
    """Logits with distinct entries and no entry within ``margin`` of a relumax kink."""
    while True:
        z = rng.normal(scale=scale, size=K)
        d = z - z.max() + b
        if np.min(np.abs(np.diff(np.sort(z)))) > margin and np.all(np.abs(d) > margin):
            return z


# --- q3.1 ----------------------------------------------------------------------------------------
def _orthant_projection_by_enumeration(z: np.ndarray) -> np.ndarray:
    """An oracle that never uses max(., 0): try every set of coordinates pinned at 0."""
    best, best_val = None, np.inf
    for pinned in itertools.product([False, True], repeat=z.size):
        y = np.where(pinned, 0.0, z)  # free coordinates sit at their unconstrained optimum
        if np.all(y >= 0) and np.sum((y - z) ** 2) < best_val:
            best, best_val = y, np.sum((y - z) ** 2)
    return best


def test_relu_is_orthant_projection(rng):
    for _ in range(30):
        z = rng.normal(size=6)
        y_star = A.relu(z)
        assert np.allclose(y_star, _orthant_projection_by_enumeration(z))
        assert A.orthant_projection_gap(z, y_star) == 0.0
        # against random feasible points, including ones close to y*
        Y = np.abs(rng.normal(size=(2000, 6))) * rng.choice([0.01, 1.0, 3.0], size=(2000, 1))
        Y[:1000] = np.maximum(y_star + 0.05 * rng.normal(size=(1000, 6)), 0)
        obj = np.sum((Y - z) ** 2, axis=1)
        assert np.all(obj >= np.sum((y_star - z) ** 2))
        # the decomposition used in the proof: ||y - z||^2 - ||y* - z||^2 = ||y - y*||^2 + 2 sum c_i
        c = (Y - y_star) * (y_star - z)  # (2000, 6), every entry >= 0
        assert np.all(c >= 0)
        assert np.allclose(obj - np.sum((y_star - z) ** 2), np.sum((Y - y_star) ** 2,
                                                                   axis=1) + 2 * c.sum(axis=1))


def test_orthant_projection_check_rejects_wrong_maps(rng):
    z = rng.normal(size=(20, 6))
    for wrong in (np.abs(z), np.clip(z, 0, 0.5), np.maximum(z, 0.1)):
        gaps = [A.orthant_projection_gap(zi, wi) for zi, wi in zip(z, wrong)]
        assert max(gaps) > 1e-3


# --- q3.2 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", MAPS)
def test_shift_invariance(rng, name):
    f = MAPS[name]
    for _ in range(20):
        z, c = rng.normal(scale=3, size=7), rng.normal(scale=50)
        assert np.allclose(f(z + c), f(z), atol=1e-12)


def test_zero_temperature_limits(rng):
    for _ in range(20):
        z = _distinct_logits(rng, 6, b=0.7)
        e_k = np.eye(6)[np.argmax(z)]
        t_sp = F.sparsemax_onehot_temperature(z)
        assert np.array_equal(A.sparsemax(z / (0.999 * t_sp)),
                              e_k) and np.array_equal(A.sparsemax(z / (t_sp / 3)), e_k)
        assert not np.array_equal(A.sparsemax(z / (1.01 * t_sp)), e_k)  # the threshold is sharp
        for b in (0.3, 1.0, 4.0):
            t_rm = F.relumax_onehot_temperature(z, b)
            assert np.array_equal(A.relumax(z / (0.999 * t_rm), b), e_k)  # (at T = delta/b exactly: rounding)
            assert not np.array_equal(A.relumax(z / (1.01 * t_rm), b), e_k)
        off = []  # the probability mass off the argmax, as T -> 0+
        for T in (1.0, 0.3, 0.1, 0.03):
            p = A.softmax(z / T)
            off.append(np.delete(p, np.argmax(z)).sum())
            assert 0 <= off[-1] <= F.softmax_onehot_bound(z, T)
        assert np.all(np.diff(off) <= 0)


def test_relumax_equals_sparsemax_at_b_max_probability(rng):
    for K in (2, 3, 8, 26):
        for _ in range(10):
            z = rng.normal(scale=rng.choice([0.1, 1.0, 5.0]), size=K)
            p = A.sparsemax(z)
            b = A.relumax_b_for_sparsemax(z)
            assert np.isclose(b, p.max())  # b = max(z) - tau = the largest sparsemax probability
            assert 1 / K - 1e-12 <= b <= 1 + 1e-12
            assert np.allclose(A.relumax(z, b), p, atol=1e-12)
        z = rng.normal(size=K) * 0.2
        if not np.isclose(A.sparsemax(z).max(), 1.0):  # another b gives another output
            assert not np.allclose(A.relumax(z, 2.0 * A.relumax_b_for_sparsemax(z)), A.sparsemax(z))


# --- q3.3 ----------------------------------------------------------------------------------------
T_GRID = np.linspace(-3.0, 3.0, 241)


def _second(f, b=None):
    return np.array([f(np.array([0.0, t]))[1] if b is None else f(np.array([0.0, t]), b)[1] for t in T_GRID])


@pytest.mark.parametrize("b", [0.25, 1.0, 2.5])
def test_k2_closed_forms_match_the_maps(b):
    assert np.allclose(k2.softmax2(T_GRID), _second(A.softmax))
    assert np.allclose(k2.sparsemax2(T_GRID), _second(A.sparsemax))
    assert np.allclose(k2.relumax2(T_GRID, b), _second(A.relumax, b))
    # the piecewise forms written in q3_3.typ
    pos, neg = (T_GRID >= 0) & (b > T_GRID), (T_GRID < 0) & (-b < T_GRID)
    assert np.allclose(k2.relumax2(T_GRID[pos], b), b / (2 * b - T_GRID[pos]))
    assert np.allclose(k2.relumax2(T_GRID[neg], b), (T_GRID[neg] + b) / (T_GRID[neg] + 2 * b))
    assert np.allclose(k2.relumax2(T_GRID[b <= T_GRID], b), 1.0)
    assert np.allclose(k2.relumax2(T_GRID[-b >= T_GRID], b), 0.0)


@pytest.mark.parametrize("b", [0.25, 1.0, 2.5])
def test_k2_derivatives(b):
    # away from the kinks (t = +-1, +-b) and from the tie t = 0, where f'' jumps (f' is continuous)
    away = (np.abs(np.abs(T_GRID) - 1) > 1e-3) & (np.abs(np.abs(T_GRID) - b) > 1e-3) & (np.abs(T_GRID) > 1e-3)
    t = T_GRID[away]
    fd = lambda f: np.array([numerical_grad(lambda x: float(f(x[0])), np.array([ti]))[0] for ti in t])  # noqa: E731
    assert np.max(np.abs(k2.softmax2_derivative(t) - fd(k2.softmax2))) < 1e-8
    assert np.max(np.abs(k2.sparsemax2_derivative(t) - fd(k2.sparsemax2))) < 1e-8
    fd_rm = fd(lambda x: k2.relumax2(x, b))
    assert np.max(np.abs(k2.relumax2_derivative(t, b) - fd_rm)) < 1e-6
    assert np.isclose(k2.relumax2_derivative(0.0, b), 1 / (4 * b))  # smooth through the tie t = 0
    h = 1e-7  # one-sided slopes at the tie agree
    for side in (h, -h):
        assert np.isclose((k2.relumax2(side, b) - k2.relumax2(0.0, b)) / side, 1 / (4 * b), rtol=1e-5)
    inside = np.abs(t) < b
    wrong = np.zeros_like(t)
    wrong[inside] = b / (2 * b - np.abs(t[inside]))  # a missing square is rejected
    assert np.max(np.abs(wrong - fd_rm)) > 0.05


# --- q3.4 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("K,b", [(2, 1.0), (3, 0.5), (5, 1.0), (10, 3.0)])
def test_relumax_jacobian(rng, K, b):
    for _ in range(10):
        z = _distinct_logits(rng, K, b)
        J = A.relumax_jacobian(z, b)
        fd = numerical_jacobian(lambda x: A.relumax(x, b), z)
        assert np.max(np.abs(J - fd)) < 1e-7
        p, s, k = A.relumax(z, b), (z > z.max() - b).astype(float), int(np.argmax(z))
        Z = np.sum(np.maximum(z - z.max() + b, 0))
        text = (np.diag(s) - np.outer(p, s) - np.outer(s - s.sum() * p, np.eye(K)[k])) / Z  # q3_4.typ
        assert np.allclose(J, text)
        assert np.allclose(J.sum(axis=0), 0) and np.allclose(J.sum(axis=1), 0)
        assert np.allclose(J[s == 0], 0) and np.allclose(J[:, s == 0], 0)
        # forgetting that max(z) moves with z_k is caught
        assert s.sum() == 1 or np.max(np.abs((np.diag(s) - np.outer(p, s)) / Z - fd)) > 1e-3


# --- q3.5 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("K,b,eps", [(2, 1.0, 1e-2), (4, 0.5, 1e-3), (8, 2.0, 0.1)])
def test_relumax_loss_gradient(rng, K, b, eps):
    for _ in range(10):
        z, i = _distinct_logits(rng, K, b), int(rng.integers(K))
        g = F.relumax_loss_gradient(z, i, b, eps)
        fd = numerical_grad(lambda x: A.relumax_loss(x, i, b=b, eps=eps), z)
        assert np.max(np.abs(g - fd)) < 1e-6
        assert np.allclose(g, A.relumax_loss_grad(z, i, b=b, eps=eps))
        assert np.allclose(g, -A.relumax_jacobian(z, b)[i] / (A.relumax(z, b)[i] + eps))


def test_relumax_loss_outside_support_is_flat_and_bounded(rng):
    K, b, eps = 5, 0.5, 1e-3
    z = np.array([3.0, 0.1, -1.0, 2.9, 0.0])  # support {0, 3}: class 2 is outside
    assert A.relumax(z, b)[2] == 0.0
    assert np.isclose(A.relumax_loss(z, 2, b=b, eps=eps), np.log((1 + K * eps) / eps))
    assert np.array_equal(F.relumax_loss_gradient(z, 2, b, eps), np.zeros(K))
    assert np.allclose(numerical_grad(lambda x: A.relumax_loss(x, 2, b=b, eps=eps), z), 0)
    # with sparsemax instead, -log p_i is infinite there
    with np.errstate(divide="ignore"):
        assert np.isinf(-np.log(A.sparsemax(z)[2]))
    # the minimum of the loss: relumax(z) = e_i gives log((1 + K eps) / (1 + eps)) > 0
    z_one_hot = np.array([0.0, 0.0, 5.0, 0.0, 0.0])
    assert np.isclose(A.relumax_loss(z_one_hot, 2, b=b, eps=eps), F.relumax_loss_minimum(K, eps))
    for _ in range(200):
        zz = rng.normal(scale=2, size=K)
        assert A.relumax_loss(zz, 2, b=b, eps=eps) >= F.relumax_loss_minimum(K, eps) - 1e-12

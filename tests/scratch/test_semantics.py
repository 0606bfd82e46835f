"""What each update does, written out by hand, and the errors on bad input."""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.errors import CheckpointError, ConfigError, ShapeError
from dlhw.scratch import (
    MLP,
    LinearRegression,
    LogisticRegression,
    NeuralRegression,
    Perceptron,
    make_model,
    solve_analytically,
)


def test_perceptron_ignores_a_correct_example():
    p = Perceptron(3, 2)
    p.W[...] = [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]
    before = p.W.copy()
    assert p.update_weight(np.array([2.0, 1.0]), 0) == 0.0
    np.testing.assert_array_equal(p.W, before)


def test_perceptron_scores_with_current_weights():
    """Two copies of one example: after the first update the second is already right.

    A batch (stale-weight) perceptron would predict class 0 for both and update twice.
    """
    p = Perceptron(2, 2)
    X = np.array([[1.0, 0.0], [1.0, 0.0]])
    mistakes = p.train_epoch(X, np.array([1, 1]))
    np.testing.assert_array_equal(p.W, [[-1.0, 0.0], [1.0, 0.0]])
    assert mistakes == 0.5


def test_logistic_step_by_hand():
    m = LogisticRegression(2, 3, l2=0.5)
    m.W[...] = [[0.1, -0.2, 0.0], [0.3, 0.1, -0.1]]
    W0, x, lr = m.W.copy(), np.array([1.0, 2.0, -1.0]), 0.1
    z0, z1 = 0.1 - 0.4 + 0.0, 0.3 + 0.2 + 0.1  # W @ x
    p0 = np.exp(z0) / (np.exp(z0) + np.exp(z1))
    p1 = 1.0 - p0
    expected = W0 - lr * (np.outer([p0, p1 - 1.0], x) + 0.5 * W0)  # label 1
    loss = m.update_weight(x, 1, learning_rate=lr)
    np.testing.assert_allclose(m.W, expected, rtol=1e-14, atol=1e-15)
    assert loss == pytest.approx(-np.log(p1) + 0.25 * np.sum(W0 ** 2), rel=1e-14)


def test_linear_regression_step_by_hand():
    m = LinearRegression(3)
    loss = m.update_weight(np.array([1.0, 2.0, 3.0]), 2.0, learning_rate=0.1)
    np.testing.assert_allclose(m.w, [0.2, 0.4, 0.6], rtol=1e-15)  # w += 0.1 * (2 - 0) * x
    assert loss == 2.0  # 0.5 * (0 - 2)^2


def test_mlp_step_by_hand():
    m = MLP(2, 3, 2, seed=0)
    m.W1[...] = [[1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]]
    m.b1[...] = [1.5, 0.0]  # a = W1 x + b1 = [0.5, -0.5]: one ReLU on, one off; h = [0.5, 0]
    m.W2[...] = [[1.0, -1.0], [0.5, 2.0]]
    m.b2[...] = [0.0, 0.1]
    x, lr = np.array([1.0, 0.5, 2.0]), 0.1
    h = np.array([0.5, 0.0])
    z = np.array([0.5, 0.25 + 0.1])  # W2 h + b2
    p = np.exp(z) / np.exp(z).sum()
    dz = p - np.array([1.0, 0.0])  # label 0
    dh = m.W2.T @ dz
    da = dh * np.array([1.0, 0.0])
    expect = {"W1": m.W1 - lr * np.outer(da, x), "b1": m.b1 - lr * da,
              "W2": m.W2 - lr * np.outer(dz, h), "b2": m.b2 - lr * dz}
    m.update_weight(x, 0, learning_rate=lr)
    for k, v in expect.items():
        np.testing.assert_allclose(getattr(m, k), v, rtol=1e-14, atol=1e-15, err_msg=k)


def test_neural_regression_step_by_hand():
    m = NeuralRegression(3, 2, seed=0)
    m.W1[...] = [[1.0, 0.0, 0.0], [0.0, -1.0, 0.0]]
    m.b1[...] = [0.0, 0.0]
    m.w2[...] = [2.0, 3.0]
    x, y, lr = np.array([1.0, 1.0, 1.0]), 1.0, 0.1
    # a = [1, -1], h = [1, 0], pred = 2, residual = 1
    m.update_weight(x, y, learning_rate=lr)
    np.testing.assert_allclose(m.w2, [2.0 - 0.1, 3.0])
    np.testing.assert_allclose(m.b2, -0.1)
    np.testing.assert_allclose(m.W1, [[1.0 - 0.2, -0.2, -0.2], [0.0, -1.0, 0.0]])
    np.testing.assert_allclose(m.b1, [-0.2, 0.0])


def test_init_follows_the_texts():
    m = MLP(10, 400, 300, seed=3)
    assert not m.b1.any() and not m.b2.any()
    assert abs(m.W1.mean() - 0.1) < 0.002 and abs(m.W1.std() - 0.1) < 0.002
    np.testing.assert_array_equal(MLP(10, 400, 300, seed=3).W1, m.W1)


def test_solve_analytically_matches_lstsq(rng):
    X, y = rng.normal(size=(30, 5)), rng.normal(size=30)
    np.testing.assert_allclose(solve_analytically(X, y), np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-12)
    q, r = np.linalg.qr(X)
    np.testing.assert_allclose(solve_analytically(X, y), np.linalg.solve(r, q.T @ y), rtol=1e-10)
    Xd = np.hstack([X, X[:, :1]])  # rank deficient: the minimum-norm solution, no inverse
    w = solve_analytically(Xd, y)
    np.testing.assert_allclose(Xd.T @ (Xd @ w - y), 0, atol=1e-10)
    assert w[0] == pytest.approx(w[-1])


def test_state_dict_round_trip_copies(rng):
    a, b = MLP(3, 4, 5, seed=0), MLP(3, 4, 5, seed=1)
    state = a.state_dict()
    state["W1"][0, 0] = 99.0
    assert a.W1[0, 0] != 99.0
    b.load_state_dict(a.state_dict())
    for k in a.state_dict():
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    with pytest.raises(CheckpointError, match="shape"):
        MLP(3, 4, 6, seed=0).load_state_dict(a.state_dict())
    with pytest.raises(CheckpointError, match="keys"):
        Perceptron(3, 4).load_state_dict(a.state_dict())


@pytest.mark.parametrize("call, match", [
    (lambda m: m.train_epoch(np.zeros((3, 5)), np.zeros(3, int)), "shape"),
    (lambda m: m.train_epoch(np.zeros((3, 4)), np.array([0, 1, 3])), "labels"),
    (lambda m: m.train_epoch(np.zeros((3, 4)), np.array([0, 1])), "rows"),
    (lambda m: m.train_epoch(np.zeros((3, 4)), np.zeros(3), 0.1), "dtype"),
    (lambda m: m.train_epoch(np.zeros((3, 4)), np.zeros(3, int), order=np.array([0, 3])), "order"),
    (lambda m: m.train_epoch(np.zeros(4), np.zeros(1, int)), "2-d"),
    (lambda m: m.update_weight(np.zeros(5), 0), "shape"),
    (lambda m: m.update_weight(np.zeros(4), 7), "y_i"),
    (lambda m: m.update_weight(np.zeros(4), 0, learning_rate=-1.0), "learning_rate"),
    (lambda m: m.train_epoch(np.zeros((3, 4)), np.zeros(3, int), kernel="gpu"), "kernel"),
])
@pytest.mark.parametrize("kind", ["perceptron", "logistic_regression", "mlp"])
def test_bad_input_is_a_clear_error(kind, call, match):
    model = make_model(kind, n_classes=3, n_features=4, **({"hidden_size": 2} if kind == "mlp" else {}))
    with pytest.raises((ShapeError, ConfigError), match=match):
        call(model)


def test_bad_hyperparameters():
    with pytest.raises(ConfigError, match="n_classes"):
        Perceptron(1, 4)
    with pytest.raises(ConfigError, match="l2"):
        LogisticRegression(3, 4, l2=-1.0)
    with pytest.raises(ConfigError, match="hidden_size"):
        MLP(3, 4, 0)
    with pytest.raises(ConfigError, match="unknown model"):
        make_model("svm")
    with pytest.raises(ConfigError, match="differentiable"):
        Perceptron(3, 4).loss_and_grads(np.zeros(4), 0)


def test_mlp_skeleton_signature_layers_is_not_a_seed():
    """hw2122's skeleton builds MLP(n_classes, n_features, hidden_size, layers): the 4th positional
    argument is the number of hidden layers (1 here), never the seed; the seed is keyword only."""
    np.testing.assert_array_equal(MLP(3, 4, 5, 1).W1, MLP(3, 4, 5, seed=0).W1)
    assert MLP(3, 4, 5, 1, seed=7).seed == 7
    with pytest.raises(ConfigError, match=r"exactly one hidden layer \(layers=1\), got layers=2"):
        MLP(3, 4, 5, 2)  # a skeleton asking for 2 layers is refused, not seeded with 2
    with pytest.raises(TypeError):
        MLP(3, 4, 5, 1, 42)  # the seed cannot be passed by position


def test_update_weights_is_the_2021_22_name_of_update_weight():
    a, b = Perceptron(3, 4), Perceptron(3, 4)
    x = np.array([1.0, 0.0, 2.0, 1.0])
    assert a.update_weights(x, 2) == b.update_weight(x, 2)
    np.testing.assert_array_equal(a.W, b.W)

"""dlhw.nets: shapes, dropout, evaluate, seeding, bad names."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlhw.errors import ConfigError
from dlhw.nets import (
    FeedforwardNetwork,
    LogisticRegression,
    NetConfig,
    evaluate,
    from_config,
    make_optimizer,
    predict,
    train_batch,
)


def _data(n=64, d=20, k=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g), torch.randint(0, k, (n,), generator=g)


@pytest.mark.parametrize("layers", [1, 3])
def test_ffn_layer_shapes(layers):
    model = FeedforwardNetwork(7, 20, hidden_size=16, layers=layers, activation_type="tanh",
                               dropout=0.5)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    want = [(16, 20)] + [(16, 16)] * (layers - 1) + [(7, 16)]
    assert [tuple(m.weight.shape) for m in linears] == want
    assert [tuple(m.bias.shape) for m in linears] == [(w[0],) for w in want]
    assert sum(isinstance(m, nn.Tanh) for m in model.modules()) == layers
    assert sum(isinstance(m, nn.Dropout) for m in model.modules()) == layers
    assert model(torch.zeros(3, 20)).shape == (3, 7)


def test_logistic_regression_shapes():
    model = LogisticRegression(5, 20)
    assert tuple(model.linear.weight.shape) == (5, 20)
    assert model(torch.zeros(4, 20)).shape == (4, 5)


def test_dropout_only_in_training_mode():
    X, _ = _data()
    model = FeedforwardNetwork(5, 20, 64, 2, "relu", 0.5)
    model.eval()
    assert torch.equal(model(X), model(X))  # deterministic in eval mode
    model.train()
    assert not torch.equal(model(X), model(X))  # fresh masks in training mode


def test_evaluate_returns_mean_loss_and_accuracy_without_changing_model():
    X, y = _data(n=10000)  # > one evaluation chunk, so chunk weighting is exercised
    model = FeedforwardNetwork(5, 20, 8, 1, "relu", 0.3)
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    loss, acc = evaluate(model, X, y, nn.CrossEntropyLoss())
    model.eval()
    with torch.no_grad():
        scores = model(X)
    assert loss == pytest.approx(nn.functional.cross_entropy(scores, y).item(), rel=1e-5)
    assert acc == pytest.approx((scores.argmax(1) == y).float().mean().item())
    assert torch.equal(predict(model, X), scores.argmax(1))
    model.train()
    assert model.training  # evaluate restored training mode
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    # the 2021-22 skeleton calls evaluate(model, X, y): the criterion defaults to cross-entropy
    assert evaluate(model, X, y) == (loss, acc)


def test_same_seed_same_weights_and_global_rng_untouched():
    state = torch.random.get_rng_state()
    a = FeedforwardNetwork(5, 20, 8, 2, "relu", 0.0, seed=3)
    b = FeedforwardNetwork(5, 20, 8, 2, "relu", 0.0, seed=3)
    c = FeedforwardNetwork(5, 20, 8, 2, "relu", 0.0, seed=4)
    assert torch.equal(state, torch.random.get_rng_state())
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.net[0].weight, c.net[0].weight)


def test_train_batch_decreases_loss_and_returns_float():
    X, y = _data()
    model = LogisticRegression(5, 20)
    opt = make_optimizer("sgd", model.parameters(), lr=0.5)
    crit = nn.CrossEntropyLoss()
    first = train_batch(X, y, model, opt, crit)
    for _ in range(20):
        last = train_batch(X, y, model, opt, crit)
    assert isinstance(first, float) and last < first


def test_weight_decay_is_the_l2_penalty():
    model = LogisticRegression(3, 4)
    w0 = model.linear.weight.detach().clone()
    opt = make_optimizer("sgd", model.parameters(), lr=0.1, l2=0.5)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()  # zero loss gradient: only the penalty 0.5 * l2 * ||w||^2 acts
    assert torch.allclose(model.linear.weight, w0 * (1 - 0.1 * 0.5))


@pytest.mark.parametrize("kwargs, match", [
    ({"activation_type": "sigmoid"}, r"activation 'sigmoid'; choose one of 'relu', 'tanh'"),
    ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
    ({"layers": 0}, r"layers must be an integer >= 1"),
])
def test_bad_model_arguments_fail_clearly(kwargs, match):
    args = {"hidden_size": 8, "layers": 1, "activation_type": "relu", "dropout": 0.0, **kwargs}
    with pytest.raises(ConfigError, match=match):
        FeedforwardNetwork(5, 20, **args)


def test_unknown_optimizer_and_config_keys_fail_clearly():
    with pytest.raises(ConfigError, match=r"optimizer 'rmsprop'; choose one of 'sgd', 'adam'"):
        make_optimizer("rmsprop", LogisticRegression(3, 4).parameters(), lr=0.1)
    with pytest.raises(ConfigError, match=r"optimizer 'rmsprop'"):
        NetConfig(optimizer="rmsprop")
    with pytest.raises(ConfigError, match=r"unknown configuration key\(s\) hidden; valid keys: model"):
        from_config({"hidden": 3}, n_classes=3, n_features=4)
    with pytest.raises(ConfigError, match=r"lr must be finite and > 0"):
        NetConfig(lr=0)


def test_from_config_builds_the_described_model():
    cfg = NetConfig(model="mlp", hidden_size=12, layers=2, activation="tanh", dropout=0.2)
    model = from_config(cfg.to_dict(), n_classes=4, n_features=9, seed=1)
    assert isinstance(model, FeedforwardNetwork)
    assert model(torch.zeros(2, 9)).shape == (2, 4)
    assert isinstance(from_config(NetConfig(model="logistic_regression"), n_classes=4,
                                  n_features=9), LogisticRegression)

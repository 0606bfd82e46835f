"""PyTorch models of the two homeworks, seeded through a :class:`torch.Generator`.

Layers are created on the ``meta`` device (no memory, no random numbers) and then filled by
:func:`init_parameters` from a generator, so building a model never touches torch's
process-global RNG and the same seed gives the same weights on every device.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from dlhw.nets.config import NetConfig
from dlhw.rng import torch_generator
from dlhw.validation import check_choice, check_int, check_probability

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}  # keys == config.ACTIVATION_NAMES


def _linear(n_in: int, n_out: int) -> nn.Linear:
    """An uninitialised ``nn.Linear`` (allocated on CPU, values set by :func:`init_parameters`)."""
    return nn.Linear(n_in, n_out, device="meta").to_empty(device="cpu")


@torch.no_grad()
def init_parameters(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """PyTorch's default ``nn.Linear`` init, drawn from ``generator`` (CPU), in module order.

    Weights and biases ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (what ``reset_parameters`` gives).
    """
    for module in model.modules():
        if isinstance(module, nn.Linear):
            bound = 1.0 / math.sqrt(module.in_features)
            module.weight.uniform_(-bound, bound, generator=generator)
            if module.bias is not None:
                module.bias.uniform_(-bound, bound, generator=generator)
    return model


class LogisticRegression(nn.Module):
    """Multinomial logistic regression: scores = X W^T + b.

    Parameters
    ----------
    n_classes, n_features : output and input sizes.
    seed : seed of the initialisation (a private :class:`torch.Generator`).
    """

    def __init__(self, n_classes: int, n_features: int, *, seed: int = 0, **kwargs: Any):
        super().__init__()
        check_int(n_classes, "n_classes", minimum=2)
        check_int(n_features, "n_features")
        self.linear = _linear(n_features, n_classes)
        init_parameters(self, torch_generator(seed))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (N, n_features) -> scores (N, n_classes) (unnormalised log-probabilities)."""
        return self.linear(x)


class FeedforwardNetwork(nn.Module):
    """``layers`` hidden layers of ``hidden_size`` units, each Linear -> activation -> dropout.

    Parameters
    ----------
    n_classes, n_features : output and input sizes.
    hidden_size : units per hidden layer.   layers : number of hidden layers (>= 1).
    activation_type : ``"relu"`` or ``"tanh"``.
    dropout : drop probability after each hidden activation (no module when 0).
    seed : seed of the initialisation.
    """

    def __init__(self, n_classes: int, n_features: int, hidden_size: int, layers: int,
                 activation_type: str, dropout: float, *, seed: int = 0, **kwargs: Any):
        super().__init__()
        check_int(n_classes, "n_classes", minimum=2)
        check_int(n_features, "n_features")
        check_int(hidden_size, "hidden_size")
        check_int(layers, "layers")
        check_choice(activation_type, "activation", ACTIVATIONS)
        dropout = check_probability(dropout, "dropout")
        blocks: list[nn.Module] = []
        n_in = n_features
        for _ in range(layers):
            blocks += [_linear(n_in, hidden_size), ACTIVATIONS[activation_type]()]
            if dropout > 0:
                blocks.append(nn.Dropout(dropout))
            n_in = hidden_size
        blocks.append(_linear(n_in, n_classes))
        self.net = nn.Sequential(*blocks)
        init_parameters(self, torch_generator(seed))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x : (N, n_features) -> scores (N, n_classes)."""
        return self.net(x)


def from_config(cfg: NetConfig | Mapping[str, Any], *, n_classes: int, n_features: int,
                seed: int = 0) -> nn.Module:
    """The model that configuration ``cfg`` describes, initialised from ``seed`` (on CPU)."""
    cfg = NetConfig.from_dict(cfg)
    if cfg.model == "logistic_regression":
        return LogisticRegression(n_classes, n_features, seed=seed)
    return FeedforwardNetwork(n_classes, n_features, cfg.hidden_size, cfg.layers, cfg.activation,
                              cfg.dropout, seed=seed)

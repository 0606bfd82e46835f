"""The hyperparameters of one PyTorch run, validated in one place.

:class:`NetConfig` is what the grid runner expands, what a run folder stores beside its
checkpoints (``config.json``) and what :func:`dlhw.nets.from_config` builds a model from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dlhw.errors import ConfigError
from dlhw.validation import check_choice, check_int, check_positive, check_probability

FLOAT32_MAX = 3.4028234663852886e38

MODELS = ("logistic_regression", "mlp")
ACTIVATION_NAMES = ("relu", "tanh")
OPTIMIZER_NAMES = ("sgd", "adam")
# --kernel of the torch loops: fast = the compiled batch-1 path where it applies; autograd = the plain loop
TRAIN_KERNELS = ("fast", "autograd")


@dataclass(frozen=True)
class NetConfig:
    """One PyTorch training configuration (the skeletons' flags, keyword-only).

    Attributes
    ----------
    model : ``"logistic_regression"`` or ``"mlp"`` (a :class:`FeedforwardNetwork`).
    lr : learning rate (> 0).   l2 : weight decay of the optimiser (the l2 penalty, >= 0).
    hidden_size, layers : width and number of hidden layers (mlp only).
    dropout : probability in [0, 1) after each hidden activation (mlp only).
    activation : ``"relu"`` or ``"tanh"``.   optimizer : ``"sgd"`` or ``"adam"``.
    batch_size, epochs : mini-batch size and number of passes over the training set.
    """

    model: str = "mlp"
    lr: float = 0.01
    l2: float = 0.0
    hidden_size: int = 200
    layers: int = 1
    dropout: float = 0.0
    activation: str = "relu"
    optimizer: str = "sgd"
    batch_size: int = 1
    epochs: int = 20

    def __post_init__(self) -> None:
        check_choice(self.model, "model", MODELS)
        check_choice(self.activation, "activation", ACTIVATION_NAMES)
        check_choice(self.optimizer, "optimizer", OPTIMIZER_NAMES)
        # ints given for floats are fine (JSON, argparse); store floats so ids are canonical
        object.__setattr__(self, "lr", check_positive(self.lr, "lr"))
        object.__setattr__(self, "l2", check_positive(self.l2, "l2", allow_zero=True))
        for name in ("lr", "l2"):  # torch's parameters are float32: a larger step overflows
            if getattr(self, name) > FLOAT32_MAX:
                raise ConfigError(f"{name} must be at most {FLOAT32_MAX:.3g} (the float32 range of "
                                  f"the network's weights), got {getattr(self, name):g}; use a "
                                  f"learning rate such as 0.001-1")
        object.__setattr__(self, "dropout", check_probability(self.dropout, "dropout"))
        for name in ("hidden_size", "layers", "batch_size", "epochs"):
            check_int(getattr(self, name), name)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> NetConfig:
        """Build from a mapping; an unknown key raises a ConfigError listing the valid ones."""
        if isinstance(d, NetConfig):
            return d
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(d) - set(names))
        if unknown:
            raise ConfigError(f"unknown configuration key(s) {', '.join(unknown)}; "
                              f"valid keys: {', '.join(names)}")
        return cls(**dict(d))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> NetConfig:
        return dataclasses.replace(self, **changes)

    def slug(self) -> str:
        """A readable, filesystem-safe id, e.g. ``mlp-lr0.01-l20-h200x1-relu-d0.3-sgd-b1-e20``."""
        if self.model == "logistic_regression":
            arch = "logreg"
        else:
            arch = f"mlp-h{self.hidden_size}x{self.layers}-{self.activation}-d{self.dropout:g}"
        return (f"{arch}-{self.optimizer}-lr{self.lr:g}-l2{self.l2:g}"
                f"-b{self.batch_size}-e{self.epochs}")

    def describe(self) -> str:
        """Readable settings for titles, e.g. ``MLP, 1 hidden layer of 200 units, ReLU, dropout 0.3,
        SGD, learning rate 0.01, L2 penalty 0, batch 1, 20 epochs``."""
        if self.model == "logistic_regression":
            arch = "logistic regression"
        else:
            layers = "1 hidden layer" if self.layers == 1 else f"{self.layers} hidden layers"
            act = "ReLU" if self.activation == "relu" else self.activation
            arch = f"MLP, {layers} of {self.hidden_size} units, {act}, dropout {self.dropout:g}"
        opt = "Adam" if self.optimizer == "adam" else self.optimizer.upper()
        return (f"{arch}, {opt}, learning rate {self.lr:g}, L2 penalty {self.l2:g}, "
                f"batch {self.batch_size}, {self.epochs} epochs")

"""``dlhw.nets``: the PyTorch models and the skeletons' training verbs.

>>> model = FeedforwardNetwork(10, 784, hidden_size=200, layers=1, activation_type="relu",
...                            dropout=0.3, seed=0)
>>> opt = make_optimizer("sgd", model.parameters(), lr=0.01, l2=0.0)
>>> loss = train_batch(X, y, model, opt, torch.nn.CrossEntropyLoss())   # doctest: +SKIP
>>> val_loss, val_acc = evaluate(model, X_dev, y_dev, torch.nn.CrossEntropyLoss())  # doctest: +SKIP
"""

from dlhw.nets.config import ACTIVATION_NAMES, MODELS, OPTIMIZER_NAMES, NetConfig
from dlhw.nets.models import (
    ACTIVATIONS,
    FeedforwardNetwork,
    LogisticRegression,
    from_config,
    init_parameters,
)
from dlhw.nets.step import evaluate, make_optimizer, predict, train_batch, train_step

__all__ = ["ACTIVATIONS", "ACTIVATION_NAMES", "MODELS", "OPTIMIZER_NAMES", "FeedforwardNetwork",
           "LogisticRegression", "NetConfig", "evaluate", "from_config", "init_parameters",
           "make_optimizer", "predict", "train_batch", "train_step"]

"""``dlhw.nets``: the PyTorch models and the skeletons' training verbs (models only: the loops
that train them live in :mod:`dlhw.training`).

:mod:`~dlhw.nets.models` (FFN, logistic regression), :mod:`~dlhw.nets.step` (``train_batch``,
``predict``, ``evaluate``), :mod:`~dlhw.nets.stacked` (M same-shape networks as stacked tensors,
forward and hand-written backward), :mod:`~dlhw.nets.fast_kernels` (the batch-1 numba kernels).

>>> model = FeedforwardNetwork(10, 784, hidden_size=200, layers=1, activation_type="relu",
...                            dropout=0.3, seed=0)
>>> opt = make_optimizer("sgd", model.parameters(), lr=0.01, l2=0.0)
>>> loss = train_batch(X, y, model, opt, torch.nn.CrossEntropyLoss())   # doctest: +SKIP
>>> val_loss, val_acc = evaluate(model, X_dev, y_dev, torch.nn.CrossEntropyLoss())  # doctest: +SKIP
"""

from dlhw._lazy import lazy_exports

# Imported on first use: ``from dlhw.nets import NetConfig`` needs no torch.
_NAMES = {
    **dict.fromkeys(("ACTIVATION_NAMES", "MODELS", "OPTIMIZER_NAMES", "NetConfig"), "config"),
    **dict.fromkeys(("ACTIVATIONS", "FeedforwardNetwork", "LogisticRegression", "from_config",
                     "init_parameters"), "models"),
    **dict.fromkeys(("evaluate", "make_optimizer", "predict", "train_batch", "train_step"), "step"),
}
__all__ = tuple(sorted(_NAMES))
__getattr__, __dir__ = lazy_exports(__name__, _NAMES)

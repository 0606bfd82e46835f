"""The skeletons' verbs: one optimisation step, prediction, evaluation; and the optimisers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from dlhw.nets.config import OPTIMIZER_NAMES
from dlhw.validation import check_choice, check_positive

EVAL_BATCH = 8192  # rows per forward pass in predict/evaluate (memory bound, not speed)


def make_optimizer(name: str, params: Iterable[torch.nn.Parameter], lr: float,
                   l2: float = 0.0) -> torch.optim.Optimizer:
    """``"sgd"`` or ``"adam"`` with learning rate ``lr`` and ``weight_decay=l2`` (the l2 penalty).

    ``foreach=None`` lets PyTorch choose: the multi-tensor kernels on CUDA, the per-tensor loop
    on CPU (measured faster there at batch 1: a model has only 2-4 parameter tensors).
    """
    check_choice(name, "optimizer", OPTIMIZER_NAMES)
    lr = check_positive(lr, "lr")
    l2 = check_positive(l2, "l2", allow_zero=True)
    cls = torch.optim.SGD if name == "sgd" else torch.optim.Adam
    return cls(params, lr=lr, weight_decay=l2, foreach=None)


def train_step(X: torch.Tensor, y: torch.Tensor, model: nn.Module, optimizer: torch.optim.Optimizer,
               criterion: nn.Module) -> torch.Tensor:
    """One update on the batch (X (B, d), y (B,)); returns the loss as a detached 0-d tensor.

    Returning a tensor (not a float) avoids a device synchronisation per step; the training
    loop accumulates these and reads them once per epoch. ``model`` must be in training mode.
    """
    optimizer.zero_grad(set_to_none=True)
    loss = criterion(model(X), y)  # scalar: mean over the batch
    loss.backward()
    optimizer.step()
    return loss.detach()


def train_batch(X: torch.Tensor, y: torch.Tensor, model: nn.Module, optimizer: torch.optim.Optimizer,
                criterion: nn.Module, **kwargs: Any) -> float:
    """The skeleton's ``train_batch``: one gradient step on (X (B, d), y (B,)); the loss as a float."""
    return float(train_step(X, y, model, optimizer, criterion).item())


def _scores_in_chunks(model: nn.Module, X: torch.Tensor) -> Iterable[tuple[int, torch.Tensor]]:
    """(start row, scores (b, n_classes)) per chunk of :data:`EVAL_BATCH` rows, in eval mode."""
    for start in range(0, X.shape[0], EVAL_BATCH):
        yield start, model(X[start:start + EVAL_BATCH])


class _EvalMode:
    """Puts ``model`` in eval mode without gradients, restoring its previous mode afterwards."""

    def __init__(self, model: nn.Module):
        self.model, self.was_training = model, model.training
        self.no_grad = torch.no_grad()

    def __enter__(self) -> None:
        self.model.eval()
        self.no_grad.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.no_grad.__exit__(*exc)
        self.model.train(self.was_training)


def predict(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Predicted labels (N,) for X (N, d): the argmax of the scores (eval mode, no gradients)."""
    with _EvalMode(model):
        return torch.cat([s.argmax(dim=-1) for _, s in _scores_in_chunks(model, X)])


def evaluate(model: nn.Module, X: torch.Tensor, y: torch.Tensor,
             criterion: nn.Module | None = None) -> tuple[float, float]:
    """``(mean loss, accuracy)`` of ``model`` on (X (N, d), y (N,)), computed in large batches.

    ``criterion`` must average over its batch (``reduction="mean"``, the default); chunk means
    are weighted by chunk size. It is optional, as in the 2021-22 skeleton's ``evaluate(model,
    X, y)``: the default is ``nn.CrossEntropyLoss()``, the loss every model here trains with.
    The model's mode and parameters are left unchanged.
    """
    criterion = nn.CrossEntropyLoss() if criterion is None else criterion
    n = X.shape[0]
    loss_sum = torch.zeros((), dtype=torch.float64, device=X.device)
    correct = torch.zeros((), dtype=torch.int64, device=X.device)
    with _EvalMode(model):
        for start, scores in _scores_in_chunks(model, X):
            yb = y[start:start + EVAL_BATCH]
            loss_sum += criterion(scores, yb).double() * yb.shape[0]
            correct += (scores.argmax(dim=-1) == yb).sum()
    return float(loss_sum.item()) / n, float(correct.item()) / n

"""``dlhw.scratch``: the from-scratch numpy models (no ML library, no autodiff).

=====================  ================================================================
``Perceptron``          multi-class, mistake-driven (2025-26 Q1.1, 2021-22 Q3.1a)
``LogisticRegression``  multinomial, L2, batch-1 SGD (2025-26 Q1.2a, 2021-22 Q3.1b)
``MLP``                 one hidden ReLU layer, cross-entropy (2025-26 Q1.3, 2021-22 Q3.2b)
``LinearRegression``    squared error, batch-1 SGD, ``solve_analytically`` (2021-22 Q2.2a)
``NeuralRegression``    one hidden ReLU layer, squared error (2021-22 Q2.2b)
=====================  ================================================================

All share the skeletons' verbs (``update_weight``, ``train_epoch``, ``predict``, ``evaluate``)
and ``state_dict`` / ``load_state_dict``; :func:`make_model` builds one by name. ``kernel=``
(:data:`KERNELS`) picks the compute path: the compiled numba twin (default), the plain-numpy
reference, or float32. Each model binds its own kernel of the private ``_fast*`` modules; those
(and their leaf ``_kernels``) never import a model.
"""

from __future__ import annotations

import warnings
from typing import Any

from dlhw.scratch._base import DEFAULT_KERNEL, KERNELS, ScratchModel, resolve_kernel
from dlhw.scratch.linear import LogisticRegression, Perceptron
from dlhw.scratch.mlp import MLP
from dlhw.scratch.regression import (
    LinearRegression,
    NeuralRegression,
    solve_analytically,
)
from dlhw.validation import check_choice

MODELS: dict[str, type[ScratchModel]] = {
    "perceptron": Perceptron,
    "logistic_regression": LogisticRegression,
    "mlp": MLP,
    "linear_regression": LinearRegression,
    "nn": NeuralRegression,
}


def make_model(kind: str, **config: Any) -> ScratchModel:
    """Build model ``kind`` (a key of :data:`MODELS`, the skeletons' names) from its config."""
    check_choice(kind, "model", MODELS)
    return MODELS[kind](**config)


def model_kind(model: ScratchModel) -> str:
    """The :data:`MODELS` key of ``model``'s class."""
    for kind, cls in MODELS.items():
        if type(model) is cls:
            return kind
    return type(model).__name__


def __getattr__(name: str) -> Any:
    if name == "BACKENDS":  # the old name of KERNELS
        warnings.warn("dlhw.scratch.BACKENDS is deprecated; use dlhw.scratch.KERNELS", DeprecationWarning,
                      stacklevel=2)
        return KERNELS
    raise AttributeError(f"module 'dlhw.scratch' has no attribute {name!r}")


__all__ = ["DEFAULT_KERNEL", "KERNELS", "LinearRegression", "LogisticRegression", "MLP", "MODELS",
           "NeuralRegression",
           "Perceptron", "ScratchModel", "make_model", "model_kind", "resolve_kernel", "solve_analytically"]

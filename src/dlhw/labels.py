"""Human labels for the code's keys: metric names, hyperparameters, grid configuration ids.

One map, used by the plots (axis labels, legends, titles) and by the report (metric rows, table
headers), so a reader sees "validation accuracy" and "learning rate 0.001" wherever the code says
``dev_accuracy`` and ``lr=0.001-3a3e63ea``. Unknown keys fall back to a readable spelling of the
key itself (underscores as spaces, ``dev`` as "validation"), never to an error.

Labels are plain text; :data:`MATH_LABELS` holds the few that read better as mathtext (matplotlib
axis labels only: the report prints the plain twin).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

METRIC_LABELS: dict[str, str] = {
    "train_loss": "training loss", "dev_loss": "validation loss", "test_loss": "test loss",
    "train_accuracy": "training accuracy", "dev_accuracy": "validation accuracy",
    "test_accuracy": "test accuracy", "train_rmse": "training RMSE", "dev_rmse": "validation RMSE",
    "test_rmse": "test RMSE", "best_dev_accuracy": "best validation accuracy",
    "final_train_accuracy": "final training accuracy", "final_dev_accuracy": "final validation accuracy",
    "test_accuracy_final": "test accuracy (final model)",
    "test_accuracy_best": "test accuracy (best-validation checkpoint)",
    "best_epoch": "best epoch", "epochs": "epochs", "epoch_seconds": "seconds per epoch",
    "seconds_per_epoch": "seconds per epoch", "n_configs": "configurations",
    "distance_to_analytic": "distance of the SGD weights to the closed form",
    "max_abs_error_closed_form_vs_general": "largest error, closed form vs general algorithm",
    "max_abs_error_values": "largest error of the values",
    "max_abs_error_derivatives": "largest error of the derivatives",
    "max_abs_error_derivative_vs_finite_difference": "largest error, derivative vs finite differences",
    "n_grid_points": "grid points", "b_values": "values of b",
    "dev_accuracy_by_config": "validation accuracy by configuration",
    "test_accuracy_by_config": "test accuracy by configuration",
    "final_train_loss": "final training loss", "final_dev_loss": "final validation loss",
    "analytic_train_rmse": "closed-form training RMSE", "analytic_test_rmse": "closed-form test RMSE",
    "initial_distance_to_analytic": "initial distance to the closed form",
    "final_distance_to_analytic": "final distance to the closed form",
    "best_checkpoint_test_rmse": "test RMSE of the best checkpoint",
    "active_hidden_fraction_train": "fraction of active hidden units (training set)",
    "best_config": "best configuration", "best_width": "best width", "best_depth": "best depth",
}

MATH_LABELS: dict[str, str] = {
    "distance_to_analytic": r"$\Vert w_{\mathrm{SGD}} - w_{\mathrm{closed\ form}} \Vert_2$",
}

PARAM_LABELS: dict[str, str] = {
    "lr": "learning rate", "learning_rate": "learning rate", "l2": "L2 penalty",
    "l2_penalty": "L2 penalty", "l2_decay": "L2 penalty", "weight_decay": "L2 penalty",
    "dropout": "dropout", "width": "width", "hidden_size": "hidden units", "depth": "hidden layers",
    "layers": "hidden layers", "batch_size": "batch size", "optimizer": "optimiser",
    "activation": "activation", "features": "features", "epochs": "epochs", "seed": "seed",
    "model": "model", "b": "b", "n_train": "training examples", "n_features": "features",
    "grid_seed": "grid seed", "t_max": "largest |t|", "fd_step": "finite-difference step",
}

DATASET_LABELS: dict[str, str] = {"fashion-mnist": "Fashion-MNIST", "emnist-letters": "EMNIST Letters",
                                   "ames": "Ames housing"}

FIGURE_LABELS: dict[str, str] = {
    "best_curves": "training loss and validation accuracy per epoch of the best configuration",
    "accuracy": "accuracy per epoch", "loss": "training loss per epoch", "rmse": "RMSE per epoch",
    "distance": "distance of the SGD weights to the closed-form solution per epoch",
    "functions": "the three functions of t", "derivatives": "their derivatives in t",
    "train_accuracy_vs_width": "final training accuracy against the width",
    "train_accuracy_vs_depth": "final training accuracy against the depth",
    "grid": "every configuration", "per_width": "the best configuration of each width",
    "per_depth": "the best configuration of each depth",
}

_WORDS = {"dev": "validation", "train": "training", "n": "number of", "max": "largest",
          "abs": "absolute", "lr": "learning rate", "l2": "L2", "rmse": "RMSE", "vs": "vs"}
# A grid configuration id: the slug of its varied values, then "-" and eight hex digits.
_CONFIG_ID = re.compile(r"^(?P<slug>.*=.*)-(?P<hash>[0-9a-f]{8})$")


def humanize(key: str) -> str:
    """A readable spelling of an unknown snake_case key: ``train_rmse`` -> ``training RMSE``."""
    words = [w for w in str(key).split("_") if w]
    return " ".join(_WORDS.get(w, w) for w in words) or str(key)


def metric_label(key: str) -> str:
    """The label of a metric (``dev_accuracy`` -> ``validation accuracy``)."""
    return METRIC_LABELS.get(key) or PARAM_LABELS.get(key) or humanize(key)


def figure_label(name: str) -> str:
    """What a run's figure (or table) ``name`` shows: ``best_curves`` -> ``training loss and ...``."""
    return FIGURE_LABELS.get(name) or humanize(name)


def axis_label(key: str) -> str:
    """The axis label of a metric: its mathtext form if it has one, else :func:`metric_label`."""
    return MATH_LABELS.get(key) or metric_label(key)


def param_label(key: str) -> str:
    """The label of a hyperparameter (``lr`` -> ``learning rate``)."""
    return PARAM_LABELS.get(key) or humanize(key)


def fmt_setting(value: Any) -> str:
    """A hyperparameter's value as a reader writes it: ``0.001``, ``1e-05``, ``adam``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def settings_text(params: Mapping[str, Any]) -> str:
    """``{"lr": 0.001, "l2": 0.0}`` -> ``learning rate 0.001, L2 penalty 0``."""
    return ", ".join(f"{param_label(k)} {fmt_setting(v)}" for k, v in params.items())


def config_label(config_id: str) -> str:
    """A grid configuration id as settings: ``lr=0.001_l2=0.0-3a3e63ea`` -> ``learning rate 0.001,
    L2 penalty 0``; anything that is not such an id is returned as is."""
    match = _CONFIG_ID.match(str(config_id))
    if not match:
        return str(config_id)
    # The slug joins "key=value" pairs with "_" and then spells every character outside
    # [A-Za-z0-9.=+-] as "-" (``dlhw.grid.spec``), the joining "_" included; so between two "="
    # stands "value-nextkey", split at the hyphen that starts a known key (else the last one).
    pieces = match["slug"].split("=")
    keys, values, held = [pieces[0]], [], ""
    for piece in pieces[1:-1]:
        cuts = [i for i, ch in enumerate(piece) if ch == "-" and piece[i + 1:i + 2].isalpha()]
        if not cuts:  # a value holding "=" itself (q4.2's variant "lr=0.1")
            held += piece + "="
            continue
        known = [i for i in cuts if piece[i + 1:].replace("-", "_") in PARAM_LABELS]
        if not known and piece.replace("-", "_") in PARAM_LABELS:  # "variant=hidden-size=100"
            held += piece + "="
            continue
        cut = known[0] if known else cuts[-1]
        values.append(held + piece[:cut])
        keys.append(piece[cut + 1:])
        held = ""
    values.append(held + pieces[-1])
    return ", ".join(_setting(k, v) for k, v in zip(keys, values))


def _setting(key: str, value: str) -> str:
    """``lr``, ``0.001`` -> ``learning rate 0.001``; a value that is itself a setting (q4.2's
    ``variant=hidden-size=100``) reads as that setting: ``hidden units 100``."""
    inner_key, eq, inner_value = value.partition("=")
    if eq and inner_key:
        return _setting(inner_key, inner_value)
    return f"{param_label(key.replace('-', '_'))} {_number_or_text(value)}"


def _number_or_text(text: str) -> str:
    try:
        return fmt_setting(float(text)) if not text.lstrip("-").isalpha() else text
    except ValueError:
        return text


def model_text(name: str, config: Mapping[str, Any], lr: float | None = None,
               seed: int | None = None) -> str:
    """A model and its settings for a title: ``MLP, hidden units 100, learning rate 0.001, seed 0``."""
    settings = dict(config)
    if lr is not None:
        settings["lr"] = lr
    if seed is not None:
        settings["seed"] = seed
    text = settings_text(settings)
    return f"{name}, {text}" if text else name

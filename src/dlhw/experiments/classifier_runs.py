"""The scratch (numpy) experiments' shared machinery: a question is a :class:`ClassifierSpec`
(data) and :func:`experiment` makes it runnable.

:func:`run_classifier` trains the spec's model by :func:`dlhw.training.protocol.train` (batch-1
SGD, the best-validation checkpoint reloaded and tested) and builds the result record; the
options every scratch experiment accepts (``--learning-rate``, ``--kernel``, ``--no-resume`` and
the model's own hyperparameters) come from :func:`model_arguments`. Used by 2021-22 Q2/Q3 and
2025-26 Q1.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from dlhw.experiments.base import Experiment, RunContext
from dlhw.labels import DATASET_LABELS
from dlhw.results import TEST_BEST, TEST_FINAL, ExperimentResult, headline_test
from dlhw.scratch import KERNELS, make_model, resolve_kernel
from dlhw.training.protocol import describe, train


@dataclass(frozen=True)
class ClassifierSpec:
    """One scratch-classifier question: the model kind and the text's hyperparameters."""

    exp_id: str
    title: str
    kind: str  # a key of dlhw.scratch.MODELS
    dataset: str
    epochs: int = 20
    hyper: dict[str, Any] = field(default_factory=dict)  # learning_rate, l2, hidden_size
    track_test: bool = False  # score the test split every epoch too


def add_scratch_arguments(p: argparse.ArgumentParser) -> None:
    """Options of every scratch experiment: hyperparameter overrides, kernel, resume."""
    p.add_argument("--learning-rate", type=float, default=None, help="SGD step (default: the text's)")
    p.add_argument("--kernel", choices=KERNELS, default=None,
                   help="compute path: numba twin (default), numpy reference, numba32 (float32)")
    p.add_argument("--backend", choices=KERNELS, default=None, help=argparse.SUPPRESS)  # old --kernel
    p.add_argument("--no-resume", action="store_true", help="start over instead of resuming")


def _model_arguments(p: argparse.ArgumentParser, kind: str) -> None:
    """The scratch options plus only the hyperparameters model ``kind`` has, so that an option
    the model would ignore (``--hidden-size`` for the perceptron) is refused by the parser."""
    add_scratch_arguments(p)
    if kind in ("mlp", "neural_regression"):
        p.add_argument("--hidden-size", type=int, default=None, help="hidden units")
    if kind == "logistic_regression":
        p.add_argument("--l2-penalty", type=float, default=None, help="L2 penalty")


def model_arguments(kind: str):
    """``add_arguments`` of an experiment training model ``kind`` (see :func:`_model_arguments`)."""
    return partial(_model_arguments, kind=kind)


def kernel_option(ctx: RunContext) -> dict[str, str]:
    """``{"kernel": ...}`` for the protocol: ``--kernel``, or the deprecated ``--backend`` spelling
    (with a DeprecationWarning); empty when neither was given (the default kernel applies)."""
    kernel, backend = ctx.option("kernel"), ctx.option("backend")
    return {} if kernel is None and backend is None else {"kernel": resolve_kernel(kernel, backend)}


def preload_kernels(ctx: RunContext) -> None:
    """Load numba and the compiled kernels in the background (:func:`dlhw.scratch.jit.preload`)
    unless the run asked for the numpy reference; call it before loading the data."""
    if kernel_option(ctx).get("kernel", "numba") != "numpy":
        from dlhw.scratch.jit import preload

        preload()


def _hyper(ctx: RunContext, spec: ClassifierSpec) -> tuple[float | None, dict[str, Any]]:
    """The learning rate and the model's own hyperparameters, command-line options first."""
    lr = ctx.option("learning_rate", spec.hyper.get("learning_rate"))
    model_kw: dict[str, Any] = {}
    if spec.kind == "mlp":
        model_kw = {"hidden_size": ctx.option("hidden_size", spec.hyper["hidden_size"]), "seed": ctx.seed}
    if spec.kind == "logistic_regression":
        model_kw = {"l2": ctx.option("l2_penalty", spec.hyper.get("l2", 0.0))}
    return lr, model_kw


def run_classifier(ctx: RunContext, spec: ClassifierSpec, dataset: str | None = None) -> ExperimentResult:
    """Train ``spec``'s model by the protocol in ``ctx.out_dir`` and build its result record.

    Linear models get the constant-1 bias feature (skeleton style); the MLP has explicit biases.
    """
    name = dataset or spec.dataset
    preload_kernels(ctx)
    data = ctx.load(name, bias=spec.kind != "mlp", lazy=True)  # the compiled kernels read the pixels
    lr, model_kw = _hyper(ctx, spec)
    model = make_model(spec.kind, n_classes=data.n_classes, n_features=data.n_features, **model_kw)
    lr = model.default_learning_rate if lr is None else lr
    title = f"{DATASET_LABELS.get(name, name)}: {describe(model, lr, ctx.seed)}"
    res = train(model, data, epochs=ctx.n_epochs(spec.epochs), learning_rate=lr, seed=ctx.seed,
                out_dir=ctx.out_dir, resume=False if ctx.option("no_resume") else "auto",
                track_test=spec.track_test, **kernel_option(ctx),
                progress=ctx.progress, title=title,
                on_epoch=ctx.option("on_epoch"))
    config = {"model": spec.kind, "learning_rate": lr, **{k: v for k, v in model.config().items()
                                                          if k not in ("n_classes", "n_features")},
              "epochs": res.history.epochs, "batch_size": 1, "n_train": len(data.train[1])}
    metrics = res.metrics()
    return ExperimentResult(
        experiment=spec.exp_id, title=spec.title, dataset=name, seed=ctx.seed, metrics=metrics,
        key_metric=headline_test(spec.exp_id), config=config, figures=res.figures,
        notes=[f"test accuracy of the final model (after epoch {metrics['epochs']}) "
               f"{metrics[TEST_FINAL]:.4f}; best validation accuracy "
               f"{metrics.get('best_dev_accuracy', float('nan')):.4f} at epoch {metrics['best_epoch']}, "
               f"test accuracy of that checkpoint (reloaded) {metrics[TEST_BEST]:.4f}"])


def experiment(spec: ClassifierSpec, homework: str, datasets: tuple[str, ...],
               pick_dataset=None) -> Experiment:
    """The :class:`Experiment` running ``spec`` (``pick_dataset(ctx)`` chooses the data set)."""
    def run(ctx: RunContext) -> ExperimentResult:
        return run_classifier(ctx, spec, pick_dataset(ctx) if pick_dataset else None)

    return Experiment(id=spec.exp_id, title=spec.title, homework=homework, run=run,
                      add_arguments=model_arguments(spec.kind), datasets=datasets)

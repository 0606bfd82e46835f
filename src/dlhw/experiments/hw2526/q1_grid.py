"""hw2526.q1.2c: grid search for logistic regression, 3 learning rates x 2 L2 x {pixels, features}.

Each configuration is trained by the standard protocol (:func:`dlhw.training.protocol.train`:
batch-1 SGD, 20 epochs, best-validation checkpoint) in its own folder under ``<out>/grid``, by
:mod:`dlhw.grid` (parallel with ``--jobs``, resumable). The per-configuration work never receives
the test split; the test accuracy is computed once, for the best configuration, by reloading its
best checkpoint. The helpers here (:func:`train_member`, :func:`score_test`) are shared with
hw2526.q1.2b (:mod:`dlhw.experiments.hw2526.q1_features`).
"""

from __future__ import annotations

import argparse
import time
from functools import lru_cache, partial
from typing import Any

from dlhw.data import Dataset
from dlhw.data.dataset import finish
from dlhw.errors import DivergenceError
from dlhw.experiments.base import Experiment, RunContext
from dlhw.experiments.dataref import DataRef, load_ref
from dlhw.experiments.figures import best_curves
from dlhw.experiments.grid_results import summarise_grid
from dlhw.features import FEATURE_MAPS
from dlhw.grid import GridResult, GridRunner, GridSpec, Member, diverged_record
from dlhw.results import TEST_BEST, ExperimentResult
from dlhw.scratch import DEFAULT_KERNEL

EXPERIMENT_ID = "hw2526.q1.2c"
LEARNING_RATES = (1e-4, 1e-3, 1e-2)
L2_VALUES = (1e-5, 1e-3)
BEST_FEATURES = "hog+pool4"
ROW_METRICS = ("best_epoch", "final_train_accuracy", "final_dev_accuracy", "seconds_per_epoch")
WHY_GRID = (
    "Why these values (the outcomes are in the table, not assumed here). Learning rates 0.0001 "
    "(the text's), 0.001 and 0.01: one decade apart, because what batch-1 SGD does depends on the "
    "step on a log scale, and starting from the text's value and going up lets 20 epochs move the "
    "weights further; the HOG blocks have unit norm, so their rows are shorter than raw-pixel rows "
    "and the same step moves the weights less, another reason to try larger steps. L2 penalties "
    "0.00001 (the text's, almost no regularisation) and 0.001 (a hundred times stronger): one value "
    "that barely constrains the weights and one that does, so the grid shows whether "
    "regularisation helps on this data.")


def data_ref(ctx: RunContext) -> DataRef:
    return DataRef(ctx.dataset_or("emnist-letters"), ctx.data_dir, ctx.quick)


@lru_cache(maxsize=2)
def featured(ref: DataRef, features: str) -> tuple[Dataset, float]:
    """The data set mapped by ``features`` with a bias column appended, and the seconds the
    feature map took (for all splits). Cached per worker process (each loads the data once)."""
    fmap = FEATURE_MAPS[features]
    ds = load_ref(ref)
    start = time.perf_counter()
    mapped = ds.map_features(lambda X: finish(fmap(X), bias=True, dtype=X.dtype))
    return mapped, time.perf_counter() - start


def _model(ds: Dataset, params: dict[str, Any]):
    from dlhw.scratch import LogisticRegression

    return LogisticRegression(n_classes=ds.n_classes, n_features=ds.n_features, l2=params["l2"])


def train_member(member: Member, ref: DataRef) -> dict[str, Any]:
    """Train one configuration (``features``, ``lr``, ``l2``, ``epochs``) on train, select on dev.

    ``test=False``: the test set is never touched (only the best configuration is tested, by
    :func:`score_test`). A diverged run is a result (NaN).
    """
    from dlhw.training.protocol import train

    p = member.params
    ds, feature_seconds = featured(ref, p["features"])
    model = _model(ds, p)
    try:
        res = train(model, ds, epochs=p["epochs"], learning_rate=p["lr"], test=False,
                    seed=member.seed, out_dir=member.run_dir, resume="auto", kernel=DEFAULT_KERNEL,
                    title=f"logistic regression, {p['features']}, lr={p['lr']:g}, l2={p['l2']:g}")
    except DivergenceError as exc:
        return diverged_record(exc)
    hist = res.history
    m = hist.metrics
    return {"best_dev_accuracy": max(m["dev_accuracy"]), "best_epoch": hist.best_epoch,
            "epochs": hist.epochs, "final_train_accuracy": hist.last("train_accuracy"),
            "final_dev_accuracy": hist.last("dev_accuracy"), "final_train_loss": hist.last("train_loss"),
            "seconds_per_epoch": res.seconds_per_epoch, "compile_seconds": res.compile_seconds,
            "n_features": ds.n_features,
            "feature_seconds": feature_seconds}


def score_test(member: Member, ref: DataRef) -> dict[str, float]:
    """Test accuracy of ``member``'s best checkpoint, reloaded from disk (best config only)."""
    from dlhw.training.checkpoint import load_checkpoint
    from dlhw.training.protocol import BEST

    ds, _ = featured(ref, member.params["features"])
    model = _model(ds, member.params)
    load_checkpoint(member.run_dir / BEST, model)
    return {"test_accuracy": model.evaluate(*ds.test)}


def run_and_test(ctx: RunContext, spec: GridSpec, ref: DataRef,
                 name: str) -> tuple[GridResult, dict[str, float]]:
    """Run ``spec`` under ``ctx.out_dir/grid`` and test its best configuration."""
    runner = GridRunner(ctx.out_dir / "grid", fn=partial(train_member, ref=ref), jobs=ctx.jobs,
                        seed=ctx.seed, progress=ctx.progress, name=name)
    try:
        result = runner.run(spec)
        return result, result.test_best(partial(score_test, ref=ref))
    finally:  # with jobs=1 the data sets were cached in this process: free them
        featured.cache_clear()
        load_ref.cache_clear()


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lrs", type=float, nargs="+", default=None, help="learning rates (default 1e-4 1e-3 "
                                                                      "1e-2)")
    p.add_argument("--l2s", type=float, nargs="+", default=None, help="L2 penalties (default 1e-5 1e-3)")
    p.add_argument("--features", choices=tuple(FEATURE_MAPS), default=None,
                   help=f"the feature map beside raw pixels (default {BEST_FEATURES})")


def run(ctx: RunContext) -> ExperimentResult:
    ref = data_ref(ctx)
    feats = ctx.option("features", BEST_FEATURES)
    spec = GridSpec(base={"model": "logistic_regression", "dataset": ref.name, "quick": ref.quick,
                          "epochs": ctx.n_epochs(20)},
                    axes={"features": ("pixels", feats), "lr": tuple(ctx.option("lrs", LEARNING_RATES)),
                          "l2": tuple(ctx.option("l2s", L2_VALUES))})
    result, test = run_and_test(ctx, spec, ref, EXPERIMENT_ID)
    best = result.best()
    summary = summarise_grid(ctx, result, spec, test={TEST_BEST: test["test_accuracy"]}, caption=(
        f"Logistic regression (batch-1 SGD, {spec.base['epochs']} epochs) on {ref.name}: best "
        f"validation accuracy of every configuration; test accuracy of the best only."),
        row_metrics=ROW_METRICS, best_keys=("best_epoch", "seconds_per_epoch", "compile_seconds"),
        head={"best_config": best["varied"]}, by_config=True, config={"sgd_kernel": DEFAULT_KERNEL})
    b = best["params"]
    figures = best_curves(result, ctx.out_dir, f"best: {b['features']} features, learning rate {b['lr']:g}, "
                                               f"L2 penalty {b['l2']:g}")
    fmap = FEATURE_MAPS[feats]
    return ExperimentResult(
        experiment=EXPERIMENT_ID, title="Logistic regression grid: learning rate x L2 x features",
        dataset=ref.name, seed=ctx.seed, key_metric=TEST_BEST, metrics=summary.metrics,
        config=summary.config, figures=figures, tables={"grid": summary.table},
        notes=[WHY_GRID, f"Features '{feats}' ({fmap.output_dim} + bias): {fmap.rationale}",
               "Test accuracy is computed only for the configuration with the best validation "
               "accuracy, from its best checkpoint reloaded from disk."])


EXPERIMENTS = [Experiment(id=EXPERIMENT_ID, title="Grid: 3 learning rates x 2 L2 x {pixels, HOG+pool}",
                          homework="hw2526", run=run, add_arguments=add_arguments,
                          datasets=("emnist-letters",))]

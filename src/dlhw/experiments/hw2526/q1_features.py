"""hw2526.q1.2b: feature representations other than raw pixels, why, and what they buy.

Records each feature map's rationale and references (from :mod:`dlhw.features`, kept next to
the code) and measures, per map, logistic regression trained by the standard protocol for a
few epochs with one learning rate and L2 penalty: best validation accuracy, seconds per
training epoch, the feature dimension, and the seconds the map takes per 100k images. The maps
are run as a grid (one axis: the feature map), so ``--jobs`` runs them in parallel.
"""

from __future__ import annotations

import argparse

from dlhw.experiments.base import Experiment, RunContext
from dlhw.experiments.hw2526.q1_grid import data_ref, featured, run_and_test
from dlhw.features import FEATURE_MAPS
from dlhw.grid import GridSpec
from dlhw.results import TEST_BEST, ExperimentResult, Table
from dlhw.scratch import DEFAULT_KERNEL

EXPERIMENT_ID = "hw2526.q1.2b"
DEFAULT_LR = 0.01     # the largest step of the q1.2c grid: a few epochs must move the weights far enough
DEFAULT_L2 = 1e-5     # the text's penalty
COLUMNS = ["features", "goal", "n_features", "best_dev_accuracy", "dev_vs_pixels",
           "seconds_per_epoch", "time_vs_pixels", "feature_seconds_per_100k"]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--maps", nargs="+", choices=tuple(FEATURE_MAPS), default=None,
                   help="feature maps to compare (default: all; pixels is always included)")
    p.add_argument("--lr", type=float, default=None, help=f"learning rate (default {DEFAULT_LR})")
    p.add_argument("--l2", type=float, default=None, help=f"L2 penalty (default {DEFAULT_L2})")


def comparison_table(result, n_images: int) -> Table:
    """One row per map, with accuracy and time relative to raw pixels."""
    by_map = {r["params"]["features"]: r["metrics"] for r in result.records}
    base = by_map["pixels"]
    rows = []
    for name, m in by_map.items():
        rows.append([name, FEATURE_MAPS[name].goal, FEATURE_MAPS[name].output_dim,
                     m["best_dev_accuracy"], m["best_dev_accuracy"] - base["best_dev_accuracy"],
                     m.get("seconds_per_epoch"), m.get("seconds_per_epoch",
                                                       float("nan")) / base["seconds_per_epoch"],
                     m.get("feature_seconds", float("nan")) * 100_000 / n_images])
    best = max(range(len(rows)), key=lambda i: rows[i][3])
    return Table(columns=COLUMNS, rows=rows, highlight=[best], caption=(
        "Logistic regression per feature map: best validation accuracy, its difference to raw "
        "pixels, seconds per training epoch (and ratio to pixels), and feature-extraction "
        "seconds per 100k images."))


def run(ctx: RunContext) -> ExperimentResult:
    ref = data_ref(ctx)
    maps = ("pixels", *[m for m in (ctx.option("maps") or FEATURE_MAPS) if m != "pixels"])
    spec = GridSpec(base={"model": "logistic_regression", "dataset": ref.name, "quick": ref.quick,
                          "epochs": ctx.n_epochs(5), "lr": ctx.option("lr", DEFAULT_LR),
                          "l2": ctx.option("l2", DEFAULT_L2)},
                    axes={"features": maps})
    result, test = run_and_test(ctx, spec, ref, EXPERIMENT_ID)
    ds, _ = featured(ref, "pixels")
    n_images = sum(len(y) for _, y in ds.splits().values())
    table = comparison_table(result, n_images)
    result.write_table(ctx.out_dir / "features_table", table)
    best = result.best()
    return ExperimentResult(
        experiment=EXPERIMENT_ID, title="Feature representations for logistic regression",
        dataset=ref.name, seed=ctx.seed, key_metric="best_dev_accuracy",
        metrics={"best_features": best["params"]["features"],
                 "best_dev_accuracy": best["metrics"]["best_dev_accuracy"],
                 TEST_BEST: test["test_accuracy"],
                 "per_map": {row[0]: dict(zip(COLUMNS[1:], row[1:])) for row in table.rows},
                 "feature_maps": {m: FEATURE_MAPS[m].describe() for m in maps}},
        config={**spec.to_dict(), "grid_seed": ctx.seed, "sgd_kernel": DEFAULT_KERNEL},
        tables={"features": table},
        notes=[f"{m}: {FEATURE_MAPS[m].rationale} References: {'; '.join(FEATURE_MAPS[m].references)}"
               for m in maps if m != "pixels"] +
              ["Per-epoch times are training time only (no evaluation), the median epoch (steady "
               "state: numba's compilation or cache load is timed apart, as compile_seconds); with "
               "--jobs > 1 the maps share the machine, so compare times from one run."])


EXPERIMENTS = [Experiment(id=EXPERIMENT_ID, title="Feature maps (HOG, pooling) vs raw pixels",
                          homework="hw2526", run=run, add_arguments=add_arguments,
                          datasets=("emnist-letters",))]

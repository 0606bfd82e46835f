"""hw2526.q2.2a (and q2.2b, q2.2c): one hidden layer of 16 to 256 units, an 80-configuration grid.

Widths {16, 32, 64, 128, 256} x learning rates {1e-4, 3e-4, 1e-3, 3e-3} x dropout {0, 0.2} x
l2 {0, 1e-4}; Adam, relu, batch 64, 30 epochs. The 16 configurations of one width share a shape,
so they are trained together as one vectorised ensemble (:mod:`dlhw.grid.ensemble`): the same
batches for all, each with its own initialisation, dropout masks and hyperparameters. Every
configuration keeps its best-validation checkpoint; the test set is used once, for the best
configuration overall. :func:`run_sweep` and the table/figure helpers are shared with
hw2526.q2.3a (:mod:`dlhw.experiments.hw2526.q2_depth`).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

from dlhw.errors import ConfigError
from dlhw.experiments.base import (
    Experiment,
    RunContext,
)
from dlhw.experiments.dataref import DataRef, load_ref
from dlhw.experiments.figures import plot_best_curves
from dlhw.experiments.hw2526._sweep_options import add_width_arguments
from dlhw.grid import GridResult, GridSpec
from dlhw.grid.ensemble import EnsembleWork, ensemble_runner
from dlhw.grid.executors import make_backend
from dlhw.grid.store import RUN_DIR
from dlhw.nets import NetConfig
from dlhw.results import TEST_BEST, ExperimentResult, Table
from dlhw.training.history import History

EXPERIMENT_ID = "hw2526.q2.2a"
WIDTHS = (16, 32, 64, 128, 256)
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3)
DROPOUT, L2 = 0.2, 1e-4
FIXED = {"optimizer": "adam", "activation": "relu", "batch_size": 64}
EPOCHS = 30
ROW_METRICS = ("best_epoch", "final_train_accuracy", "final_dev_accuracy", "final_train_loss",
               "seconds_per_epoch")
WHY = ("Adam with relu: Adam's per-weight step sizes make one learning-rate grid work across "
       "widths 16 to 256 (SGD's best step changes with the width and needs more epochs), and relu "
       "trains faster than tanh without saturating. Learning rates 1e-4 to 3e-3, half a decade "
       "apart, bracket Adam's usual 1e-3 for batch 64; dropout 0.2 and l2 (weight decay) 1e-4 are "
       "mild regularisers, strong enough to change the wide models' fit in 30 epochs without "
       "crippling the narrow ones.")

ENSEMBLE_NOTE = ("The 16 configurations of each width were trained as one vectorised ensemble: the same "
                 "shuffled batches (seeded by the grid seed), each with its own initialisation and "
                 "dropout masks (seeded by its own seed).")
TEST_NOTE = ("Test accuracy is computed only for the configuration with the best validation accuracy, "
             "from its best checkpoint reloaded from disk.")


def net_config(params: dict[str, Any]) -> NetConfig:
    """Grid parameters (``width``, ``depth``, ``lr``, ``dropout``, ``l2``, ...) -> NetConfig."""
    return NetConfig(model="mlp", hidden_size=params["width"], layers=params["depth"],
                     lr=params["lr"], dropout=params["dropout"], l2=params["l2"],
                     activation=params["activation"], optimizer=params["optimizer"],
                     batch_size=params["batch_size"], epochs=params["epochs"])


def run_sweep(ctx: RunContext, spec: GridSpec, name: str) -> tuple[GridResult, dict[str, float], DataRef]:
    """Train ``spec`` as ensembles under ``ctx.out_dir/grid``; test the best configuration."""
    ref = DataRef(ctx.dataset_or("emnist-letters"), ctx.data_dir, ctx.quick, dtype="float32")
    ds = load_ref(ref)
    backend = make_backend(ctx.option("backend", "local"), jobs=ctx.jobs, address=ctx.option("address"),
                           num_gpus=ctx.option("num_gpus", 1 if ctx.device.startswith("cuda") else 0))
    data = partial(load_ref, ref)
    if ctx.option("ship_data", False):  # each Ray node gets the data once, through the object store
        if not hasattr(backend, "share"):
            raise ConfigError("--ship-data is for --backend ray; drop it or add --backend ray")
        data = backend.share(ds)
    work = EnsembleWork(data=data, config=net_config, data_seed=ctx.seed,
                        device=ctx.device, progress=ctx.progress and backend.jobs == 1)
    shapes = {work.key(c.params) for c in spec.expand()}
    runner = ensemble_runner(ctx.out_dir / "grid", work, n_features=ds.n_features,
                             n_classes=int(ds.n_classes), spec_groups=len(shapes), backend=backend,
                             budget_bytes=int(ctx.option("budget_mb", 2048)) << 20, seed=ctx.seed,
                             progress=ctx.progress, name=name)
    try:
        result = runner.run(spec)
    finally:
        getattr(backend, "close", lambda: None)()
    if not result.complete:
        raise ConfigError(f"{len(spec) - len(result.records)} configurations have no record in "
                          f"{runner.root}; rerun to resume")
    local = replace(work, data=partial(load_ref, ref))  # the driver tests the best with its own copy
    return result, result.test_best(local.test), ref


def best_per(result: GridResult, axis: str) -> dict[Any, int]:
    """For each value of ``axis``, the index (in ``result.records``) of its best configuration."""
    best: dict[Any, int] = {}
    for i, r in enumerate(result.records):
        v = r["params"][axis]
        if v not in best or result.value(r) > result.value(result.records[best[v]]):
            best[v] = i
    return best


def per_axis(result: GridResult, axis: str, keys: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """``{"<value>": {best_dev_accuracy, final_train_accuracy, config}}`` of each value's best."""
    out = {}
    for value, i in best_per(result, axis).items():
        r = result.records[i]
        out[str(value)] = {"best_dev_accuracy": r["metrics"]["best_dev_accuracy"],
                           "final_train_accuracy": r["metrics"].get("final_train_accuracy"),
                           "best_epoch": r["metrics"].get("best_epoch"),
                           "config": {k: r["params"][k] for k in keys}}
    return out


def axis_table(per: dict[str, dict[str, Any]], axis: str, keys: tuple[str, ...], caption: str) -> Table:
    """One row per axis value (its best configuration); the best value highlighted."""
    values = list(per)
    rows = [[int(v), per[v]["best_dev_accuracy"], per[v]["final_train_accuracy"], per[v]["best_epoch"],
             *[per[v]["config"][k] for k in keys]] for v in values]
    best = max(range(len(rows)), key=lambda i: rows[i][1])
    return Table(columns=[axis, "best_dev_accuracy", "final_train_accuracy", "best_epoch", *keys],
                 rows=rows, highlight=[best], caption=caption)


def best_summary(result: GridResult, test: dict[str, float]) -> tuple[dict[str, Any], History]:
    """The metrics of the best configuration (contract names) and its history."""
    best = result.best()
    history = History.load(result.root / best["id"] / RUN_DIR)
    m = best["metrics"]
    return ({"best_dev_accuracy": m["best_dev_accuracy"], TEST_BEST: test["test_accuracy"],
             "test_loss_best": test.get("test_loss"),
             **{k: m.get(k) for k in ("best_epoch", "epochs", *ROW_METRICS[1:])},
             "best_history": {k: history.metrics[k] for k in ("train_loss", "train_accuracy",
                                                              "dev_accuracy", "dev_loss")},
             "n_configs": len(result.records)}, history)


def run(ctx: RunContext) -> ExperimentResult:
    epochs = ctx.n_epochs(EPOCHS)
    widths = tuple(ctx.option("widths", WIDTHS))
    data_name = ctx.dataset_or("emnist-letters")
    spec = GridSpec(base={**FIXED, "epochs": epochs, "depth": 1, "dataset": data_name, "quick": ctx.quick},
                    axes={"width": widths, "lr": LEARNING_RATES, "dropout": (0.0, DROPOUT), "l2": (0.0, L2)})
    result, test, ref = run_sweep(ctx, spec, EXPERIMENT_ID)
    keys = ("lr", "dropout", "l2", "optimizer", "activation")
    per = per_axis(result, "width", keys)
    grid = result.table(metrics=ROW_METRICS, test={TEST_BEST: test["test_accuracy"]}, caption=(
        f"One hidden layer, Adam, relu, batch 64, {epochs} epochs on {ref.name}: best validation "
        f"accuracy of each configuration; bold: the best of each width; test accuracy of the best only."))
    grid.highlight = sorted(best_per(result, "width").values())
    result.write_table(ctx.out_dir / "grid_table", grid)
    width_table = axis_table(per, "width", keys[:3], "The best configuration of each width.")
    metrics, history = best_summary(result, test)
    best = result.best()["params"]
    figures = {"best_curves": plot_best_curves(history, ctx.out_dir, f"best: width {best['width']}, "
                                               f"lr {best['lr']:g}, dropout {best['dropout']:g}, l2 "
                                               f"{best['l2']:g}")}
    from dlhw.training.plots import plot_series

    xs = [int(w) for w in per]
    figures["train_accuracy_vs_width"] = plot_series(
        {"final training accuracy": [per[str(w)]["final_train_accuracy"] for w in xs],
         "best validation accuracy": [per[str(w)]["best_dev_accuracy"] for w in xs]},
        ctx.out_dir / "train_accuracy_vs_width", x=xs, xlabel="hidden units (one layer)",
        ylabel="accuracy", title="Best model of each width")[0]
    return ExperimentResult(
        experiment=EXPERIMENT_ID, title=EXPERIMENTS[0].title, dataset=ref.name, seed=ctx.seed,
        key_metric=TEST_BEST,
        metrics={**metrics, "per_width": per, "best_width": int(best["width"]),
                 "best_config": {k: best[k] for k in ("width", *keys, "batch_size", "epochs")}},
        config={**spec.to_dict(), "grid_seed": ctx.seed, "device": ctx.device,
                "backend": ctx.option("backend", "local")},
        figures=figures, tables={"grid": grid, "per_width": width_table},
        notes=[WHY, ENSEMBLE_NOTE, TEST_NOTE])


EXPERIMENTS = [Experiment(id=EXPERIMENT_ID, title="Width sweep: one hidden layer, 16-256 units, 80 "
                                                  "configurations",
                          homework="hw2526", run=run, add_arguments=add_width_arguments,
                          datasets=("emnist-letters",), covers=("hw2526.q2.2b", "hw2526.q2.2c"))]

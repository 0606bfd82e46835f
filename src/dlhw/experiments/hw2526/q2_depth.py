"""hw2526.q2.3a (and q2.3b, q2.3c): 32 units per layer, 1 to 9 hidden layers.

Learning rate, dropout, l2, optimiser and activation are those of the best 32-unit configuration
of hw2526.q2.2a, read from its stored result; batch 64, 30 epochs. Each depth is its own shape,
so each is an ensemble of one (depths run in parallel with ``--jobs`` or on Ray).
"""

from __future__ import annotations

from typing import Any

from dlhw.errors import ConfigError, DlhwError
from dlhw.experiments.base import Experiment, RunContext
from dlhw.experiments.ensemble_sweep import EPOCHS, FIXED, run_sweep, sweep_summary
from dlhw.experiments.figures import plot_best_curves
from dlhw.experiments.grid_results import axis_table, per_axis
from dlhw.experiments.hw2526._sweep_options import add_depth_arguments
from dlhw.grid import GridSpec
from dlhw.results import TEST_BEST, ExperimentResult, load_result
from dlhw.training.plots import plot_series

EXPERIMENT_ID = "hw2526.q2.3a"
WIDTH = 32
DEPTHS = (1, 3, 5, 7, 9)
WIDTH_ID = "hw2526.q2.2a"  # the width sweep whose best 32-unit configuration is reused
TUNED = ("lr", "dropout", "l2", "optimizer", "activation")


def tuned_32(ctx: RunContext) -> tuple[dict[str, Any], list[str]]:
    """The best 32-unit hyperparameters of hw2526.q2.2a, and notes on where they came from."""
    folder = ctx.run_dir(WIDTH_ID)
    try:
        source = load_result(folder)  # None when there is no result
    except DlhwError:  # unreadable: the same advice
        source = None
    if source is None:
        raise ConfigError(f"hw2526.q2.3a needs the result of {WIDTH_ID} in {folder}; "
                          f"run `dlhw run {WIDTH_ID}` first")
    entry = source.metrics.get("per_width", {}).get(str(WIDTH))
    if not entry or any(k not in entry.get("config", {}) for k in TUNED):
        raise ConfigError(f"{folder} has no {WIDTH}-unit configuration with {', '.join(TUNED)}; "
                          f"rerun {WIDTH_ID} with width {WIDTH} in --widths")
    notes = [f"Hyperparameters of the best {WIDTH}-unit model of {WIDTH_ID} (validation "
             f"accuracy {entry['best_dev_accuracy']:.4f}): " +
             ", ".join(f"{k} {entry['config'][k]}" for k in TUNED) + "."]
    ds = ctx.dataset_or("emnist-letters")
    if source.dataset != ds or bool(source.quick) != ctx.quick:
        notes.append(f"Warning: they were tuned on {source.dataset}{' (quick)' * bool(source.quick)}, "
                     f"this run uses {ds}{' (quick)' * ctx.quick}.")
    return {k: entry["config"][k] for k in TUNED}, notes


def run(ctx: RunContext) -> ExperimentResult:
    tuned, notes = tuned_32(ctx)
    epochs = ctx.n_epochs(EPOCHS)
    base = {**tuned, "batch_size": FIXED["batch_size"], "epochs": epochs, "width": WIDTH,
            "dataset": ctx.dataset or "emnist-letters", "quick": ctx.quick}
    spec = GridSpec(base=base, axes={"depth": tuple(ctx.option("depths", DEPTHS))})
    result, test, ref = run_sweep(ctx, spec, EXPERIMENT_ID)
    per = per_axis(result, "depth", TUNED)
    summary, history = sweep_summary(ctx, result, spec, test, caption=(
        f"{WIDTH} units per hidden layer, hyperparameters of the best {WIDTH}-unit "
        f"model of q2.2a, {epochs} epochs on {ref.name}; test accuracy of the best only."))
    depth_table = axis_table(per, "depth", (), "Highest validation accuracy during training per depth.")
    best = result.best()["params"]
    xs = [int(d) for d in per]
    figures = {"best_curves": plot_best_curves(history, ctx.out_dir, f"best: {best['depth']} hidden "
                                                     f"layers of {WIDTH} units"),
               "train_accuracy_vs_depth": plot_series(
                   {"final training accuracy": [per[str(d)]["final_train_accuracy"] for d in xs],
                    "best validation accuracy": [per[str(d)]["best_dev_accuracy"] for d in xs]},
                   ctx.out_dir / "train_accuracy_vs_depth", x=xs, xlabel=f"hidden layers ({WIDTH} units "
                                                                         f"each)",
                   ylabel="accuracy", title="Accuracy against depth")[0]}
    for entry in per.values():
        entry.pop("config")  # the same for every depth: in best_config
    return ExperimentResult(
        experiment=EXPERIMENT_ID, title=EXPERIMENTS[0].title, dataset=ref.name, seed=ctx.seed,
        key_metric=TEST_BEST,
        metrics={**summary.metrics, "per_depth": per, "best_depth": int(best["depth"]),
                 "best_config": {"depth": int(best["depth"]), "width": WIDTH, **tuned,
                                 "batch_size": base["batch_size"], "epochs": epochs}},
        config=summary.config, figures=figures, tables={"grid": summary.table, "per_depth": depth_table},
        notes=notes)


EXPERIMENTS = [Experiment(id=EXPERIMENT_ID, title="Depth sweep: 32 units per layer, 1 to 9 hidden layers",
                          homework="hw2526", run=run, add_arguments=add_depth_arguments,
                          datasets=("emnist-letters",), covers=("hw2526.q2.3b", "hw2526.q2.3c"),
                          depends=(WIDTH_ID,))]

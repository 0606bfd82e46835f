"""hw2526.q2.2a (and q2.2b, q2.2c): one hidden layer of 16 to 256 units, an 80-configuration grid.

Widths {16, 32, 64, 128, 256} x learning rates {1e-4, 3e-4, 1e-3, 3e-3} x dropout {0, 0.2} x
l2 {0, 1e-4}; Adam, relu, batch 64, 30 epochs. The 16 configurations of one width share a shape,
so they are trained together as one vectorised ensemble (:mod:`dlhw.grid.ensemble`): the same
batches for all, each with its own initialisation, dropout masks and hyperparameters. Every
configuration keeps its best-validation checkpoint; the test set is used once, for the best
configuration overall. :func:`~dlhw.experiments.ensemble_sweep.run_sweep` and the table helpers
(:mod:`dlhw.experiments.grid_results`) are shared with hw2526.q2.3a
(:mod:`dlhw.experiments.hw2526.q2_depth`).
"""

from __future__ import annotations

from dlhw.experiments.base import Experiment, RunContext
from dlhw.experiments.ensemble_sweep import EPOCHS, FIXED, run_sweep, sweep_summary
from dlhw.experiments.figures import plot_best_curves
from dlhw.experiments.grid_results import axis_table, best_per, per_axis
from dlhw.experiments.hw2526._sweep_options import add_width_arguments
from dlhw.grid import GridSpec
from dlhw.results import TEST_BEST, ExperimentResult

EXPERIMENT_ID = "hw2526.q2.2a"
WIDTHS = (16, 32, 64, 128, 256)
LEARNING_RATES = (1e-4, 3e-4, 1e-3, 3e-3)
DROPOUT, L2 = 0.2, 1e-4
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


def run(ctx: RunContext) -> ExperimentResult:
    epochs = ctx.n_epochs(EPOCHS)
    widths = tuple(ctx.option("widths", WIDTHS))
    data_name = ctx.dataset_or("emnist-letters")
    spec = GridSpec(base={**FIXED, "epochs": epochs, "depth": 1, "dataset": data_name, "quick": ctx.quick},
                    axes={"width": widths, "lr": LEARNING_RATES, "dropout": (0.0, DROPOUT), "l2": (0.0, L2)})
    result, test, ref = run_sweep(ctx, spec, EXPERIMENT_ID)
    keys = ("lr", "dropout", "l2", "optimizer", "activation")
    per = per_axis(result, "width", keys)
    summary, history = sweep_summary(ctx, result, spec, test, caption=(
        f"One hidden layer, Adam, relu, batch 64, {epochs} epochs on {ref.name}: best validation "
        f"accuracy of each configuration; bold: the best of each width; test accuracy of the best only."),
        highlight=best_per(result, "width").values(), config={"backend": ctx.option("backend", "local")})
    width_table = axis_table(per, "width", keys[:3], "The best configuration of each width.")
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
        metrics={**summary.metrics, "per_width": per, "best_width": int(best["width"]),
                 "best_config": {k: best[k] for k in ("width", *keys, "batch_size", "epochs")}},
        config=summary.config, figures=figures, tables={"grid": summary.table, "per_width": width_table},
        notes=[WHY, ENSEMBLE_NOTE, TEST_NOTE])


EXPERIMENTS = [Experiment(id=EXPERIMENT_ID, title="Width sweep: one hidden layer, 16-256 units, 80 "
                                                  "configurations",
                          homework="hw2526", run=run, add_arguments=add_width_arguments,
                          datasets=("emnist-letters",), covers=("hw2526.q2.2b", "hw2526.q2.2c"))]

"""2021-22 Q2.2: Ames house prices by linear regression (2a) and a one-hidden-layer network (2b).

Both: batch-1 SGD on the squared error, lr 0.001, 150 epochs; train and test RMSE per epoch (the
text has no validation set). The kept checkpoint is the epoch with the lowest *training* RMSE
(choosing by test error would peek at the test set); ``test_rmse`` is the last epoch's, as the
text's plots show. Q2.2a also solves least squares in closed form and tracks the distance of the
SGD weights to that solution every epoch.
"""

from __future__ import annotations

import numpy as np

from dlhw.experiments.base import Experiment, RunContext
from dlhw.experiments.classifier_runs import kernel_option, model_arguments
from dlhw.labels import DATASET_LABELS
from dlhw.results import ExperimentResult
from dlhw.scratch import LinearRegression, NeuralRegression, solve_analytically
from dlhw.training.plots import plot_history
from dlhw.training.protocol import describe, train

EPOCHS = 150
LEARNING_RATE = 0.001
HIDDEN = 150


def _train(ctx: RunContext, exp_id: str, model, data, hook=None):
    lr = ctx.option("learning_rate", LEARNING_RATE)
    title = f"{DATASET_LABELS['ames']}: {describe(model, lr, ctx.seed)}"
    res = train(model, data, epochs=ctx.n_epochs(EPOCHS), learning_rate=lr, seed=ctx.seed,
                out_dir=ctx.out_dir, resume=False if ctx.option("no_resume") else "auto",
                **kernel_option(ctx), epoch_hook=hook, progress=ctx.progress,
                title=title, on_epoch=ctx.option("on_epoch"))
    config = {"learning_rate": lr, "epochs": res.history.epochs, "batch_size": 1,
              "n_train": len(data.train[1]), "loss": "0.5 * squared error",
              "checkpoint": "lowest training RMSE", **model.config()}
    return res, config, title


def run_linear(ctx: RunContext) -> ExperimentResult:
    """Q2.2a: SGD linear regression vs the closed-form least-squares solution."""
    data = ctx.load("ames", bias=True)
    X, y = data.train
    w_star = solve_analytically(X, y)
    model = LinearRegression(data.n_features)
    initial = model.distance_to(w_star)
    analytic = LinearRegression(data.n_features)
    analytic.w = w_star.copy()
    res, config, title = _train(ctx, "hw2122.q2.2a", model, data,
                                hook=lambda m, _: {"distance_to_analytic": m.distance_to(w_star)})
    figures = dict(res.figures)
    figures["distance"] = plot_history(res.history, ["distance_to_analytic"], ctx.out_dir / "distance",
                                       title=title)[0]
    metrics = {**res.metrics(),
               "analytic_train_rmse": analytic.evaluate(X, y),
               "analytic_test_rmse": analytic.evaluate(*data.test),
               "initial_distance_to_analytic": initial,
               "final_distance_to_analytic": res.history.last("distance_to_analytic")}
    notes = [f"closed form by numpy.linalg.lstsq (minimum-norm least squares, {X.shape[1]} weights incl. "
             f"bias, {X.shape[0]} training rows)"]
    return ExperimentResult(experiment="hw2122.q2.2a", title=EXPERIMENTS[0].title, dataset="ames",
                            seed=ctx.seed, metrics=metrics, key_metric="test_rmse", config=config,
                            figures=figures, notes=notes)


def run_network(ctx: RunContext) -> ExperimentResult:
    """Q2.2b: one hidden ReLU layer (150 units), squared error, the texts' init."""
    data = ctx.load("ames", bias=False)
    model = NeuralRegression(data.n_features, ctx.option("hidden_size", HIDDEN), seed=ctx.seed)
    res, config, _ = _train(ctx, "hw2122.q2.2b", model, data)
    X = data.train[0]
    active = float(np.mean(X @ model.W1.T + model.b1 > 0))  # (N, H) ReLUs on, best checkpoint
    metrics = {**res.metrics(), "active_hidden_fraction_train": active}
    notes = [f"{active:.2%} of the (example, hidden unit) pairs are active on the training set: "
             f"units that die (ReLU input < 0 for every example) stop learning"]
    return ExperimentResult(experiment="hw2122.q2.2b", title=EXPERIMENTS[1].title, dataset="ames",
                            seed=ctx.seed, metrics=metrics, key_metric="test_rmse",
                            config=config, figures=res.figures, notes=notes)


EXPERIMENTS = [
    Experiment(id="hw2122.q2.2a", title="Linear regression on Ames by SGD vs the closed form (numpy)",
               homework="hw2122", run=run_linear, add_arguments=model_arguments("linear_regression"),
               datasets=("ames",)),
    Experiment(id="hw2122.q2.2b", title="One-hidden-layer ReLU network regression on Ames (numpy)",
               homework="hw2122", run=run_network, add_arguments=model_arguments("neural_regression"),
               datasets=("ames",)),
]

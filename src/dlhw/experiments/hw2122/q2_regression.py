"""2021-22 Q2.2: Ames house prices by linear regression (2a) and a one-hidden-layer network (2b).

Both: batch-1 SGD on the squared error, lr 0.001, 150 epochs; train and test RMSE per epoch (the
text has no validation set). The kept checkpoint is the epoch with the lowest *training* RMSE
(choosing by test error would peek at the test set); ``test_rmse`` is the last epoch's, as the
text's plots show. Q2.2a also solves least squares in closed form and tracks the distance of the
SGD weights to that solution every epoch.

**Seeds.** One seed can mislead: with the text's all-positive-mean initialisation the network
sometimes collapses in its first epoch (every hidden ReLU dies and it predicts a constant; see
:mod:`dlhw.training.collapse`). So both experiments also train :data:`SEEDS` (including the
skeleton's default 42 and the run's own ``--seed``, the *headline seed*, whose curves are
plotted) and record each seed's result, the median, the range and, for the network, how many
runs collapsed (``per_seed``, table ``seeds``; names in ``docs/results.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dlhw.experiments.base import Experiment, RunContext
from dlhw.experiments.classifier_runs import kernel_option, preload_kernels
from dlhw.experiments.hw2122._q2_options import SEEDS, seed_arguments
from dlhw.labels import DATASET_LABELS
from dlhw.results import ExperimentResult, Table
from dlhw.scratch import LinearRegression, NeuralRegression, solve_analytically
from dlhw.training.checkpoint import load_checkpoint
from dlhw.training.collapse import active_fraction, collapse_signs
from dlhw.training.plots import plot_history
from dlhw.training.protocol import describe, train

EPOCHS = 150
LEARNING_RATE = 0.001
HIDDEN = 150


def seeds_of(ctx: RunContext) -> list[int]:
    """The seeds of the study: ``--seeds`` (default :data:`SEEDS`) plus the headline ``ctx.seed``."""
    return sorted({*map(int, ctx.option("seeds", SEEDS)), int(ctx.seed)})


def _train(ctx: RunContext, exp_id: str, model, data, hook=None, seed: int | None = None,
           out_dir=None):
    lr = ctx.option("learning_rate", LEARNING_RATE)
    seed = ctx.seed if seed is None else seed
    headline = out_dir is None
    title = f"{DATASET_LABELS['ames']}: {describe(model, lr, seed)}"
    res = train(model, data, epochs=ctx.n_epochs(EPOCHS), learning_rate=lr, seed=seed,
                out_dir=ctx.out_dir if headline else out_dir,
                resume=False if ctx.option("no_resume") else "auto",
                **kernel_option(ctx), epoch_hook=hook, progress=ctx.progress and headline,
                title=title, on_epoch=ctx.option("on_epoch") if headline else None, plots=headline)
    config = {"learning_rate": lr, "epochs": res.history.epochs, "batch_size": 1,
              "n_train": len(data.train[1]), "loss": "0.5 * squared error",
              "checkpoint": "lowest training RMSE", **model.config()}
    return res, config, title


def _other_seeds(ctx: RunContext, exp_id: str, data, make: Callable[[int], Any],
                 measure: Callable[[Any, Any], dict[str, Any]], headline: dict[str, Any]) -> dict[str, dict]:
    """``{seed: measure(model, result)}`` for every seed of :func:`seeds_of`; the headline seed's
    entry is ``headline`` (already trained), the others train in ``<out>/seeds/seed-<s>``."""
    per: dict[str, dict] = {}
    for s in seeds_of(ctx):
        if s == int(ctx.seed):
            per[str(s)] = headline
            continue
        model = make(s)
        res, _, _ = _train(ctx, exp_id, model, data, seed=s, out_dir=ctx.out_dir / "seeds" / f"seed-{s}")
        per[str(s)] = measure(model, res)
    return per


def seed_summary(per: dict[str, dict], headline: int) -> dict[str, Any]:
    """Median and range of the per-seed RMSEs, over all seeds and (network) over the healthy ones."""
    out: dict[str, Any] = {"headline_seed": int(headline), "seeds": [int(s) for s in per],
                           "n_seeds": len(per)}
    for key in ("train_rmse", "test_rmse"):
        values = [e[key] for e in per.values()]
        out.update({f"{key}_median": float(np.median(values)), f"{key}_min": float(min(values)),
                    f"{key}_max": float(max(values))})
    if any("collapsed" in e for e in per.values()):
        healthy = [e for e in per.values() if not e["collapsed"]]
        out["collapsed_runs"] = len(per) - len(healthy)
        out["collapsed_seeds"] = [int(s) for s, e in per.items() if e["collapsed"]]
        for key in ("train_rmse", "test_rmse"):
            out[f"{key}_median_healthy"] = (float(np.median([e[key] for e in healthy])) if healthy
                                            else float("nan"))
    return out


def seed_table(per: dict[str, dict], headline: int, what: str) -> Table:
    """One row per seed; the headline seed's row highlighted."""
    extra = [k for k in ("active_hidden_fraction_train", "collapsed") if any(k in e for e in per.values())]
    columns = ["seed", "train_rmse", "test_rmse", *extra]
    rows = [[int(s), e["train_rmse"], e["test_rmse"], *[e.get(k) for k in extra]] for s, e in per.items()]
    return Table(columns=columns, rows=rows, highlight=[],
                 caption=f"{what}: final training and test RMSE (after the last epoch) of every seed; "
                         f"the headline seed, whose curves are plotted, is {headline}.")


def run_linear(ctx: RunContext) -> ExperimentResult:
    """Q2.2a: SGD linear regression vs the closed-form least-squares solution."""
    preload_kernels(ctx)
    data = ctx.load("ames", bias=True)
    X, y = data.train
    w_star = solve_analytically(X, y)
    model = LinearRegression(data.n_features)
    initial = model.distance_to(w_star)
    analytic = LinearRegression(data.n_features)
    analytic.w = w_star.copy()
    res, config, title = _train(ctx, "hw2122.q2.2a", model, data,
                                hook=lambda m, _: {"distance_to_analytic": m.distance_to(w_star)})

    def measure(_model, r) -> dict[str, Any]:
        return {"train_rmse": r.history.last("train_rmse"), "test_rmse": r.history.last("test_rmse")}

    per = _other_seeds(ctx, "hw2122.q2.2a", data, lambda s: LinearRegression(data.n_features), measure,
                       measure(model, res))
    figures = dict(res.figures)
    figures["distance"] = plot_history(res.history, ["distance_to_analytic"], ctx.out_dir / "distance",
                                       title=title)[0]
    metrics = {**res.metrics(),
               "analytic_train_rmse": analytic.evaluate(X, y),
               "analytic_test_rmse": analytic.evaluate(*data.test),
               "initial_distance_to_analytic": initial,
               "final_distance_to_analytic": res.history.last("distance_to_analytic"),
               "per_seed": per, **seed_summary(per, ctx.seed)}
    notes = [f"closed form by numpy.linalg.lstsq (minimum-norm least squares, {X.shape[1]} weights incl. "
             f"bias, {X.shape[0]} training rows)",
             f"headline seed {ctx.seed} (curves, train_rmse, test_rmse); seeds {per_seed_list(per)} in the "
             f"seeds table (the weights start at zero, so the seed only changes the example order)"]
    return ExperimentResult(experiment="hw2122.q2.2a", title=EXPERIMENTS[0].title, dataset="ames",
                            seed=ctx.seed, metrics=metrics, key_metric="test_rmse", config=config,
                            figures=figures, notes=notes,
                            tables={"seeds": seed_table(per, ctx.seed, "Linear regression")})


def per_seed_list(per: dict[str, dict]) -> str:
    return ", ".join(per)


def run_network(ctx: RunContext) -> ExperimentResult:
    """Q2.2b: one hidden ReLU layer (150 units), squared error, the texts' init."""
    preload_kernels(ctx)
    data = ctx.load("ames", bias=False)
    X, y = data.train
    target_std = float(np.std(y))  # the training RMSE of the best constant prediction (the mean)
    hidden = ctx.option("hidden_size", HIDDEN)

    def make(s: int) -> NeuralRegression:
        return NeuralRegression(data.n_features, hidden, seed=s)

    def measure(m: NeuralRegression, r) -> dict[str, Any]:
        load_checkpoint(r.last_path, m)  # the final model (train() leaves the best checkpoint)
        active = active_fraction(X, m.W1, m.b1)
        train_rmse, test_rmse = r.history.last("train_rmse"), r.history.last("test_rmse")
        return {"train_rmse": train_rmse, "test_rmse": test_rmse, "active_hidden_fraction_train": active,
                "collapsed": bool(collapse_signs(train_rmse, target_std, active))}

    model = make(ctx.seed)
    res, config, _ = _train(ctx, "hw2122.q2.2b", model, data)
    headline = measure(model, res)
    per = _other_seeds(ctx, "hw2122.q2.2b", data, make, measure, headline)
    active = headline["active_hidden_fraction_train"]
    metrics = {**res.metrics(), "train_target_std": target_std,
               "active_hidden_fraction_train": active, "collapsed": headline["collapsed"],
               "per_seed": per, **seed_summary(per, ctx.seed)}
    notes = [f"{100 * active:.3g}% of the (example, hidden unit) pairs are active on the training set (final "
             f"model, headline seed {ctx.seed}): units that die (ReLU input < 0 for every example) stop "
             f"learning; the training targets' standard deviation, the RMSE of a constant prediction, "
             f"is {target_std:.4f}"]
    return ExperimentResult(experiment="hw2122.q2.2b", title=EXPERIMENTS[1].title, dataset="ames",
                            seed=ctx.seed, metrics=metrics, key_metric="test_rmse",
                            config=config, figures=res.figures, notes=notes,
                            tables={"seeds": seed_table(per, ctx.seed, "One-hidden-layer network")})


EXPERIMENTS = [
    Experiment(id="hw2122.q2.2a", title="Linear regression on Ames by SGD vs the closed form (numpy)",
               homework="hw2122", run=run_linear, add_arguments=seed_arguments("linear_regression"),
               datasets=("ames",)),
    Experiment(id="hw2122.q2.2b", title="One-hidden-layer ReLU network regression on Ames (numpy)",
               homework="hw2122", run=run_network, add_arguments=seed_arguments("neural_regression"),
               datasets=("ames",)),
]

"""hw2122 Q4: PyTorch logistic regression (4.1), a one-hidden-layer FFN tuned one hyperparameter at
a time (4.2) and the same FFN with 2 and 3 hidden layers (4.3), on Fashion-MNIST.

Every configuration is trained by :func:`dlhw.training.torch_loop.train_torch` (batch-1 SGD by
default, 20 epochs, best-validation checkpoint) in its own folder under ``<out>/grid``, run by
:mod:`dlhw.grid` (resumable per configuration, parallel with ``--jobs``). The per-configuration
work never touches the test split; the test accuracy is computed once, for the configuration
with the best validation accuracy: of its final model (``last.npz``, ``test_accuracy_final``,
the headline: the text asks for "the final accuracy on the test set") and of its best
checkpoint (``test_accuracy_best``), both reloaded from disk.
:class:`TorchWork` is the grid's work function for any :class:`~dlhw.nets.NetConfig` grid.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, fields
from typing import Any

from dlhw.errors import ConfigError, DivergenceError
from dlhw.experiments.base import (
    QUICK_TRAIN_ROWS,
    Experiment,
    RunContext,
)
from dlhw.experiments.dataref import DataRef, load_ref
from dlhw.experiments.figures import best_curves
from dlhw.experiments.grid_results import summarise_grid
from dlhw.experiments.hw2122._q4_options import add_arguments
from dlhw.grid import GridRunner, GridSpec, Member, diverged_record
from dlhw.grid.ensemble import layer_sizes
from dlhw.nets import NetConfig
from dlhw.results import TEST_BEST, TEST_FINAL, ExperimentResult
from dlhw.training.torch_loop import test_best, train_torch

DATASET = "fashion-mnist"
# Table 1 of the 2021-22 text: the defaults of Q4.2 and Q4.3
DEFAULTS = NetConfig(model="mlp", lr=0.01, hidden_size=200, layers=1, dropout=0.3,
                     activation="relu", optimizer="sgd", batch_size=1, epochs=20)
ROW_METRICS = ("best_epoch", "final_train_accuracy", "final_dev_accuracy", "final_train_loss",
               "seconds_per_epoch")
DATA_KEYS = ("dataset", "quick", "variant")  # grid parameters that are not hyperparameters


def apply_variant(params: dict[str, Any]) -> dict[str, Any]:
    """Apply ``params["variant"]`` (``"default"`` or ``"name=value"``) to the other parameters."""
    variant = params.get("variant", "default")
    out = {k: v for k, v in params.items() if k != "variant"}
    if variant == "default":
        return out
    name, _, text = str(variant).partition("=")
    types = {f.name: type(getattr(DEFAULTS, f.name)) for f in fields(NetConfig)}
    if name not in types or not text:
        raise ConfigError(f"variant {variant!r} is not 'default' or NAME=VALUE with NAME one of "
                          f"{', '.join(types)}")
    out[name] = types[name](text)
    return out


def net_config(params: dict[str, Any]) -> NetConfig:
    """The :class:`NetConfig` of a grid member's parameters (data keys dropped, variant applied)."""
    p = apply_variant(params)
    return NetConfig.from_dict({k: v for k, v in p.items() if k not in DATA_KEYS})


ADAM_COST = 3  # an Adam step costs about 3 SGD steps of the same network (benchmarks/torch_batch1.py)


def config_cost(members: list[Member]) -> float:
    """Expected work of grid members (weights x epochs, Adam x3): the grid starts the longest first."""
    total = 0.0
    for m in members:
        cfg = net_config(m.params)
        weights = sum(a * b for a, b in itertools.pairwise(layer_sizes(cfg, 784, 10)))  # Fashion-MNIST
        total += weights * cfg.epochs * (ADAM_COST if cfg.optimizer == "adam" else 1)
    return total


@dataclass(frozen=True)
class TorchWork:
    """The grid's work function (picklable): train one member on train, select on dev."""

    data: DataRef
    device: str = "cpu"
    progress: bool = False
    kernel: str = "fast"  # dlhw.training.torch_fast where it applies, else the plain loop

    def __call__(self, member: Member) -> dict[str, Any]:
        try:
            res = train_torch(net_config(member.params), load_ref(self.data), out_dir=member.run_dir,
                              seed=member.seed, device=self.device, progress=self.progress,
                              plots=False, test=False, kernel=self.kernel)
        except DivergenceError as exc:  # a diverged configuration is a result, not a crash
            return diverged_record(exc)
        return {k: v for k, v in res.metrics().items() if not k.startswith("test_")}

    def test(self, member: Member) -> dict[str, float]:
        """Test scores of ``member``'s reloaded best checkpoint (called for the best only)."""
        return test_best(member.run_dir, load_ref(self.data), self.device)


@dataclass(frozen=True)
class Question:
    """One Q4 part: its grid (``base`` over :data:`DEFAULTS`, ``axes``) and its words."""

    exp_id: str
    title: str
    base: dict[str, Any]
    axes: dict[str, tuple]
    caption: str


QUESTIONS = (
    Question("hw2122.q4.1", "PyTorch logistic regression, batch-1 SGD, learning rate tuned",
             {"model": "logistic_regression", "dropout": 0.0}, {"lr": (0.001, 0.01, 0.1)},
             "Logistic regression (PyTorch, batch-1 SGD): learning rate tuned on validation."),
    Question("hw2122.q4.2", "PyTorch FFN with dropout, one hyperparameter tuned at a time", {},
             {"variant": ("default", "lr=0.001", "lr=0.1", "hidden_size=100", "dropout=0.5",
                          "activation=tanh", "optimizer=adam")},
             "One-hidden-layer FFN: Table 1 defaults (lr 0.01, 200 units, dropout 0.3, batch 1, "
             "ReLU, SGD), each hyperparameter varied alone."),
    Question("hw2122.q4.3", "PyTorch FFN with 2 and 3 hidden layers (Table 1 defaults)", {},
             {"layers": (2, 3)}, "FFN with 2 and 3 hidden layers, Table 1 defaults otherwise."),
)


def run_question(ctx: RunContext, q: Question) -> ExperimentResult:
    """Run ``q``'s grid, test its best configuration, write the table and the best curves."""
    ref = DataRef(DATASET, ctx.data_dir, ctx.quick, dtype="float32", train_rows=QUICK_TRAIN_ROWS)
    base = {**DEFAULTS.to_dict(), **q.base, "epochs": ctx.n_epochs(DEFAULTS.epochs),
            "dataset": ref.name, "quick": ref.quick}
    spec = GridSpec(base={k: v for k, v in base.items() if k not in q.axes}, axes=q.axes)
    work = TorchWork(ref, ctx.device, progress=ctx.progress and ctx.jobs == 1,
                     kernel=ctx.option("kernel", "fast"))
    result = GridRunner(ctx.out_dir / "grid", fn=work, jobs=ctx.jobs, seed=ctx.seed,
                        progress=ctx.progress, cost=config_cost).run(spec)
    test = result.test_best(work.test)
    if "test_accuracy_final" not in test:  # cached by an older version: best checkpoint only
        test = work.test(result.best_member())
    best, cfg = result.best(), net_config(result.best()["params"])
    caption = (f"{q.caption} {cfg.epochs} epochs on {ref.name}; best validation accuracy of each "
               f"configuration; test accuracy of the best configuration only, of its final model "
               f"({TEST_FINAL}) and of its best-validation checkpoint ({TEST_BEST}).")
    summary = summarise_grid(
        ctx, result, spec, caption=caption, row_metrics=ROW_METRICS,
        test={TEST_FINAL: test["test_accuracy_final"], "test_loss_final": test["test_loss_final"],
              TEST_BEST: test["test_accuracy"], "test_loss_best": test["test_loss"]},
        best_keys=("best_epoch", "epochs", *ROW_METRICS[1:]), head={"best_config": cfg.to_dict()},
        by_config=True, config={"device": ctx.device})
    figures = best_curves(result, ctx.out_dir, f"best: {cfg.describe()}")
    diverged = [r["id"] for r in result.records if "diverged" in r["metrics"]]
    return ExperimentResult(
        experiment=q.exp_id, title=q.title, dataset=ref.name, seed=ctx.seed, key_metric=TEST_FINAL,
        metrics=summary.metrics, config=summary.config, figures=figures, tables={"grid": summary.table},
        notes=[(f"best configuration {cfg.describe()}: test accuracy of its final model (after epoch "
                f"{best['metrics'].get('epochs')}) {test['test_accuracy_final']:.4f}; best validation "
                f"accuracy {best['metrics']['best_dev_accuracy']:.4f} at epoch "
                f"{best['metrics'].get('best_epoch')}, test accuracy of that checkpoint (reloaded) "
                f"{test['test_accuracy']:.4f}")]
        + [f"diverged (NaN loss): {', '.join(diverged)}"] * bool(diverged))


def _runner(q: Question):
    return lambda ctx: run_question(ctx, q)


EXPERIMENTS = [Experiment(id=q.exp_id, title=q.title, homework="hw2122", run=_runner(q),
                          datasets=(DATASET,), add_arguments=add_arguments) for q in QUESTIONS]

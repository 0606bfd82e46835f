"""Grids of MLPs trained as vectorised ensembles and their summaries (hw2526 Q2's width and depth sweeps).

:func:`run_sweep` trains a :class:`~dlhw.grid.GridSpec` of MLPs, grouped by shape into ensembles
(:mod:`dlhw.grid.ensemble`), and tests the best configuration once, from its best checkpoint.
:func:`sweep_summary` assembles the table and metrics every sweep reports
(:func:`dlhw.experiments.grid_results.summarise_grid`) plus the best configuration's history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from dlhw.errors import ConfigError
from dlhw.experiments.base import RunContext
from dlhw.experiments.dataref import DataRef, load_ref
from dlhw.experiments.grid_results import GridSummary, summarise_grid
from dlhw.grid import GridResult, GridSpec
from dlhw.grid.ensemble import EnsembleWork, ensemble_runner
from dlhw.grid.executors import make_backend
from dlhw.grid.store import RUN_DIR
from dlhw.nets import NetConfig
from dlhw.results import TEST_BEST
from dlhw.training.history import History

EPOCHS = 30
FIXED = {"optimizer": "adam", "activation": "relu", "batch_size": 64}
ROW_METRICS = ("best_epoch", "final_train_accuracy", "final_dev_accuracy", "final_train_loss",
               "seconds_per_epoch")


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
                        device=ctx.device, progress=ctx.progress and backend.jobs == 1,
                        train_accuracy="final")  # the texts ask for the final one only
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


def sweep_summary(ctx: RunContext, result: GridResult, spec: GridSpec, test: dict[str, float], *,
                  caption: str, highlight: Sequence[int] | None = None,
                  config: dict[str, Any] | None = None) -> tuple[GridSummary, History]:
    """The sweep's table (written), metrics of the best configuration (contract names, with its
    ``best_history``) and config, and the best configuration's history."""
    history = History.load(result.root / result.best()["id"] / RUN_DIR)
    curves = {k: history.metrics[k] for k in ("train_loss", "train_accuracy", "dev_accuracy", "dev_loss")}
    summary = summarise_grid(ctx, result, spec, caption=caption, row_metrics=ROW_METRICS,
                             test={TEST_BEST: test["test_accuracy"], "test_loss_best": test.get("test_loss")},
                             best_keys=("best_epoch", "epochs", *ROW_METRICS[1:]),
                             extra={"best_history": curves}, highlight=highlight,
                             config={"device": ctx.device, **(config or {})})
    return summary, history

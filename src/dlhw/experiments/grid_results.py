"""A finished grid's result, assembled once for every grid question.

:func:`summarise_grid` turns a :class:`~dlhw.grid.GridResult` and the test scores of its best
configuration into the three pieces every grid question reports: the grid table (one row per
configuration, the best highlighted, written to ``<out>/grid_table.{csv,typ}``), the headline
metrics of the best configuration and the run's config. The per-axis helpers
(:func:`best_per`, :func:`per_axis`, :func:`axis_table`) summarise a grid along one axis (the
width and depth sweeps).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dlhw.experiments.base import RunContext
from dlhw.grid import GridResult, GridSpec
from dlhw.results import Table


@dataclass(frozen=True)
class GridSummary:
    """The reported pieces of a finished grid: its ``table``, ``metrics`` and ``config``."""

    table: Table
    metrics: dict[str, Any]
    config: dict[str, Any]


def summarise_grid(ctx: RunContext, result: GridResult, spec: GridSpec, *, test: dict[str, Any],
                   caption: str, row_metrics: Sequence[str], best_keys: Sequence[str],
                   head: dict[str, Any] | None = None, extra: dict[str, Any] | None = None,
                   by_config: bool = False, highlight: Sequence[int] | None = None,
                   config: dict[str, Any] | None = None) -> GridSummary:
    """Table, metrics and config of ``result``; the table is written to ``ctx.out_dir/grid_table``.

    ``test``: the best configuration's test scores under their result names, in order; those that
    are not losses become the table's test columns. Metrics, in this order: ``head``, the best's
    ``best_dev_accuracy``, ``test``, the best's ``best_keys`` (None where absent), ``extra``,
    ``n_configs`` and, with ``by_config``, ``dev_accuracy_by_config`` (configuration id -> best
    validation accuracy). ``highlight`` replaces the table's highlighted rows (default: the best).
    Config: the grid spec, ``grid_seed`` and ``config``.
    """
    best = result.best()["metrics"]
    table = result.table(metrics=row_metrics, caption=caption,
                         test={k: v for k, v in test.items() if not k.startswith("test_loss")})
    if highlight is not None:
        table.highlight = sorted(highlight)
    result.write_table(ctx.out_dir / "grid_table", table)
    metrics = {**(head or {}), "best_dev_accuracy": best["best_dev_accuracy"], **test,
               **{k: best.get(k) for k in best_keys}, **(extra or {}), "n_configs": len(result.records)}
    if by_config:
        metrics["dev_accuracy_by_config"] = {r["id"]: r["metrics"]["best_dev_accuracy"]
                                             for r in result.records}
    return GridSummary(table, metrics, {**spec.to_dict(), "grid_seed": ctx.seed, **(config or {})})


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

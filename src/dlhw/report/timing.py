"""The report's timing appendix: each experiment's wall time and the epochs it trained."""

from __future__ import annotations

import math
from typing import Any

from dlhw.markup import fmt_seconds
from dlhw.report.assemble import Sources
from dlhw.report.blocks import Block, Heading, Paragraph, TableBlock
from dlhw.report.frontmatter import homework_experiments
from dlhw.report.outline import Outline
from dlhw.results import ExperimentResult, Table


def epochs_of(r: ExperimentResult) -> tuple[int | None, int]:
    """(epochs per configuration or None, number of configurations) of a stored result."""
    cfg: dict[str, Any] = r.config or {}
    epochs = cfg.get("epochs", (cfg.get("base") or {}).get("epochs"))
    n = r.metrics.get("n_configs", r.metrics.get("n_seeds"))  # a seed study trains each seed
    if n is None:
        axes = cfg.get("axes") or {}
        n = math.prod(len(v) for v in axes.values()) if axes else 1
    return (int(epochs) if epochs is not None else None), int(n)


def timing_appendix(outline: Outline, src: Sources) -> list[Block]:
    """A table: experiment, configurations, epochs each, epochs in all, wall time, time per epoch."""
    columns = ["experiment", "configurations", "epochs each", "epochs in all", "wall time",
               "wall s per epoch", "training s per epoch (steady)", "compile s", "plots s"]
    rows, total_s, total_epochs = [], 0.0, 0
    for exp_id in homework_experiments(outline, src):
        r = src.results.get(exp_id)
        if r is None:
            rows.append([exp_id, "not run", "", "", "", "", "", "", ""])
            continue
        epochs, n = epochs_of(r)
        all_epochs = epochs * n if epochs is not None else None
        per = f"{r.wall_time_s / all_epochs:.1f}" if all_epochs else "–"
        rows.append([exp_id, str(n), "–" if epochs is None else str(epochs),
                     "–" if all_epochs is None else str(all_epochs), fmt_seconds(r.wall_time_s), per,
                     *(_seconds(r.metrics.get(k)) for k in ("seconds_per_epoch", "compile_seconds",
                                                             "plot_seconds"))])
        total_s += r.wall_time_s
        total_epochs += all_epochs or 0
    rows.append(["all", "", "", str(total_epochs), fmt_seconds(total_s), "", "", "", ""])
    return [Heading(1, "Appendix: timing"),
            Paragraph("Wall time of each experiment as it ran (data loading, training, evaluation, "
                      "plots), with the epochs it trained: configurations x epochs each. Grids run "
                      "their configurations on every core (--jobs), so a grid's wall time per "
                      "epoch is below one configuration's epoch time. PyTorch runs at batch 1 use the "
                      "compiled fast path (--kernel fast) unless told otherwise. The training "
                      "seconds per epoch are the run's median epoch (of the best configuration, "
                      "for a grid), steady state: numba's compilation or cache load before the "
                      "first epoch is the separate compile column; the plots column is drawing and writing "
                      "the run's figures at its end.", "plain"),
            TableBlock(Table(columns, rows), "Timing: wall time and epochs per experiment.")]


def _seconds(v: object) -> str:
    """A stored duration in seconds as the table prints it ("–" when absent)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v:
        return "–"
    return f"{v:.3g}"

"""Figures shared by the question modules (one definition each, whatever the homework).

``best_curves``: the training loss beside the validation accuracy per epoch of one run (each
curve once; the texts ask for no other plot of a grid's best), for a single run's history or
the best configuration of a grid (:func:`best_history`).
"""

from __future__ import annotations

from pathlib import Path

from dlhw.grid import GridResult
from dlhw.grid.store import RUN_DIR
from dlhw.training.history import History


def best_history(result: GridResult) -> History:
    """The history of the best configuration of a finished grid."""
    return History.load(result.root / result.best()["id"] / RUN_DIR)


def plot_best_curves(history: History, out_dir: Path, title: str) -> str:
    """Write ``out_dir/best_curves.{png,pdf}`` from ``history``; returns the PNG's file name."""
    from dlhw.training.plots import plot_loss_and_accuracy

    return plot_loss_and_accuracy(history, out_dir / "best_curves", title=title)[0]


def best_curves(result: GridResult, out_dir: Path, title: str) -> dict[str, str]:
    """``{"best_curves": file}`` of the best configuration of ``result`` (a grid's figures)."""
    return {"best_curves": plot_best_curves(best_history(result), out_dir, title)}

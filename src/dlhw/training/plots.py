"""Per-epoch curves as PNG and PDF: labelled axes, a legend, titled with the configuration."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from dlhw.training.history import History

LABELS = {
    "train_loss": "training loss", "dev_loss": "validation loss", "test_loss": "test loss",
    "train_accuracy": "training accuracy", "dev_accuracy": "validation accuracy",
    "test_accuracy": "test accuracy", "train_rmse": "training RMSE", "test_rmse": "test RMSE",
    "distance_to_analytic": "||w_SGD - w_analytic||",
}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_series(series: Mapping[str, Sequence[float]], path_stem: str | os.PathLike, *, title: str,
                xlabel: str = "epoch", ylabel: str = "", x: Sequence[float] | None = None,
                mark_best: int | None = None, logy: bool = False) -> list[str]:
    """Plot named series against ``x`` (default epochs 1..n); write ``<stem>.png`` and ``.pdf``.

    Returns the two file names (relative to the stem's folder), for a result record.
    """
    plt = _pyplot()
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6.0, 3.8))
    for name, ys in series.items():
        xs = list(x) if x is not None else list(range(1, len(ys) + 1))
        ax.plot(xs, ys, marker="o" if len(ys) <= 40 else None, markersize=3, label=LABELS.get(name, name))
    if mark_best is not None:
        ax.axvline(mark_best, color="grey", linestyle=":", label=f"best epoch ({mark_best})")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    names = _save(fig, stem)
    plt.close(fig)
    return names


def _save(fig, stem: Path) -> list[str]:
    """Write ``fig`` as ``<stem>.png`` and ``<stem>.pdf``, each atomically; return the names."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    names = []
    for ext in ("png", "pdf"):
        out = stem.with_suffix(f".{ext}")
        tmp = out.with_name(f".{out.name}.tmp.{ext}")
        fig.savefig(tmp, dpi=150)
        os.replace(tmp, out)
        names.append(out.name)
    return names


def plot_loss_and_accuracy(history: History, path_stem: str | os.PathLike, *, title: str) -> list[str]:
    """Training loss and validation accuracy per epoch, side by side, the best epoch marked.

    The texts' "plot the training loss and the validation accuracy" figure (``best_curves``).
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.6))
    epochs = range(1, history.epochs + 1)
    for ax, key in zip(axes, ("train_loss", "dev_accuracy")):
        ax.plot(epochs, history.metrics[key], marker="o" if history.epochs <= 40 else None, markersize=3)
        if history.best_epoch is not None:
            ax.axvline(history.best_epoch, color="grey", linestyle=":",
                       label=f"best epoch ({history.best_epoch})")
            ax.legend(fontsize=8)
        ax.set_xlabel("epoch")
        ax.set_ylabel(LABELS[key])
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    names = _save(fig, Path(path_stem))
    plt.close(fig)
    return names


def plot_history(history: History, keys: Sequence[str], path_stem: str | os.PathLike, *, title: str,
                 ylabel: str = "", logy: bool = False) -> list[str]:
    """Plot metrics ``keys`` of ``history`` per epoch, marking the best epoch."""
    series = {k: history.metrics[k] for k in keys if k in history.metrics}
    return plot_series(series, path_stem, title=title, ylabel=ylabel, mark_best=history.best_epoch, logy=logy)

"""Per-epoch curves as PNG and PDF: labelled axes, a legend, titled with the configuration.

Figures are built with matplotlib's object API (:class:`matplotlib.figure.Figure`), never through
``pyplot``: nothing here changes matplotlib's global state (its backend, open figures), so the
helpers are safe inside a notebook whose inline backend must stay as the user set it.

matplotlib is imported on the first figure, not with this module. A training loop that will
plot at its end calls :func:`preload` first: a daemon thread imports matplotlib's figure and
its PNG/PDF writers while the epochs run (the compiled epochs and BLAS release the GIL, so on
a second core the import is free), and the figures are then drawn once, at the end.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from dlhw.io import atomic_write_bytes
from dlhw.labels import METRIC_LABELS as LABELS  # noqa: F401  (the old name, kept for callers)
from dlhw.labels import axis_label, metric_label
from dlhw.training.history import History

_PRELOAD = ("matplotlib.figure", "matplotlib.ticker", "matplotlib.backends.backend_agg",
            "matplotlib.backends.backend_pdf")


def _import_plotting(background: bool = False) -> None:
    import importlib

    if background:
        _yield_to_training()
    for name in _PRELOAD:
        importlib.import_module(name)


def _yield_to_training() -> None:
    """Give the calling thread the lowest CPU priority (Linux, where it is per thread).

    On two cores a run has three busy threads: the training epochs, the scoring beside them and
    this import (about 1 s of CPU). At equal priority the import takes a third of the training's
    core; at nice 19 it runs on whatever core is idle (the scorer's, between epochs). It cannot
    stall the others through the GIL: a thread waiting for the GIL leaves its core idle, so
    the import gets to run and release it. A no-op elsewhere (there ``setpriority`` would
    renice the whole process).
    """
    import contextlib
    import sys
    import threading

    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):  # not permitted: the import competes as before
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def preload() -> None:
    """Start importing matplotlib in a low-priority daemon thread (returns at once; harmless
    if repeated)."""
    import sys
    import threading

    if all(name in sys.modules for name in _PRELOAD):
        return
    threading.Thread(target=_import_plotting, args=(True,), name="dlhw-preload-matplotlib",
                     daemon=True).start()


def new_figure(width: float, height: float, ncols: int = 1):
    """``(fig, axes)``: a :class:`~matplotlib.figure.Figure` outside pyplot (no global state)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots(1, ncols)


def _wrap(title: str, width_inches: float) -> str:
    """``title`` broken into lines that fit a figure ``width_inches`` wide at 10 pt."""
    import textwrap

    return "\n".join(textwrap.wrap(title, width=int(width_inches * 11.5))) or title


def _fixed_layout(fig, title: str, *, suptitle: bool = False) -> None:
    """Margins for labelled axes and a ``title`` of n lines, set directly: what ``tight_layout``
    finds for these figures, without its extra pass that measures every tick label (about 40 %
    of a figure's time). Room on the left for tick labels such as ``0.0001`` and the y label."""
    lines = title.count("\n") + 1
    height = fig.get_figheight()
    line = 0.19 / height  # one 10 pt title line, as a fraction of the height
    top = 1.0 - 0.06 / height - lines * line - (0.0 if suptitle else 0.06 / height)
    fig.subplots_adjust(left=0.85 / fig.get_figwidth(), right=0.98, bottom=0.5 / height, top=top,
                        wspace=0.32)


def _integer_ticks(ax, xs: Sequence[float]) -> None:
    """Integer ticks on the x axis when every x is an integer (epochs, widths, depths)."""
    from matplotlib.ticker import MaxNLocator

    if all(float(v).is_integer() for v in xs):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _setting_ticks(ax, xs: Sequence[float]) -> None:
    """A few integer settings on the x axis (widths 16..256, depths 1..9): a tick at each one,
    on a log-2 axis when they grow geometrically (doublings equally spaced)."""
    values = sorted(set(float(v) for v in xs))
    if not values or len(values) > 12 or not all(v.is_integer() for v in values):
        _integer_ticks(ax, xs)
        return
    ratios = {round(b / a, 6) for a, b in zip(values, values[1:])} if values[0] > 0 else set()
    if len(values) >= 3 and len(ratios) == 1 and min(ratios) >= 1.5:  # a geometric sweep
        ax.set_xscale("log", base=2)
        ax.minorticks_off()
    ax.set_xticks(values, [f"{v:g}" for v in values])


def plot_series(series: Mapping[str, Sequence[float]], path_stem: str | os.PathLike, *, title: str,
                xlabel: str = "epoch", ylabel: str = "", x: Sequence[float] | None = None,
                mark_best: int | None = None, logy: bool = False) -> list[str]:
    """Plot named series against ``x`` (default epochs 1..n); write ``<stem>.png`` and ``.pdf``.

    Returns the two file names (relative to the stem's folder), for a result record.
    """
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = new_figure(6.0, 3.8)
    for name, ys in series.items():
        xs = list(x) if x is not None else list(range(1, len(ys) + 1))
        ax.plot(xs, ys, marker="o" if len(ys) <= 40 else None, markersize=3, label=metric_label(name))
        _integer_ticks(ax, xs) if x is None else _setting_ticks(ax, xs)
    if mark_best is not None:
        ax.axvline(mark_best, color="grey", linestyle=":", label=f"best epoch ({mark_best})")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    wrapped = _wrap(title, 6.0)
    ax.set_title(wrapped, fontsize=10, y=1.0)  # a fixed place: no search past the (bottom) ticks
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    _fixed_layout(fig, wrapped)
    return _save(fig, stem)


def _save(fig, stem: Path) -> list[str]:
    """Write ``fig`` as ``<stem>.png`` and ``<stem>.pdf``, each atomically; return the names."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    names = []
    for ext in ("png", "pdf"):
        out = stem.with_suffix(f".{ext}")
        buffer = io.BytesIO()
        fig.savefig(buffer, format=ext, dpi=150)
        atomic_write_bytes(out, buffer.getvalue())  # a killed writer leaves only ``.<name>.*.tmp``
        names.append(out.name)
    return names


def plot_loss_and_accuracy(history: History, path_stem: str | os.PathLike, *, title: str) -> list[str]:
    """Training loss and validation accuracy per epoch, side by side, the best epoch marked.

    The texts' "plot the training loss and the validation accuracy" figure (``best_curves``).
    """
    fig, axes = new_figure(7.5, 3.2, ncols=2)
    epochs = range(1, history.epochs + 1)
    for ax, key in zip(axes, ("train_loss", "dev_accuracy")):
        ax.plot(epochs, history.metrics[key], marker="o" if history.epochs <= 40 else None, markersize=3)
        if history.best_epoch is not None:
            ax.axvline(history.best_epoch, color="grey", linestyle=":",
                       label=f"best epoch ({history.best_epoch})")
            ax.legend(fontsize=8)
        ax.set_xlabel("epoch")
        ax.set_ylabel(axis_label(key))
        _integer_ticks(ax, epochs)
        ax.grid(alpha=0.3)
    wrapped = _wrap(title, 7.5)
    fig.suptitle(wrapped, fontsize=10)
    _fixed_layout(fig, wrapped, suptitle=True)
    return _save(fig, Path(path_stem))


def plot_history(history: History, keys: Sequence[str], path_stem: str | os.PathLike, *, title: str,
                 ylabel: str = "", logy: bool = False) -> list[str]:
    """Plot metrics ``keys`` of ``history`` per epoch, marking the best epoch."""
    series = {k: history.metrics[k] for k in keys if k in history.metrics}
    if not ylabel and len(series) == 1:
        ylabel = axis_label(next(iter(series)))
    return plot_series(series, path_stem, title=title, ylabel=ylabel, mark_best=history.best_epoch, logy=logy)

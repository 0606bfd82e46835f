"""The plot helpers: no global matplotlib state, integer epoch ticks, readable labels."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from dlhw.training.history import History
from dlhw.training.plots import (
    _integer_ticks,
    new_figure,
    plot_history,
    plot_loss_and_accuracy,
)


def test_plotting_leaves_the_backend_and_pyplot_alone(tmp_path):
    """A notebook's backend stays as set: the helpers never call matplotlib.use or open pyplot figures."""
    script = textwrap.dedent(f"""
        import matplotlib, sys
        matplotlib.use("svg")
        from dlhw.training.plots import plot_series
        names = plot_series({{"train_loss": [3.0, 2.0, 1.5]}}, {str(tmp_path / "c")!r}, title="t")
        assert matplotlib.get_backend() == "svg", matplotlib.get_backend()
        assert "matplotlib.pyplot" not in sys.modules, "pyplot was imported"
        print(names)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "c.png").is_file() and (tmp_path / "c.pdf").is_file()


def test_epoch_axes_have_integer_ticks():
    _, ax = new_figure(4, 3)
    ax.plot([1, 2, 3], [0.5, 0.4, 0.3])
    ticks_before = list(ax.get_xticks())
    assert any(not float(t).is_integer() for t in ticks_before)  # matplotlib's default: 1.25, 1.5 ...
    _integer_ticks(ax, [1, 2, 3])
    assert all(float(t).is_integer() for t in ax.get_xticks())
    _, ax2 = new_figure(4, 3)
    ax2.plot([0.5, 1.5], [0, 1])
    _integer_ticks(ax2, [0.5, 1.5])  # real-valued x (t of q3.3) keeps fractional ticks
    assert any(not float(t).is_integer() for t in ax2.get_xticks())


def test_history_plots_write_png_and_pdf(tmp_path):
    h = History()
    for loss, acc in ((2.0, 0.5), (1.0, 0.7), (0.8, 0.65)):
        h.append(train_loss=loss, dev_accuracy=acc, train_accuracy=acc + 0.1, distance_to_analytic=loss)
    assert plot_loss_and_accuracy(h, tmp_path / "best_curves", title="MLP, learning rate 0.001") == [
        "best_curves.png", "best_curves.pdf"]
    assert plot_history(h, ["distance_to_analytic"], tmp_path / "d", title="t")[0] == "d.png"
    assert (tmp_path / "d.pdf").stat().st_size > 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["best_curves.pdf", "best_curves.png", "d.pdf", "d.png"]


def test_a_failed_figure_write_leaves_no_file_named_like_a_result(tmp_path, monkeypatch):
    """Figures go through the atomic writer: an interrupted write leaves at most its
    ``.<name>.<random>.tmp`` (never a half ``.pdf``/``.png``, nor a temp named like one)."""
    from dlhw import io

    def fail(fd):
        raise OSError(28, "No space left on device")

    h = History()
    h.append(train_loss=1.0, dev_accuracy=0.5)
    monkeypatch.setattr(io.os, "fsync", fail)
    with pytest.raises(OSError, match="acc.png"):
        plot_history(h, ["dev_accuracy"], tmp_path / "acc", title="t")
    assert list(tmp_path.iterdir()) == []


def test_long_titles_wrap_to_the_figure_width():
    from dlhw.training.plots import _wrap

    title = "Ames housing: Neural regression, hidden units 150, learning rate 0.001, seed 0, more"
    lines = _wrap(title, 6.0).splitlines()
    assert len(lines) == 2 and all(len(line) <= 69 for line in lines) and " ".join(lines) == title
    assert _wrap("short", 6.0) == "short"


def test_settings_axes_tick_each_value_and_use_log2_for_doublings():
    from dlhw.training.plots import _setting_ticks

    _, ax = new_figure(4, 3)
    ax.plot([16, 32, 64, 128, 256], [0.7, 0.75, 0.8, 0.8, 0.78])
    _setting_ticks(ax, [16, 32, 64, 128, 256])
    assert list(ax.get_xticks()) == [16, 32, 64, 128, 256] and ax.get_xscale() == "log"
    _, ax2 = new_figure(4, 3)
    ax2.plot([1, 3, 5, 7, 9], [0.7, 0.6, 0.5, 0.4, 0.3])
    _setting_ticks(ax2, [1, 3, 5, 7, 9])
    assert list(ax2.get_xticks()) == [1, 3, 5, 7, 9] and ax2.get_xscale() == "linear"

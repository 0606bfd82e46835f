"""Console output by the ecosystem's conventions: ``logging`` for lines, tqdm's rules for bars.

- Progress bars follow tqdm's own conventions: ``disable=None`` (no bar, hence no redraw frames,
  when stderr is not a terminal) and its environment variables (``TQDM_DISABLE=1`` turns every
  bar off; see :func:`bar_options`).
- Lines go through the ``dlhw`` logger. The library never configures logging; the command line
  does (:func:`configure`): warnings by default, one line per epoch with ``-v``, errors only with
  ``-q``. Log lines are written with ``tqdm.write`` so that they do not tear a live bar.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

LOGGER = "dlhw"

# Short names of the per-epoch values in ``-v`` lines (the skeletons' wording); others print as is.
_SHORT = {"train_loss": "train loss", "train_accuracy": "train acc", "dev_loss": "val loss",
          "dev_accuracy": "val acc", "test_loss": "test loss", "test_accuracy": "test acc",
          "train_rmse": "train rmse", "dev_rmse": "val rmse", "test_rmse": "test rmse"}
_TIMES = ("epoch_seconds", "train_seconds")


def bar_options(progress: bool) -> dict[str, Any]:
    """Keyword arguments for ``tqdm(...)``: ``disable=True`` when ``progress`` is off; otherwise
    ``disable=None`` (tqdm turns the bar off when its output is not a terminal), or nothing at
    all when ``TQDM_DISABLE`` is set, so that tqdm's environment variable decides."""
    if not progress:
        return {"disable": True}
    return {} if "TQDM_DISABLE" in os.environ else {"disable": None}


def bars_shown(progress: bool, stream: Any = None) -> bool:
    """Whether a bar would draw under :func:`bar_options` (for libraries that take a bool, e.g.
    pooch's ``progressbar``): ``progress`` on, ``TQDM_DISABLE`` unset or false, a terminal."""
    if not progress:
        return False
    flag = os.environ.get("TQDM_DISABLE", "")
    if flag and flag.lower() not in ("0", "false", "no", ""):
        return False
    stream = sys.stderr if stream is None else stream
    return bool(getattr(stream, "isatty", lambda: False)())


class NoBar:
    """A bar that is not drawn, without importing tqdm (0.1-0.2 s of a short run): iterates over
    ``iterable`` and ignores what a drawn bar would show (``set_postfix``, ``update``, ``close``)."""

    def __init__(self, iterable: Any = ()) -> None:
        self._iterable = iterable

    def __iter__(self):
        return iter(self._iterable)

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        pass

    def update(self, n: float = 1) -> None:
        pass

    def close(self) -> None:
        pass


def epoch_line(epoch: int, epochs: int | None, values: Mapping[str, Any], title: str = "") -> str:
    """``title: epoch 3/20: train loss 0.4123 | train acc 0.8123 | val acc 0.8012 (1.2 s)``."""
    parts = [f"{_SHORT.get(k, k)} {v:.4f}" for k, v in values.items()
             if k not in _TIMES and isinstance(v, (int, float))]
    seconds = values.get("epoch_seconds")
    tail = f" ({seconds:.1f} s)" if isinstance(seconds, (int, float)) else ""
    head = f"{title}: " if title else ""
    of = f"/{epochs}" if epochs else ""
    return f"{head}epoch {epoch}{of}: {' | '.join(parts)}{tail}"


def bar_postfix(values: Mapping[str, Any]) -> dict[str, str]:
    """The running loss and accuracy of an epoch row, for ``bar.set_postfix``."""
    keep = [k for k in values if k.endswith(("_loss", "_accuracy", "_rmse")) and k.split("_")[0] in
            ("train", "dev")]
    return {_SHORT.get(k, k).replace(" ", "_"): f"{values[k]:.4f}" for k in keep}


class _TqdmHandler(logging.StreamHandler):
    """Writes each record with ``tqdm.write`` (above a live bar) to stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # logging must never raise
            self.handleError(record)


def configure(verbosity: int = 0) -> None:
    """Set up the ``dlhw`` logger for a command line: ``verbosity`` -1 (``-q``: errors only),
    0 (warnings), 1 (``-v``: one line per epoch and per finished step), 2 (``-vv``: debug).

    Idempotent: a second call replaces the handler of the first."""
    logger = logging.getLogger(LOGGER)
    for h in [h for h in logger.handlers if isinstance(h, _TqdmHandler)]:
        logger.removeHandler(h)
    handler = _TqdmHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel({-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(
        max(-1, min(verbosity, 2)), logging.DEBUG))

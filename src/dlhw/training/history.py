"""Per-epoch metrics of one training run, and which epoch was best.

:meth:`History.save` writes two views of one history beside each other: ``history.json`` (what
dlhw reads back: metrics, best epoch, monitor) and ``metrics.csv``, one row per epoch in the
shape of PyTorch Lightning's ``CSVLogger`` (``epoch,step,<metric>,...``), which pandas, a
spreadsheet or any tracking tool reads as is: ``pandas.read_csv("runs/ID/metrics.csv")``.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlhw.io import atomic_write_text, load_json, save_json

# ``on_epoch(epoch, metrics)``: what every loop calls after an epoch (printing, logging)
EpochCallback = Callable[[int, dict[str, float]], None]

HISTORY_FILE = "history.json"
METRICS_FILE = "metrics.csv"


@dataclass
class History:
    """Metrics per epoch (``metrics[name][epoch - 1]``) and the best epoch by ``monitor``.

    Metric names are ``<split>_<quantity>``: ``train_loss``, ``train_accuracy``,
    ``dev_accuracy``, ``dev_loss``, ``test_accuracy``, ``train_rmse``, ``test_rmse``,
    ``distance_to_analytic``, ``epoch_seconds`` ... Epochs are 1-based.
    """

    monitor: str = "dev_accuracy"
    mode: str = "max"  # "max" for accuracies, "min" for losses / RMSE
    metrics: dict[str, list[float]] = field(default_factory=dict)
    best_epoch: int | None = None
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        return max((len(v) for v in self.metrics.values()), default=0)

    def append(self, **values: float) -> bool:
        """Record one epoch's metrics; return True when it is the new best by ``monitor``."""
        for k, v in values.items():
            self.metrics.setdefault(k, []).append(float(v))
        current = values.get(self.monitor)
        if current is None or math.isnan(current):
            return False
        best = self.best_value
        improved = (best is None or (current > best if self.mode == "max" else current < best))
        if improved:
            self.best_epoch = self.epochs
        return improved

    @property
    def best_value(self) -> float | None:
        if self.best_epoch is None:
            return None
        return self.metrics[self.monitor][self.best_epoch - 1]

    def last(self, name: str) -> float:
        return self.metrics[name][-1]

    def to_dict(self) -> dict[str, Any]:
        return {"monitor": self.monitor, "mode": self.mode, "best_epoch": self.best_epoch,
                "config": self.config, "metrics": self.metrics}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> History:
        return cls(monitor=d["monitor"], mode=d["mode"], metrics={k: list(v) for k,
                                                                  v in d["metrics"].items()},
                   best_epoch=d.get("best_epoch"), config=d.get("config", {}))

    def save(self, out_dir: str | os.PathLike) -> Path:
        """Write ``history.json`` and its table twin ``metrics.csv`` (atomically); return the JSON."""
        atomic_write_text(Path(out_dir) / METRICS_FILE, self.to_csv())
        return save_json(Path(out_dir) / HISTORY_FILE, self.to_dict())

    def to_csv(self) -> str:
        """The metrics as CSV text, one row per epoch: ``epoch,step,<metric>,...``.

        ``epoch`` is 1-based, as in ``history.json`` and the report; ``step`` is the number of
        epochs logged so far (this history logs once per epoch, so it equals ``epoch``). A metric
        that started late (its list is shorter: appends only ever add the current epoch) has empty
        cells before it; values are written with ``repr`` (exact floats).
        """
        names, n = list(self.metrics), self.epochs
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["epoch", "step", *names])
        for e in range(n):
            cells = []
            for k in names:
                values = self.metrics[k]
                i = e - (n - len(values))
                cells.append(repr(values[i]) if i >= 0 else "")
            writer.writerow([e + 1, e + 1, *cells])
        return buf.getvalue()

    @classmethod
    def load(cls, out_dir: str | os.PathLike) -> History:
        return cls.from_dict(load_json(Path(out_dir) / HISTORY_FILE))

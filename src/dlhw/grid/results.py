"""A finished grid as data: its records, the best configuration, the table, the test of the best.

The test set is touched once, for the best configuration only (:meth:`GridResult.test_best`);
the per-configuration work never sees it, so the selection cannot peek at test.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlhw.errors import ConfigError
from dlhw.grid.spec import GridSpec
from dlhw.grid.store import GridStore, Member
from dlhw.io import atomic_write_text
from dlhw.results import Table

TestFn = Callable[[Member], dict[str, Any]]


def diverged_record(exc: BaseException) -> dict[str, Any]:
    """A configuration whose training diverged, as a grid record: a result (NaN), not a failure."""
    return {"best_dev_accuracy": math.nan, "diverged": str(exc)}


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}" if 1e-3 <= abs(value) < 1e4 or value == 0 else f"{value:.3g}"
    return str(value)


@dataclass
class GridResult:
    """The records of a grid's finished configurations, in grid order.

    ``records[i]`` is a member's ``record.json``: ``id``, ``params``, ``varied``, ``seed``,
    ``metrics`` (what the work returned), ``seconds``.
    """

    spec: GridSpec
    root: Path
    records: list[dict[str, Any]]
    metric: str = "best_dev_accuracy"
    mode: str = "max"

    @classmethod
    def load(cls, spec: GridSpec, root: str | os.PathLike, ids: Sequence[str], metric: str,
             mode: str) -> GridResult:
        store = GridStore(root)
        records = [store.read_record(i) for i in ids if store.is_finished(i)]
        return cls(spec=spec, root=Path(root), records=records, metric=metric, mode=mode)

    @property
    def complete(self) -> bool:
        return len(self.records) == len(self.spec)

    def value(self, record: dict[str, Any]) -> float:
        """The selection metric of ``record`` (NaN, e.g. a diverged run, never wins)."""
        if self.metric not in record["metrics"]:
            raise ConfigError(f"config {record['id']} has no metric {self.metric!r} (it has "
                              f"{sorted(record['metrics'])}); return it from the work function")
        v = float(record["metrics"][self.metric])
        return v if not math.isnan(v) else (-math.inf if self.mode == "max" else math.inf)

    def best_index(self) -> int:
        """Index in ``records`` of the best configuration (ties: the first in grid order)."""
        if not self.records:
            raise ConfigError(f"no finished configuration in {self.root}; run the grid first")
        values = [self.value(r) for r in self.records]
        pick = max if self.mode == "max" else min
        return values.index(pick(values))

    def best(self) -> dict[str, Any]:
        return self.records[self.best_index()]

    def best_member(self) -> Member:
        """The best configuration as a :class:`Member` (for testing or reloading it)."""
        rec = self.best()
        config = next(c for c in self.spec.expand() if c.id == rec["id"])
        return Member(config=config, seed=rec["seed"], out_dir=self.root / rec["id"])

    def test_best(self, test_fn: TestFn) -> dict[str, Any]:
        """``test_fn(best member)``, computed once and cached in the best folder's ``test.json``."""
        store, member = GridStore(self.root), self.best_member()
        cached = store.read_test(member.id)
        if cached is not None:
            return cached
        metrics = test_fn(member)
        store.write_test(member.id, metrics)
        return metrics

    def table(self, metrics: Sequence[str] = (), test: dict[str, Any] | None = None,
              caption: str = "") -> Table:
        """One row per finished configuration (in grid order, like ``records``): its axis values,
        ``metric`` and the extra ``metrics``; the best row highlighted, with ``test`` values (of
        the best only)."""
        names = [self.metric, *[m for m in metrics if m != self.metric]]
        test_names = list(test or {})
        columns = [*self.spec.axes, *names, *test_names]
        best = self.best_index()
        rows = []
        for i, r in enumerate(self.records):
            row = [*[r["varied"].get(a) for a in self.spec.axes],
                   *[r["metrics"].get(m) for m in names]]
            row += [test[t] if i == best else None for t in test_names]
            rows.append(row)
        return Table(columns=columns, rows=rows, highlight=[best], caption=caption)

    def write_table(self, stem: str | os.PathLike, table: Table) -> tuple[Path, Path]:
        """Write ``table`` as ``<stem>.csv`` (raw values) and ``<stem>.md`` (best row in bold)."""
        stem = Path(stem)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([*table.columns, "best"])
        for i, row in enumerate(table.rows):
            writer.writerow([("" if v is None else v) for v in row] + [int(i in table.highlight)])
        csv_path = atomic_write_text(stem.with_suffix(".csv"), buf.getvalue())
        lines = ["| " + " | ".join(table.columns) + " |", "|" + " --- |" * len(table.columns)]
        for i, row in enumerate(table.rows):
            cells = [_fmt(v) for v in row]
            if i in table.highlight:
                cells = [f"**{c}**" if c else c for c in cells]
            lines.append("| " + " | ".join(cells) + " |")
        if table.caption:
            lines += ["", table.caption]
        md_path = atomic_write_text(stem.with_suffix(".md"), "\n".join(lines) + "\n")
        return csv_path, md_path

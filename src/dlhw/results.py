"""The record every experiment writes, and the only thing the report reads.

``runs/<experiment id>/<run name>/result.json`` (:mod:`dlhw.experiments.layout`) holds an
:class:`ExperimentResult`: the key numbers (``metrics``), the configuration, the tables (as
rows, with the highlighted rows), the figures (paths relative to the run folder), the data set,
the seed, and run metadata (dlhw version, git commit, hardware, wall time). It is written
atomically and last, so its presence means the experiment finished.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlhw import __version__
from dlhw.io import load_json, save_json

RESULT_FILE = "result.json"
# The two test accuracies of a classifier run (docs/results.md): the model after the last epoch,
# and the best-validation checkpoint reloaded from disk. Each homework's text asks for one of
# them; that one is the run's headline (its ``key_metric``), the other is shown beside it.
TEST_FINAL, TEST_BEST = "test_accuracy_final", "test_accuracy_best"
HEADLINE_TEST = {"hw2122": TEST_FINAL, "hw2526": TEST_BEST}
_LEGACY_NAMES = {"test_accuracy": TEST_BEST}  # records written before the split: best checkpoint


def headline_test(experiment_id: str) -> str:
    """The test-accuracy metric a homework's text asks for: ``test_accuracy_final`` (hw2122,
    "report the final accuracy on the test set") or ``test_accuracy_best`` (hw2526, "the test
    accuracy of the best-performing checkpoint")."""
    return HEADLINE_TEST.get(experiment_id.partition(".")[0], TEST_BEST)


@dataclass
class Table:
    """A table for the report: ``columns`` names, ``rows`` of values, ``highlight`` row indices."""

    columns: list[str]
    rows: list[list[Any]]
    highlight: list[int] = field(default_factory=list)
    caption: str = ""


@dataclass
class ExperimentResult:
    """What one experiment run produced (see the module docstring)."""

    experiment: str
    title: str
    dataset: str
    seed: int
    metrics: dict[str, Any]
    key_metric: str
    config: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    quick: bool = False
    wall_time_s: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ExperimentResult:
        d = dict(d)
        d["tables"] = {k: Table(**v) for k, v in d.get("tables", {}).items()}
        metrics = dict(d.get("metrics", {}))
        for old, new in _LEGACY_NAMES.items():  # an old record reads under today's names
            if old in metrics:
                metrics.setdefault(new, metrics.pop(old))
                d["key_metric"] = new if d.get("key_metric") == old else d.get("key_metric")
        d["metrics"] = metrics
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


N_CLASSES = {"fashion-mnist": 10, "emnist-letters": 26}
CHANCE_FACTOR = 1.5  # an accuracy at most 1.5 x chance (0.15 for 10 classes) is a collapse


def flag_chance_level(result: ExperimentResult) -> bool:
    """Mark a classifier whose key accuracy is at chance level (a collapse without NaN).

    Adds ``metrics["at_chance_level"] = True`` and a note (shown by the report) and returns
    True; leaves the result alone otherwise.
    """
    k = N_CLASSES.get(result.dataset)
    value = result.metrics.get(result.key_metric)
    if (k is None or not result.key_metric.endswith("accuracy") or isinstance(value, bool)
            or not isinstance(value, (int, float)) or math.isnan(value) or value > CHANCE_FACTOR / k):
        return False
    result.metrics["at_chance_level"] = True
    result.notes.append(f"{result.key_metric} {value:.4f} is at chance level (1/{k} = {1 / k:.4f}): "
                        f"the network collapsed without producing NaN, typically because the "
                        f"learning rate is too large; lower it and rerun")
    return True


def run_metadata() -> dict[str, Any]:
    """dlhw version, git commit (if any), hardware and finish time."""
    return {
        "dlhw_version": __version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "processor": platform.processor() or platform.machine(),
        "finished_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }


def git_commit() -> str:
    """The repository's HEAD commit (short), or ``"unknown"`` outside a checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=5, cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def save_result(out_dir: str | os.PathLike, result: ExperimentResult) -> Path:
    """Write ``result`` to ``out_dir/result.json`` atomically, filling run metadata."""
    result.meta = {**run_metadata(), **result.meta}
    return save_json(Path(out_dir) / RESULT_FILE, result.to_dict())


def load_result(out_dir: str | os.PathLike) -> ExperimentResult | None:
    """The result stored in ``out_dir``, or None when the experiment has not finished."""
    path = Path(out_dir) / RESULT_FILE
    if not path.exists():
        return None
    return ExperimentResult.from_dict(load_json(path))

"""``dlhw export tensorboard RUNS...``: stored runs as TensorBoard event files.

Every ``history.json`` under the given folders becomes one TensorBoard run (its per-epoch
metrics as scalars, step = epoch). A grid (a folder with ``grid.json`` whose configurations hold
``record.json``) also gets TensorBoard's HParams view: its axes as hyperparameters, the record's
numeric metrics (``best_dev_accuracy`` ...) as metrics, one trial per configuration, so an
80-configuration sweep can be sorted and filtered in the browser.

Written with tensorboard's own protobuf writer (no TensorFlow, no torch); ``tensorboard`` is the
optional extra ``pip install 'dlhw[tensorboard]'``. Exporting again replaces the event files
of the runs it writes (no duplicated curves). Layout under ``out``::

    <out>/<run name>/events.out.tfevents.*      scalars (and, for a grid trial, its hparams)
    <out>/<grid name>/events.out.tfevents.*     the grid's HParams experiment (axes, metrics;
                                                written when one grid is exported: with several,
                                                TensorBoard infers the union from the trials)

A run's name is its path below the folder given on the command line, prefixed with that
folder's name; a grid trial is named by its configuration id (``/run`` dropped).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlhw.errors import ConfigError
from dlhw.grid.store import CONFIG_FILE, RECORD_FILE, RUN_DIR
from dlhw.io import load_json
from dlhw.training.history import HISTORY_FILE, History

GRID_FILE = "grid.json"
EVENTS_PREFIX = "events.out.tfevents."


@dataclass
class TensorBoardRun:
    """One run to write: its name under the output folder, history and (grid trial) hparams."""

    name: str
    history: History
    hparams: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, float] = field(default_factory=dict)  # the record's scalar metrics
    grid: str | None = None  # the grid's run name, for a grid trial


def _scalars(metrics: Mapping[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))}


def _hparam_value(v: Any) -> Any:
    """An hparams value TensorBoard accepts (bool, number, string)."""
    if isinstance(v, bool | int | float | str):
        return v
    return str(v)


def find_runs(paths: Sequence[str | os.PathLike]) -> list[TensorBoardRun]:
    """Every run (a folder with ``history.json``) under ``paths``, in path order."""
    runs: list[TensorBoardRun] = []
    for given in map(Path, paths):
        if not given.exists():
            raise ConfigError(f"{given} does not exist; give run folders (e.g. runs/hw2122.q4.1 or runs/)")
        histories = [given / HISTORY_FILE] if (given / HISTORY_FILE).is_file() else \
            sorted(given.rglob(HISTORY_FILE))
        for path in histories:
            runs.append(_run_of(path.parent, given))
    if not runs:
        raise ConfigError(f"no {HISTORY_FILE} under {', '.join(map(str, paths))}; run an experiment "
                          f"first (dlhw run ID), then export its folder")
    return runs


def _run_of(folder: Path, given: Path) -> TensorBoardRun:
    rel = folder.relative_to(given) if folder != given else Path()
    if rel.name == RUN_DIR:  # a grid member's own files: name it by its configuration
        rel = rel.parent
    name = (Path(given.resolve().name) / rel).as_posix()
    run = TensorBoardRun(name=name, history=History.load(folder))
    member = folder.parent if folder.name == RUN_DIR else folder
    if (member / RECORD_FILE).is_file() and (member.parent / GRID_FILE).is_file():
        record = load_json(member / RECORD_FILE)
        config = load_json(member / CONFIG_FILE) if (member / CONFIG_FILE).is_file() else {}
        run.hparams = {k: _hparam_value(v) for k, v in (record.get("varied") or {}).items()}
        run.hparams["seed"] = int(config.get("seed", record.get("seed", 0)))
        run.summary = _scalars(record.get("metrics", {}))
        run.grid = Path(name).parent.as_posix()
    return run


def _writer(folder: Path):
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(EVENTS_PREFIX + "*"):
        old.unlink()  # a re-export replaces, never duplicates
    return EventFileWriter(str(folder))


def _event(step: int, summary: Any, wall_time: float):
    from tensorboard.compat.proto.event_pb2 import Event

    return Event(wall_time=wall_time, step=step, summary=summary)


def _scalar_summary(values: Mapping[str, float]):
    from tensorboard.compat.proto.summary_pb2 import Summary

    return Summary(value=[Summary.Value(tag=k, simple_value=v) for k, v in values.items()])


def write_run(run: TensorBoardRun, out: Path, wall_time: float) -> Path:
    """Write one run's scalars (and its hparams, for a grid trial) under ``out/run.name``."""
    from tensorboard.plugins.hparams import summary_v2 as hp

    folder = out / run.name
    writer = _writer(folder)
    try:
        if run.hparams:
            writer.add_event(_event(0, hp.hparams_pb(run.hparams, trial_id=run.name,
                                                     start_time_secs=wall_time), wall_time))
        n = run.history.epochs
        for e in range(n):  # a metric that started late (shorter list) ends at the last epoch
            values = {k: v[e - n + len(v)] for k, v in run.history.metrics.items()
                      if e >= n - len(v) and math.isfinite(v[e - n + len(v)])}
            writer.add_event(_event(e + 1, _scalar_summary(values), wall_time + e))
        if run.summary:
            writer.add_event(_event(max(run.history.epochs, 1),
                                    _scalar_summary({f"hparams/{k}": v for k, v in run.summary.items()}),
                                    wall_time + run.history.epochs))
    finally:
        writer.close()
    return folder


def write_grid_experiment(name: str, trials: Iterable[TensorBoardRun], out: Path, wall_time: float) -> Path:
    """The HParams experiment of one grid: its hyperparameters and metrics (``out/name``)."""
    from tensorboard.plugins.hparams import summary_v2 as hp

    trials = list(trials)
    values: dict[str, list[Any]] = {}
    for t in trials:
        for k, v in t.hparams.items():
            values.setdefault(k, [])
            if v not in values[k]:
                values[k].append(v)
    hparams = [hp.HParam(k, hp.Discrete(sorted(v, key=str))) if all(isinstance(x, str) for x in v)
               or all(isinstance(x, int | float) and not isinstance(x, bool) for x in v)
               else hp.HParam(k) for k, v in values.items()]
    metrics = sorted({m for t in trials for m in t.summary})
    config = hp.hparams_config_pb(hparams=hparams, metrics=[hp.Metric(f"hparams/{m}", display_name=m)
                                                            for m in metrics], time_created_secs=wall_time)
    folder = out / name
    writer = _writer(folder)
    try:
        writer.add_event(_event(0, config, wall_time))
    finally:
        writer.close()
    return folder


def export_tensorboard(paths: Sequence[str | os.PathLike], out: str | os.PathLike) -> list[TensorBoardRun]:
    """Write every run under ``paths`` into ``out`` (see the module docstring); return the runs."""
    try:
        import tensorboard  # noqa: F401 - only whether it is installed
    except ImportError:
        raise ConfigError("exporting to TensorBoard needs the tensorboard package: "
                          "pip install 'dlhw[tensorboard]' (or pip install tensorboard)") from None
    runs = find_runs(paths)
    out = Path(out)
    wall_time = time.time()
    for run in runs:
        write_run(run, out, wall_time)
    grids: dict[str, list[TensorBoardRun]] = {}
    for run in runs:
        if run.grid is not None:
            grids.setdefault(run.grid, []).append(run)
    if len(grids) == 1:  # TensorBoard shows one experiment; with several it infers their union
        (name, trials), = grids.items()
        write_grid_experiment(name, trials, out, wall_time)
    return runs

"""Where experiment runs live: one folder per run, its settings beside its metrics.

Layout (``RUNS`` is ``--runs-dir``, default ``runs/``)::

    RUNS/<experiment id>/<run name>/settings.json   what was asked (written first)
    RUNS/<experiment id>/<run name>/result.json     what came out (written last, atomically)
    RUNS/<experiment id>/<run name>/...             training files, figures, grid members

The run name is made from the settings that change the numbers, readable and unique:
``seed0`` (the default run), ``seed42``, ``seed0-quick``, ``seed0-fashion-mnist`` (``--dataset``,
2025-26 questions only),
``seed0-epochs5``, plus ``opts-<8 hex>`` (a hash of the experiment's own options, which
``settings.json`` lists in full) when there are any: ``seed42-opts-1a2b3c4d``. So runs that
differ in seed, ``--quick``, data set, epochs or options live side by side and never delete
each other: ``hw1-q3.py perceptron`` (seed 42, its own options) and ``dlhw run hw2122.q3.1a``
(seed 0) have different folders. pandas reads a whole experiment with
``glob("runs/*/*/result.json")`` and the settings next to each (``settings.json``).

An explicit ``--out`` folder is used as given, but it is *claimed* first (:func:`claim`): a
folder holding another experiment's result, or a run with other settings, is refused with one
line (nothing is deleted) unless ``--overwrite`` asks to replace it on purpose.

Results written before this layout (``RUNS/<experiment id>/result.json``, "legacy") are still
found by :func:`find_results` and kept by ``reproduce`` when their seed and quick flag match.

**Lock rule.** ``execute`` holds the run folder's exclusive lock
(:class:`~dlhw.training.run_folder.FolderLock`) for the whole run: a second process on the same
run folder fails at once with ``... is already running (pid N)``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dlhw.errors import CheckpointError
from dlhw.io import load_json, save_json
from dlhw.results import RESULT_FILE, ExperimentResult, load_result

SETTINGS_FILE = "settings.json"
# options that change how a run is shown or resumed, never its numbers: not part of the name
EPHEMERAL_OPTIONS = frozenset({"on_epoch", "no_resume", "progress", "verbose", "quiet"})


def run_settings(experiment: str, *, seed: int, quick: bool, dataset: str | None,
                 epochs: int | None, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The settings that identify a run of ``experiment`` (what ``settings.json`` holds)."""
    dataset = dataset if uses_dataset_option(experiment) else None
    opts = {k: v for k, v in sorted((options or {}).items())
            if k not in EPHEMERAL_OPTIONS and v is not None and v is not False and _plain(v)}
    settings = {"experiment": experiment, "seed": int(seed), "quick": bool(quick), "dataset": dataset,
                "epochs": None if epochs is None else int(epochs), "options": opts}
    return json.loads(json.dumps(settings))  # as settings.json reads back (tuples become lists)


def uses_dataset_option(experiment: str) -> bool:
    """Whether ``--dataset`` changes ``experiment`` (only the 2025-26 questions take it)."""
    return experiment.startswith("hw2526.")


def _plain(v: Any) -> bool:
    try:
        json.dumps(v)
    except (TypeError, ValueError):
        return False
    return True


def run_name(settings: Mapping[str, Any]) -> str:
    """The folder name of a run: ``seed0``, ``seed42-quick``, ``seed0-epochs5-opts-1a2b3c4d``."""
    parts = [f"seed{settings['seed']}"]
    if settings.get("quick"):
        parts.append("quick")
    if settings.get("dataset"):
        parts.append(str(settings["dataset"]))
    if settings.get("epochs") is not None:
        parts.append(f"epochs{settings['epochs']}")
    if settings.get("options"):
        digest = hashlib.sha256(json.dumps(settings["options"], sort_keys=True).encode()).hexdigest()
        parts.append(f"opts-{digest[:8]}")
    return "-".join(parts)


def run_dir(runs_root: str | os.PathLike, settings: Mapping[str, Any]) -> Path:
    """``runs_root/<experiment>/<run name>``."""
    return Path(runs_root) / settings["experiment"] / run_name(settings)


def claim(out_dir: Path, settings: Mapping[str, Any], *, overwrite: bool = False) -> None:
    """Make ``out_dir`` this run's folder, or refuse in one line (nothing deleted).

    Refused: a folder whose ``result.json`` is another experiment's, or whose ``settings.json``
    (or, without one, whose result's seed/quick flag) differs from ``settings``. With
    ``overwrite`` the folder's contents are deleted first (replace on purpose). Then
    ``settings.json`` is written.
    """
    out_dir = Path(out_dir)
    if overwrite and out_dir.is_dir():
        _empty(out_dir)
    clash = conflict(out_dir, settings)
    if clash:
        raise CheckpointError(f"{out_dir} {clash}; nothing was deleted: use another --out (or "
                              f"--runs-dir) to keep both, or --overwrite to replace it")
    save_json(out_dir / SETTINGS_FILE, dict(settings))


def conflict(out_dir: Path, settings: Mapping[str, Any]) -> str | None:
    """Why ``out_dir`` cannot hold the run of ``settings`` (a phrase), or None."""
    exp = settings["experiment"]
    stored = _read(out_dir / SETTINGS_FILE)
    if stored is not None and stored.get("experiment") not in (None, exp):
        return f"holds a run of {stored.get('experiment')}, not {exp}"
    if stored is not None and stored != dict(settings):
        diff = ", ".join(f"{k} {stored.get(k)!r} != {settings.get(k)!r}" for k in settings
                         if stored.get(k) != settings.get(k))
        return f"holds a run with other settings ({diff})"
    raw = _read(out_dir / RESULT_FILE)
    if raw is not None and raw.get("experiment") != exp:
        return f"holds the result of {raw.get('experiment')}, not {exp}"
    if raw is not None and stored is None and (raw.get("seed"), bool(raw.get("quick"))) != (
            settings["seed"], settings["quick"]):
        return (f"holds a result of seed {raw.get('seed')}{' (quick)' if raw.get('quick') else ''}, "
                f"not seed {settings['seed']}{' (quick)' if settings['quick'] else ''}")
    return None


def _read(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        data = load_json(path)
    except CheckpointError:
        return {"experiment": None, "unreadable": str(path)}
    return data if isinstance(data, dict) else {"experiment": None}


def _empty(folder: Path) -> None:
    """Delete everything in ``folder`` except its lock file (an explicit ``--overwrite``)."""
    for entry in folder.iterdir():
        if entry.name == ".lock":
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def candidates(runs_root: str | os.PathLike, experiment: str) -> list[Path]:
    """Every folder under ``runs_root/<experiment>`` holding a ``result.json`` (legacy first)."""
    base = Path(runs_root) / experiment
    found = [base] if (base / RESULT_FILE).is_file() else []
    return found + sorted(p.parent for p in base.glob(f"*/{RESULT_FILE}"))


def settings_of(folder: Path, result: ExperimentResult) -> dict[str, Any]:
    """The settings of a finished run: its ``settings.json``, or (legacy) its result's fields."""
    stored = _read(folder / SETTINGS_FILE)
    if stored is not None and "seed" in stored:
        return stored
    return {"experiment": result.experiment, "seed": result.seed, "quick": result.quick,
            "dataset": None, "epochs": None, "options": {}, "legacy": True}


def matches(settings: Mapping[str, Any], *, seed: int | None, quick: bool | None,
            dataset: str | None = None) -> bool:
    """Whether a run's settings fit the wanted ``seed``/``quick``/``dataset`` (None: any)."""
    if seed is not None and settings.get("seed") != seed:
        return False
    if quick is not None and bool(settings.get("quick")) != quick:
        return False
    return dataset is None or bool(settings.get("legacy")) or settings.get("dataset") == dataset


def find_result(runs_root: str | os.PathLike, experiment: str, *, seed: int | None = None,
                quick: bool | None = None, dataset: str | None = None
                ) -> tuple[Path, ExperimentResult] | None:
    """The run of ``experiment`` that fits the wanted settings, with its result, or None.

    ``dataset`` applies to the 2025-26 questions only (:func:`uses_dataset_option`). Among
    fitting runs, the preferred one is: full over quick, the default data set, default options
    (none) over others, seed 0 over other seeds, then the most recently finished. A result that belongs to
    another experiment is refused (:class:`CheckpointError`), never shown under this id.
    """
    ranked = []
    for folder in candidates(runs_root, experiment):
        result = load_result(folder)
        if result is None:
            continue
        if result.experiment != experiment:
            raise CheckpointError(f"{folder / RESULT_FILE} is the result of {result.experiment}, "
                                  f"not {experiment}; move it to its own experiment's folder")
        s = settings_of(folder, result)
        wanted = dataset if uses_dataset_option(experiment) else None
        if matches(s, seed=seed, quick=quick, dataset=wanted):
            key = (bool(s.get("quick")), s.get("dataset") is not None, bool(s.get("options")),
                   s.get("epochs") is not None, s.get("seed") != 0, _negated_time(result))
            ranked.append((key, str(folder), folder, result))
    if not ranked:
        return None
    _, _, folder, result = min(ranked)
    return folder, result


def _negated_time(result: ExperimentResult) -> str:
    """Sort key that puts the newest ``finished_at`` first (ISO strings, inverted)."""
    stamp = str(result.meta.get("finished_at", ""))
    return "".join(chr(0x10FFFF - ord(c)) for c in stamp)

"""What an experiment is, and the context it runs in."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlhw.results import ExperimentResult

# Sizes used by ``--quick``: enough rows to learn something, few enough to take seconds.
QUICK_TRAIN_ROWS = 2000
QUICK_EVAL_ROWS = 1000
QUICK_EPOCHS = 2


@dataclass(frozen=True)
class Experiment:
    """One runnable homework question.

    Attributes
    ----------
    id : the mission id it answers, e.g. ``"hw2122.q3.1a"`` (``dlhw run <id>``).
    title : one line for the report and the CLI listing.
    homework : ``"hw2122"`` or ``"hw2526"``.
    run : ``run(ctx) -> ExperimentResult``; writes its files under ``ctx.out_dir``.
    add_arguments : adds experiment-specific options to its ``dlhw run`` parser.
    datasets : data set names it needs (for the "missing data" report of ``reproduce``).
    covers : further mission ids answered by the same run (q2.2a/b/c share one grid).
    depends : experiment ids whose results it reads (run first by ``reproduce``).
    """

    id: str
    title: str
    homework: str
    run: Callable[[RunContext], ExperimentResult]
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
    datasets: tuple[str, ...] = ()
    covers: tuple[str, ...] = ()
    depends: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunOptions:
    """The options every experiment run understands (``dlhw run``, ``dlhw reproduce``), typed.

    The command line converts its parsed arguments into this once; ``reproduce`` and ``execute``
    never see argparse. ``out`` overrides the output folder of a single run (default
    ``runs_dir / <experiment id>``).
    """

    seed: int = 0
    data_dir: str | None = None
    runs_dir: Path = Path("runs")
    quick: bool = False
    dataset: str | None = None
    jobs: int = 1
    device: str = "cpu"
    progress: bool = True
    epochs: int | None = None
    out: Path | None = None
    overwrite: bool = False

    def context(self, exp_id: str, options: dict[str, Any] | None = None) -> RunContext:
        """The :class:`RunContext` of experiment ``exp_id`` under these options; its folder is
        ``runs_dir/<id>/<run name>`` (:mod:`dlhw.experiments.layout`) unless ``out`` is given."""
        from dlhw.experiments.layout import run_dir, run_settings

        runs_root = Path(self.runs_dir)
        settings = run_settings(exp_id, seed=self.seed, quick=self.quick, dataset=self.dataset,
                                epochs=self.epochs, options=options)
        return RunContext(out_dir=Path(self.out) if self.out else run_dir(runs_root, settings),
                          seed=self.seed, data_dir=self.data_dir, quick=self.quick, dataset=self.dataset,
                          epochs=self.epochs, jobs=self.jobs, device=self.device, progress=self.progress,
                          runs_root=runs_root, options=dict(options or {}), overwrite=self.overwrite)


@dataclass
class RunContext:
    """Everything an experiment needs from its caller: folders, seed, data, sizes, options."""

    out_dir: Path
    seed: int = 0
    data_dir: str | None = None
    quick: bool = False
    dataset: str | None = None
    epochs: int | None = None
    jobs: int = 1
    device: str = "cpu"
    progress: bool = True
    runs_root: Path | None = None
    options: dict[str, Any] = field(default_factory=dict)
    overwrite: bool = False
    started: float = field(default_factory=time.perf_counter)

    def settings(self, experiment_id: str, own_options: bool = True) -> dict[str, Any]:
        """The run settings (``settings.json``) of ``experiment_id`` in this context."""
        from dlhw.experiments.layout import run_settings

        return run_settings(experiment_id, seed=self.seed, quick=self.quick, dataset=self.dataset,
                            epochs=self.epochs, options=self.options if own_options else None)

    def n_epochs(self, default: int) -> int:
        """The epoch count: ``--epochs`` if given, else a small number in quick mode, else ``default``."""
        if self.epochs is not None:
            return self.epochs
        return min(default, QUICK_EPOCHS) if self.quick else default

    def dataset_or(self, default: str) -> str:
        """The data set chosen by ``--dataset``, else the question's ``default``."""
        return self.dataset or default

    def option(self, name: str, default: Any = None) -> Any:
        """An experiment-specific option (``None`` values fall back to ``default``)."""
        value = self.options.get(name)
        return default if value is None else value

    def load(self, name: str, **kwargs: Any):
        """Load data set ``name`` via :func:`dlhw.data.load`, sliced in quick mode."""
        from dlhw.data import load

        ds = load(name, data_dir=self.data_dir, **kwargs)
        return ds.subset(QUICK_TRAIN_ROWS, QUICK_EVAL_ROWS) if self.quick else ds

    def run_dir(self, experiment_id: str) -> Path:
        """The run folder of another experiment with this run's seed, quick flag, data set and
        epochs (for experiments that read earlier results); a legacy flat ``<id>/`` folder with a
        fitting result is used when the per-settings one has none."""
        from dlhw.experiments.layout import candidates, run_dir

        root = self.runs_root if self.runs_root is not None else self.out_dir.parent
        folder = run_dir(root, self.settings(experiment_id, own_options=False))
        legacy = root / experiment_id
        if not (folder / "result.json").exists() and legacy in candidates(root, experiment_id):
            return legacy
        return folder

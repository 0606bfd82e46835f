"""What every training loop returns: one :class:`TrainResult` for the numpy protocol
(:func:`dlhw.training.protocol.train`) and the torch loop (:func:`dlhw.training.torch_loop.train_torch`,
the ensemble trainer, the batch-1 fast path).

Test scores are kept as result-name dicts: ``test_metrics`` of the reloaded best checkpoint and
``final_test_metrics`` of the model after the last epoch (``test_accuracy``, and ``test_loss``
where the loop measures it; ``test_rmse`` for regression). NaN where the run was not tested.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dlhw.training.history import HISTORY_FILE, History
from dlhw.training.run_folder import BEST_FILE, LAST_FILE


@dataclass
class TrainResult:
    """One finished run: its history, test scores, files and (torch) configuration.

    ``compile_seconds``: the numpy kernels' JIT warm-up (None where the loop has none, torch).
    ``plot_seconds``: drawing and writing the run's figures at its end (None: none drawn, or torch).
    ``steady_seconds``: the loop's own steady-state seconds per epoch (torch); None: the median
    of ``history["epoch_seconds"]`` (numpy).
    """

    history: History
    out_dir: Path
    test_metrics: dict[str, float]
    final_test_metrics: dict[str, float] = field(default_factory=dict)
    task: str = "classification"
    metric: str = "accuracy"
    figures: dict[str, str] = field(default_factory=dict)
    resumed_epochs: int = 0
    compile_seconds: float | None = None
    plot_seconds: float | None = None
    steady_seconds: float | None = None
    config: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    device: str = "cpu"

    @property
    def best_path(self) -> Path:
        return Path(self.out_dir) / BEST_FILE

    @property
    def last_path(self) -> Path:
        return Path(self.out_dir) / LAST_FILE

    @property
    def history_path(self) -> Path:
        return Path(self.out_dir) / HISTORY_FILE

    @property
    def seconds_per_epoch(self) -> float:
        """Steady-state training seconds of one epoch (compilation is not in it)."""
        if self.steady_seconds is not None:
            return self.steady_seconds
        secs = self.history.metrics.get("epoch_seconds", [])
        return float(np.median(secs)) if secs else float("nan")

    @property
    def test_accuracy(self) -> float:
        """Test accuracy of the reloaded best checkpoint (NaN: not tested)."""
        return self.test_metrics.get("test_accuracy", math.nan)

    @property
    def test_loss(self) -> float:
        return self.test_metrics.get("test_loss", math.nan)

    @property
    def test_accuracy_final(self) -> float:
        """Test accuracy of the model after the last epoch (NaN: not tested)."""
        return self.final_test_metrics.get("test_accuracy", math.nan)

    @test_accuracy_final.setter
    def test_accuracy_final(self, value: float) -> None:
        self.final_test_metrics["test_accuracy"] = value

    @property
    def test_loss_final(self) -> float:
        return self.final_test_metrics.get("test_loss", math.nan)

    @property
    def best_epoch(self) -> int:
        return int(self.history.best_epoch or 0)

    @property
    def best_dev_accuracy(self) -> float:
        return float(self.history.best_value if self.history.best_value is not None else math.nan)

    def metrics(self) -> dict[str, Any]:
        """The metrics of ``docs/results.md``: what this run measured, under the contract names."""
        h, m = self.history, self.history.metrics
        if "test_loss" in self.test_metrics:  # the torch loop: test losses, no compile step
            return {"test_accuracy_best": self.test_accuracy, "test_loss_best": self.test_loss,
                    "test_accuracy_final": self.test_accuracy_final, "test_loss_final": self.test_loss_final,
                    "best_dev_accuracy": self.best_dev_accuracy, "best_epoch": self.best_epoch,
                    "epochs": h.epochs, "final_train_accuracy": h.last("train_accuracy"),
                    "final_dev_accuracy": h.last("dev_accuracy"), "final_train_loss": h.last("train_loss"),
                    "seconds_per_epoch": self.seconds_per_epoch}
        out: dict[str, Any] = {"best_epoch": h.best_epoch, "epochs": h.epochs,
                               "seconds_per_epoch": self.seconds_per_epoch,
                               "compile_seconds": self.compile_seconds, "plot_seconds": self.plot_seconds}
        if "train_loss" in m:
            out["final_train_loss"] = h.last("train_loss")
        if self.task == "classification":
            out.update(test_accuracy_final=self.final_test_metrics.get("test_accuracy", float("nan")),
                       test_accuracy_best=self.test_metrics["test_accuracy"],
                       final_train_accuracy=h.last("train_accuracy"))
            if "dev_accuracy" in m:
                out.update(best_dev_accuracy=max(m["dev_accuracy"]),
                           final_dev_accuracy=h.last("dev_accuracy"))
            return out
        out.update(train_rmse=h.last("train_rmse"), test_rmse=h.last("test_rmse"),
                   best_test_rmse=min(m["test_rmse"]),
                   best_checkpoint_test_rmse=self.test_metrics["test_rmse"])
        return out

    def to_dict(self) -> dict[str, Any]:
        """The torch run record (``run.json``'s result; the keys of earlier versions)."""
        return {"config": self.config, "seed": self.seed, "test_accuracy": self.test_accuracy,
                "test_loss": self.test_loss, "seconds_per_epoch": self.seconds_per_epoch,
                "out_dir": str(self.out_dir), "device": self.device, "figures": self.figures,
                "test_accuracy_final": self.test_accuracy_final, "test_loss_final": self.test_loss_final,
                "history": self.history.to_dict()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainResult:
        """A result written by :meth:`to_dict` (records without the final-model scores: NaN)."""
        return cls(history=History.from_dict(d["history"]), out_dir=Path(d["out_dir"]),
                   test_metrics={"test_accuracy": d["test_accuracy"], "test_loss": d["test_loss"]},
                   final_test_metrics={"test_accuracy": d.get("test_accuracy_final", math.nan),
                                       "test_loss": d.get("test_loss_final", math.nan)},
                   steady_seconds=d["seconds_per_epoch"], config=d["config"], seed=d["seed"],
                   device=d.get("device", "cpu"), figures=d.get("figures", {}))

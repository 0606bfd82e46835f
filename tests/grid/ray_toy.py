"""Work functions for the Ray cluster tests (importable by the cluster's worker processes).

Every call appends ``start``/``end`` lines (member id, node, pid, folder) to ``params["log"]``:
the tests count attempts from them and check where each attempt ran. The log lives outside the
grid's root; the work writes only under ``member.run_dir``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from dlhw.grid import Member
from dlhw.io import save_json, save_npz
from dlhw.testing.grid_toy import score


def _node() -> str:
    try:
        import ray

        return ray.get_runtime_context().get_node_id() if ray.is_initialized() else "local"
    except ImportError:
        return "local"


def _log(member: Member, event: str) -> None:
    line = f"{event} {member.id} {_node()} {os.getpid()} {member.out_dir}\n"
    with open(Path(member.params["log"]) / "calls.txt", "a") as fh:
        fh.write(line)  # one short write per line: appends from processes do not interleave


def slow(member: Member) -> dict:
    """Sleep ``params["sleep"]`` s (so a test can act meanwhile), write files like a training run."""
    _log(member, "start")
    if member.params.get("fail"):
        raise RuntimeError(f"simulated failure of config {member.config.index}")
    time.sleep(member.params["sleep"])
    rng = np.random.default_rng(member.seed)
    run = member.run_dir
    save_npz(run / "best.npz", {"W": rng.standard_normal((3, 4))}, meta={"epoch": 1})
    save_npz(run / "last.npz", {"W": rng.standard_normal((3, 4)), "step": np.arange(3)})
    save_json(run / "history.json", {"dev_accuracy": [score(member.params)]})
    save_json(run / "run.json", {"out_dir": str(run)})
    (run / "curve.png").write_bytes(bytes(range(256)) * 4)
    _log(member, "end")
    return {"best_dev_accuracy": score(member.params), "seed_echo": member.seed}


def attempts(log_dir: Path, event: str = "start") -> list[tuple[str, str, str, str]]:
    """The ``(id, node, pid, folder)`` of every logged ``event``, in order."""
    path = Path(log_dir) / "calls.txt"
    lines = path.read_text().splitlines() if path.exists() else []
    return [tuple(line.split()[1:5]) for line in lines if line.startswith(event + " ")]


class SharedSum:
    """A work function whose data is a :class:`~dlhw.grid.ray_backend.SharedData`."""

    def __init__(self, data) -> None:
        self.data = data

    def __call__(self, member: Member) -> dict:
        X = self.data()
        return {"best_dev_accuracy": float(X.sum()) * member.params["lr"], "node": _node()}

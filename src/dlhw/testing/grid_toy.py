"""Deterministic toy work functions for the grid tests (importable by spawned workers)."""

from __future__ import annotations

import math
import os
import signal
from pathlib import Path

from dlhw.grid import Member

FAIL_FILE = "FAIL_AT"   # root/FAIL_AT holds "<index> raise|kill": that config fails


def _log_call(member: Member) -> None:
    member.out_dir.mkdir(parents=True, exist_ok=True)
    with open(member.out_dir / "calls.txt", "a") as fh:
        fh.write(f"{os.getpid()}\n")


def _maybe_fail(member: Member) -> None:
    marker = member.out_dir.parent / FAIL_FILE
    if marker.exists():
        index, how = marker.read_text().split()
        if int(index) == member.config.index:
            (member.out_dir / "partial.txt").write_text("half done")  # what a crash leaves
            if how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)  # like kill -9: no cleanup, no record
            raise RuntimeError(f"simulated failure of config {member.config.index}")


def score(params: dict) -> float:
    """A smooth function with its maximum at lr = 1e-3, l2 = 0."""
    return 0.9 - 0.05 * (math.log10(params["lr"]) + 3) ** 2 - 10 * params["l2"]


def quadratic(member: Member) -> dict:
    _log_call(member)
    _maybe_fail(member)
    (member.out_dir / "history.json").write_text("{}")  # the work's own files live here
    return {"best_dev_accuracy": score(member.params), "seed_echo": member.seed}


def grouped(members: list[Member]) -> list[dict]:
    group_log = members[0].out_dir.parent / "groups.txt"
    with open(group_log, "a") as fh:
        fh.write(" ".join(str(m.config.index) for m in members) + "\n")
    return [quadratic(m) for m in members]


def evaluate_test(member: Member) -> dict:
    with open(member.out_dir.parent / "tested.txt", "a") as fh:
        fh.write(member.id + "\n")
    return {"test_accuracy": score(member.params) - 0.01}


def count_calls(root: Path) -> dict[str, int]:
    """{config id: number of calls} from the call logs under ``root``."""
    return {log.parent.name: len(log.read_text().split()) for log in Path(root).glob("*/calls.txt")}

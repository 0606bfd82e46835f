"""Helpers for the report tests: results written by hand with known numbers."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from dlhw.results import ExperimentResult, Table, save_result



def tiny_png(width: int = 8, height: int = 4) -> bytes:
    """A valid grey PNG (so fabricated results need no plotting library)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    raw = b"".join(b"\x00" + bytes([128]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def fabricate(runs_root: Path, exp_id: str, *, metrics: dict, key_metric: str = "test_accuracy",
              table: Table | None = None, dataset: str = "fashion-mnist",
              quick: bool = False) -> ExperimentResult:
    """Write ``runs_root/exp_id/result.json`` (and an ``accuracy.png`` figure) by hand."""
    out = runs_root / exp_id
    out.mkdir(parents=True, exist_ok=True)
    (out / "accuracy.png").write_bytes(tiny_png())
    result = ExperimentResult(
        experiment=exp_id, title=f"Fabricated {exp_id}", dataset=dataset, seed=7,
        metrics=metrics, key_metric=key_metric, config={"lr": 0.001},
        figures={"accuracy": "accuracy.png"}, tables={"grid": table} if table else {},
        notes=["fabricated for a test"], quick=quick, wall_time_s=12.5,
        meta={"machine": "test-machine, 2 cores", "git_commit": "abc1234"})
    save_result(out, result)
    return result


@pytest.fixture
def fabricated():
    return fabricate

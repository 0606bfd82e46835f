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


def fabricate(runs_root: Path, exp_id: str, *, metrics: dict, key_metric: str = "test_accuracy_final",
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


def pdf_pages(path: Path) -> list[str]:
    """The text of each page of a PDF (pypdf), whitespace collapsed."""
    import pypdf

    return [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(path).pages]


def pdf_bold_runs(path: Path) -> list[str]:
    """The text runs of a PDF that are set in a bold font."""
    import pypdf

    runs: list[str] = []

    def visit(text, _cm, _tm, font, _size):
        if font and "Bold" in str(font.get("/BaseFont", "")) and text.strip():
            runs.append(text.strip())

    for page in pypdf.PdfReader(path).pages:
        page.extract_text(visitor_text=visit)
    return runs


def mission_ids(homework: str) -> list[str]:
    """The requirement ids of ``homework`` in ``shared/docs/mission.md``, in order."""
    import os
    import re

    candidates = [Path(__file__).resolve().parents[4] / "shared" / "docs" / "mission.md"]
    if os.environ.get("DLHW_DATA_DIR"):  # CI: ../shared/data, so the docs are beside it
        candidates.insert(0, Path(os.environ["DLHW_DATA_DIR"]).resolve().parent / "docs" / "mission.md")
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        pytest.skip(f"no mission.md at {', '.join(map(str, candidates))}")
    text = path.read_text(encoding="utf-8")
    return re.findall(rf"^\| ({homework}\.q[0-9.a-z-]+) \|", text, flags=re.M)

"""The written answers: Typst sources (one per question), their closed forms, and discussions.

Layout: ``answers/<homework>/<qid>.typ`` where ``qid`` is the question part of the mission id
with dots replaced by underscores (``hw2122.q1.1`` -> ``hw2122/q1_1.typ``). Each derivation
names the test under ``tests/answers/`` that checks it numerically; the closed forms the texts
state live in :mod:`dlhw.answers.formulas` (or in :mod:`dlhw.activations`, which they reuse).
The answers whose conclusions depend on measured numbers are templates in
:mod:`dlhw.answers.discussions` (``DISCUSSIONS``).
"""

from __future__ import annotations

from pathlib import Path

ANSWERS_DIR = Path(__file__).resolve().parent
HOMEWORKS = ("hw2122", "hw2526")


def answer_key(question_id: str) -> str:
    """``"hw2526.q1.2b"`` -> ``"q1_2b"``: the file name (without ``.typ``) of its written answer."""
    return question_id.strip().partition(".")[2].replace(".", "_")


def answer_path(question_id: str, root: Path | None = None) -> Path | None:
    """The Typst file answering ``question_id`` (e.g. ``"hw2526.q3.1"``), or None if none exists.

    ``"hw2122.q1.1"`` -> ``<root>/hw2122/q1_1.typ`` (``root``: this package's folder). Ids of other
    shapes (unknown homework, no question part) give None rather than an error, so a report can
    ask for every id. The report finds its answers through this function.
    """
    homework, _, question = question_id.strip().partition(".")
    if homework not in HOMEWORKS or not question or "/" in question or "\\" in question:
        return None
    path = (root or ANSWERS_DIR) / homework / f"{answer_key(question_id)}.typ"
    return path if path.is_file() else None


def answer_ids() -> list[str]:
    """Every mission id that has a Typst answer file, in homework then question order."""
    ids = []
    for homework in HOMEWORKS:
        for path in sorted((ANSWERS_DIR / homework).glob("*.typ"), key=_question_key):
            ids.append(f"{homework}.{path.stem.replace('_', '.')}")
    return ids


def _question_key(path: Path) -> tuple:
    """Sort ``q1_10`` after ``q1_2``: numbers compare as numbers, suffixes as text."""
    parts = path.stem.lstrip("q").split("_")
    return tuple((int("".join(c for c in p if c.isdigit()) or 0), p) for p in parts)

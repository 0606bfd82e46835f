"""Every Typst answer compiles on its own, names tests that exist, and is found by answer_path."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from dlhw.answers import ANSWERS_DIR, answer_ids, answer_path

typst = pytest.importorskip("typst")

TESTS_DIR = Path(__file__).resolve().parent
ANSWER_FILES = sorted(ANSWERS_DIR.glob("hw*/*.typ"))
PREAMBLE = "#set page(width: 16cm, height: auto, margin: 1cm)\n#set text(size: 10pt)\n"
EXPECTED = [f"hw2122/{q}.typ" for q in ("q1_1", "q1_2", "q1_3", "q1_4", "q1_5", "q2_1", "q2_2a", "q3_2a")] + [
    f"hw2526/q3_{i}.typ" for i in range(1, 6)] + ["hw2526/q1_2b.typ"]


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_every_expected_answer_exists():
    missing = [rel for rel in EXPECTED if not (ANSWERS_DIR / rel).is_file()]
    assert not missing, f"answer files missing: {missing}"


@pytest.mark.parametrize("path", ANSWER_FILES, ids=_id)
def test_answer_compiles_alone(path: Path):
    pdf = typst.compile((PREAMBLE + path.read_text(encoding="utf-8")).encode(), format="pdf")
    assert pdf[:5] == b"%PDF-" and len(pdf) > 1000


def test_compile_check_rejects_broken_markup():
    with pytest.raises(typst.TypstError):
        typst.compile((PREAMBLE + "$ sigma(z $").encode(), format="pdf")


@pytest.mark.parametrize("path", ANSWER_FILES, ids=_id)
def test_answer_has_no_top_level_heading(path: Path):
    first = path.read_text(encoding="utf-8").lstrip().splitlines()[0]
    assert not re.match(r"^=+ ", first), "the report adds the headings: start with the text"
    assert not re.search(r"(?m)^= ", path.read_text(encoding="utf-8"))


def _test_functions(test_file: Path) -> set[str]:
    tree = ast.parse(test_file.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}


def _cited_tests(text: str) -> list[tuple[str, str]]:
    """(file, function) pairs of `tests/<folder>/x.py::f` and the `::g` that follow it."""
    pairs, current = [], None
    for m in re.finditer(r"(tests/\w+/\w+\.py)?::(\w+)", text):
        current = m.group(1) or current
        assert current is not None, f"'::{m.group(2)}' cited before any test file"
        pairs.append((current, m.group(2)))
    return pairs


@pytest.mark.parametrize("path", ANSWER_FILES, ids=_id)
def test_answer_names_existing_tests(path: Path):
    text = path.read_text(encoding="utf-8")
    assert "Checked by" in text
    cited = _cited_tests(text)
    assert cited, f"{path.name} names no test"
    for file, func in cited:
        test_file = TESTS_DIR.parents[1] / file
        assert test_file.is_file(), f"{path.name} cites missing {file}"
        assert func in _test_functions(test_file), f"{path.name} cites missing {file}::{func}"


def test_answer_path_convention():
    assert answer_path("hw2122.q1.1") == ANSWERS_DIR / "hw2122" / "q1_1.typ"
    assert answer_path("hw2122.q2.2a") == ANSWERS_DIR / "hw2122" / "q2_2a.typ"
    assert answer_path("hw2526.q3.4") == ANSWERS_DIR / "hw2526" / "q3_4.typ"
    for bad in ("hw2122.q9.9", "hw9999.q1.1", "hw2122", "", "hw2122.../q1_1", "hw2526.q2.2a"):
        assert answer_path(bad) is None
    ids = answer_ids()
    assert ids[:2] == ["hw2122.q1.1", "hw2122.q1.2"] and "hw2526.q3.5" in ids
    assert all(answer_path(i) is not None for i in ids)

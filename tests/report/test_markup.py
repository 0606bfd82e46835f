"""Typst escaping and number formatting: what goes in prints exactly as it came."""

from __future__ import annotations

import pypdf
import pytest
import typst

from dlhw.markup import escape, fmt_seconds, fmt_value, md_escape, typst_string
from dlhw.report.typst_render import array, content

NASTY = [
    "#let x = 1", "$a^2$ and $", "*bold* _it_", "@ref <label>", "[x] {y}", "`raw` \\n \\",
    "// comment", "/* block */", "= heading", "- item", "+ item", "1. first", " 12. twelfth",
    "/ term: d", "a ~ b", "'q' \"dq\"", "https://example.com/#x", "0.8234", "-0.5",
]


def _pdf_text(tmp_path, source: str) -> str:
    (tmp_path / "doc.typ").write_text(source, encoding="utf-8")
    typst.compile(str(tmp_path / "doc.typ"), output=str(tmp_path / "doc.pdf"),
                  ignore_system_fonts=True)
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "doc.pdf").pages)


def test_escaped_markup_prints_verbatim(tmp_path):
    # One paragraph per string, each between markers, both in markup and as content blocks.
    lines = [f"START{i} {escape(s)} END{i}\n\n#box({content(s)})\n" for i, s in enumerate(NASTY)]
    text = _pdf_text(tmp_path, "\n".join(lines))
    for i, s in enumerate(NASTY):
        got = text.split(f"START{i} ")[1].split(f" END{i}")[0]
        assert " ".join(got.split()) == " ".join(s.split()), (s, got)


def test_unescaped_markup_would_not_survive(tmp_path):
    # The escaping test above can fail: raw markup changes the printed text.
    text = _pdf_text(tmp_path, "START *bold* _it_ $x$ END")
    assert "*bold*" not in text


def test_typst_string_round_trips(tmp_path):
    s = 'a "quoted" \\ back\nslash'
    text = _pdf_text(tmp_path, f"#{typst_string(s)}.replace(\"\\n\", \" \")")
    assert " ".join(text.split()) == 'a "quoted" \\ back slash'


def test_array_of_one_keeps_its_comma():
    assert array(["[a]"]) == "([a],)"
    assert array(["[a]", "[b]"]) == "([a], [b])"


@pytest.mark.parametrize("value, text", [
    (0.81234, "0.8123"), (1, "1"), (True, "yes"), (1e-7, "1e-07"), (123456.0, "1.235e+05"),
    (float("nan"), "nan"), (-0.5, "-0.5000"), (None, "–"), ({"lr": 0.01, "h": 200}, "lr = 0.0100, h = 200"),
    ([1, 2.5], "1, 2.5000"), ("relu", "relu"),
])
def test_fmt_value(value, text):
    assert fmt_value(value) == text


def test_fmt_seconds():
    assert [fmt_seconds(s) for s in (3.21, 125, 3725)] == ["3.2 s", "2 min 05 s", "1 h 02 min"]


def test_md_escape_keeps_tables_intact():
    assert md_escape("a|b *c*") == "a\\|b \\*c\\*"

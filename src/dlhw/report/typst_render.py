"""Blocks -> Typst source (``report.typ``), using ``templates/report.typ``."""

from __future__ import annotations

from collections.abc import Sequence

from dlhw.markup import escape, fmt_value, typst_string
from dlhw.report.blocks import (
    Block,
    Figure,
    Heading,
    Metrics,
    Paragraph,
    TableBlock,
    TitlePage,
    TypstSource,
)
from dlhw.results import Table

TEMPLATE_NAME = "dlhw-template.typ"
_STYLE = {"question": "question", "meta": "runinfo", "notrun": "notrun", "pending": "pending",
          "error": "errornote"}


def content(text: object) -> str:
    """``[...]``: a Typst content block printing ``text`` as is."""
    return f"[{escape(text)}]"


def array(items: Sequence[str]) -> str:
    """A Typst array of already-rendered expressions (a one-element array needs its comma)."""
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def table_call(table: Table, caption: str) -> str:
    """``#result-table(...)`` for ``table``; ragged rows are padded to the header's width."""
    width = max([len(table.columns)] + [len(r) for r in table.rows])
    header = list(table.columns) + [""] * (width - len(table.columns))
    rows = [array([content(fmt_value(c)) for c in list(r) + [""] * (width - len(r))])
            for r in table.rows]
    highlight = [str(int(i)) for i in table.highlight if 0 <= int(i) < len(table.rows)]
    # A zero-width space after "_" lets long snake_case column names wrap in narrow columns.
    head = [content(h).replace("\\_", "\\_\u200b") for h in header]
    return (f"#result-table(\n  header: {array(head)},\n"
            f"  rows: {array(rows)},\n  highlight: {array(highlight)},\n"
            f"  caption: {content(caption)},\n)")


def _title(b: TitlePage) -> str:
    facts = array([array([content(k), content(v)]) for k, v in b.facts])
    notices = array([content(n) for n in b.notices])
    return (f"#show: report.with(\n  title: {content(b.title)},\n  subtitle: {content(b.subtitle)},"
            f"\n  facts: {facts},\n  notices: {notices},\n)")


def render_block(b: Block) -> str:
    """One block as Typst source."""
    if isinstance(b, TitlePage):
        return _title(b)
    if isinstance(b, Heading):
        return "=" * b.level + " " + escape(b.text)
    if isinstance(b, Paragraph):
        style = _STYLE.get(b.style)
        return f"#{style}{content(b.text)}" if style else escape(b.text)
    if isinstance(b, Metrics):
        return f"#metrics({array([array([content(k), content(v)]) for k, v in b.rows])})"
    if isinstance(b, TableBlock):
        return table_call(b.table, b.caption)
    if isinstance(b, Figure):
        return (f"#figure(image({typst_string(b.vector or b.path)}, width: 80%), "
                f"caption: {content(b.caption)})")
    if isinstance(b, TypstSource):
        kind = "Written answer" if b.kind == "answer" else "Discussion from the measured results"
        return f"#answer({content(f'{kind} ({b.label})')})[\n#include {typst_string(b.path)}\n]"
    raise TypeError(f"unknown block {type(b).__name__}")


def render(blocks: Sequence[Block]) -> str:
    """The whole ``report.typ``."""
    head = f"#import {typst_string(TEMPLATE_NAME)}: *\n"
    return head + "\n\n".join(render_block(b) for b in blocks) + "\n"

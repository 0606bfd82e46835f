"""Blocks -> Markdown (``report.md``), the PDF's plain-text twin."""

from __future__ import annotations

from collections.abc import Sequence

from dlhw.markup import fmt_value, md_escape
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
from dlhw.report.typst_markdown import TypstConversionError, typst_to_markdown
from dlhw.results import Table

_PREFIX = {"question": "> **The text asks:** ", "meta": "*", "notrun": "**Not run.** ",
           "pending": "**Pending.** ", "error": "**Error.** ", "plain": ""}
_SUFFIX = {"meta": "*"}


def md_table(columns: Sequence[str], rows: Sequence[Sequence[object]],
             highlight: Sequence[int] = ()) -> str:
    """A pipe table; highlighted rows have every cell in bold."""
    width = max([len(columns)] + [len(r) for r in rows])
    header = [md_escape(c) for c in columns] + [""] * (width - len(columns))
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * width]
    for i, r in enumerate(rows):
        cells = [md_escape(fmt_value(c)) for c in list(r) + [""] * (width - len(r))]
        if i in set(highlight):
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _table(t: Table, caption: str) -> str:
    best = " (best in bold)" if t.highlight else ""
    return f"*Table: {md_escape(caption)}{best}*\n\n" + md_table(t.columns, t.rows, t.highlight)


def _title(b: TitlePage) -> str:
    out = [f"# {md_escape(b.title)}", "", md_escape(b.subtitle), "",
           md_table(["", ""], [[k, v] for k, v in b.facts])]
    out += [f"\n> **Note.** {md_escape(n)}" for n in b.notices]
    return "\n".join(out)


def _source(b: TypstSource) -> str:
    """An answer as Markdown with ``$`` maths; its Typst source if it cannot be converted."""
    kind = "Written answer" if b.kind == "answer" else "Discussion from the measured results"
    try:
        return f"**{kind} ({b.label})**\n\n{typst_to_markdown(b.source).rstrip()}"
    except TypstConversionError:
        fence = "````" if "```" in b.source else "```"
        return f"**{kind} ({b.label})**, Typst source:\n\n{fence}typst\n{b.source.rstrip()}\n{fence}"


def render_block(b: Block) -> str:
    """One block as Markdown."""
    if isinstance(b, TitlePage):
        return _title(b)
    if isinstance(b, Heading):
        return "#" * (b.level + 1) + " " + md_escape(b.text)
    if isinstance(b, Paragraph):
        return _PREFIX.get(b.style, "") + md_escape(b.text) + _SUFFIX.get(b.style, "")
    if isinstance(b, Metrics):
        return md_table(["quantity", "value"], b.rows)
    if isinstance(b, TableBlock):
        return _table(b.table, b.caption)
    if isinstance(b, Figure):
        return f"![{md_escape(b.caption)}]({b.path})"
    if isinstance(b, TypstSource):
        return _source(b)
    raise TypeError(f"unknown block {type(b).__name__}")


def render(blocks: Sequence[Block]) -> str:
    """The whole ``report.md``."""
    return "\n\n".join(render_block(b) for b in blocks) + "\n"

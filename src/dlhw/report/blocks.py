"""The report as a list of neutral blocks, rendered twice: to Typst and to Markdown.

:mod:`dlhw.report.assemble` decides *what* the report says (from the outline and the stored
results); :mod:`dlhw.report.typst_render` and :mod:`dlhw.report.markdown_render` decide how it
looks. All text in a block is plain (unescaped); the renderers escape it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dlhw.results import Table


@dataclass
class TitlePage:
    """The first page: title, subtitle, ``(label, value)`` facts, and warnings about the run."""

    title: str
    subtitle: str
    facts: list[tuple[str, str]]
    notices: list[str] = field(default_factory=list)


@dataclass
class Heading:
    """``level`` 1 = a question of the text, 2 = one of its items, 3 = a run within an item."""

    level: int
    text: str


@dataclass
class Paragraph:
    """Text in a ``style``: ``question`` (the text's request), ``meta`` (run facts), ``plain``,
    ``notrun`` (a result that does not exist), ``pending`` (an answer not written yet) or
    ``error`` (something that failed)."""

    text: str
    style: str = "plain"


@dataclass
class Metrics:
    """Reported numbers as ``(name, formatted value)`` rows."""

    rows: list[tuple[str, str]]


@dataclass
class TableBlock:
    """A result table (cells formatted by the renderer), highlighted rows in bold."""

    table: Table
    caption: str


@dataclass
class Figure:
    """An image at ``path`` (relative to the report's folder; raster, for the Markdown report)
    and its ``vector`` twin (PDF or SVG, for the PDF report), if any."""

    path: str
    caption: str
    vector: str | None = None


@dataclass
class TypstSource:
    """Written answer or discussion: Typst source in ``path`` (relative to the report folder)."""

    label: str
    path: str
    source: str
    kind: str = "answer"


Block = TitlePage | Heading | Paragraph | Metrics | TableBlock | Figure | TypstSource

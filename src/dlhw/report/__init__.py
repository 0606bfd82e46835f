"""``dlhw.report``: the homeworks' PDF (Typst) and Markdown reports, read from stored results.

>>> build_reports("hw2122", runs_root=Path("runs"), out_root=Path("reports"))  # doctest: +SKIP
[PosixPath('reports/hw2122/report.pdf'), PosixPath('reports/hw2122/report.md')]

:mod:`~dlhw.report.outline` lists each homework's sections; :mod:`~dlhw.report.assemble` fills
them from ``runs/<id>/result.json``; :mod:`~dlhw.report.typst_render` and
:mod:`~dlhw.report.markdown_render` write the two documents; :mod:`~dlhw.markup` escapes.
"""

from dlhw.markup import escape, fmt_value
from dlhw.report.build import ReportError, build_reports

__all__ = ["ReportError", "build_reports", "escape", "fmt_value"]

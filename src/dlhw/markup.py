"""Turning result strings and numbers into Typst and Markdown source, safely.

Every string that comes from a result (titles, captions, notes, table cells, configuration
values) goes through :func:`escape` before it enters Typst markup, and through
:func:`typst_string` before it enters Typst code (file paths); numbers go through
:func:`fmt_value`, the one place where the report decides how a number reads, so the Typst and
the Markdown twin (and the tests) print the same digits.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

# Characters with a meaning in Typst markup: escaping each with a backslash prints it as is.
_TYPST_SPECIAL = set("\\#$*_@<>[]`~/=-+'\"{}")
# "1. " (or "12. ") at the start of a line would open a numbered list.
_ENUM_START = re.compile(r"^(\s*\d+)\.")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!$])")


def escape(text: Any) -> str:
    """``text`` as Typst markup that prints exactly ``str(text)`` (newlines become spaces)."""
    s = " ".join(str(text).splitlines())
    s = "".join("\\" + ch if ch in _TYPST_SPECIAL else ch for ch in s)
    return _ENUM_START.sub(r"\1\\.", s)  # after the loop, which would double its backslash


def typst_string(text: Any) -> str:
    """``text`` as a Typst string literal (for code: file paths, arguments), quotes included."""
    s = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + s.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'


def md_escape(text: Any) -> str:
    """``text`` as Markdown that prints as is (one line; ``|`` escaped for tables)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).splitlines()))


def fmt_number(v: float | int) -> str:
    """How the report prints a number: ints as is, floats with 4 decimals (or 4 significant
    digits when very small or large), non-finite values by name."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0 or 1e-3 <= abs(v) < 1e5:
        return f"{v:.4f}"
    return f"{v:.4g}"


def fmt_value(v: Any) -> str:
    """A metric, configuration value or table cell as report text (plain, unescaped)."""
    if v is None:
        return "–"
    if isinstance(v, (bool, int, float)):
        return fmt_number(v)
    if hasattr(v, "item") and callable(v.item):  # numpy scalars
        return fmt_value(v.item())
    if isinstance(v, Mapping):
        return ", ".join(f"{k} = {fmt_value(x)}" for k, x in v.items())
    if isinstance(v, Sequence) and not isinstance(v, str):
        return ", ".join(fmt_value(x) for x in v)
    return str(v)


def is_displayable(v: Any) -> bool:
    """True for values that read well on one line: scalars, and flat lists or dicts of scalars."""
    scalar = (str, bool, int, float, type(None))
    if isinstance(v, scalar):
        return True
    if isinstance(v, Mapping):
        return len(v) <= 8 and all(isinstance(x, scalar) for x in v.values())
    if isinstance(v, Sequence):
        return len(v) <= 12 and all(isinstance(x, scalar) for x in v)
    return False


def fmt_seconds(s: float | None) -> str:
    """Wall time as the report prints it: ``12.3 s``, ``4 min 05 s``, ``1 h 02 min``."""
    if s is None:
        return "–"
    if s < 60:
        return f"{s:.1f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"

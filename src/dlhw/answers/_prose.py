"""Small helpers that turn stored numbers into Typst sentences (private to the discussions).

Everything interpolated into markup goes through :func:`dlhw.markup.escape` (the report's one
Typst escaper); numbers are formatted by
:func:`pct` (accuracies, stored as fractions in [0, 1]), :func:`pts` (differences of
accuracies, in percentage points) and :func:`num`. :func:`trend` describes how a series
changes along an axis (monotone, flat or with a peak) from the numbers alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dlhw.labels import param_label
from dlhw.markup import escape
from dlhw.results import ExperimentResult

# Below this spread (in accuracy, i.e. 0.5 percentage points) a series counts as flat.
FLAT_SPREAD = 0.005


def pct(x: float) -> str:
    """An accuracy stored as a fraction, as a percentage with one decimal: ``0.8731 -> 87.3%``."""
    return f"{100 * float(x):.1f}%"


def pts(d: float) -> str:
    """A difference of accuracies in percentage points, e.g. ``0.021 -> 2.1 points``."""
    v = 100 * abs(float(d))
    return f"{v:.1f} point" + ("" if f"{v:.1f}" == "1.0" else "s")


def num(x: float, digits: int = 4) -> str:
    """A real number with ``digits`` significant digits (``0.1234``, ``12.35``, ``1.2e-05``)."""
    return f"{float(x):.{digits}g}"


def is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def not_run(exp_id: str, what: str) -> str:
    """The sentence printed when a needed experiment has no stored result."""
    return (f"The experiment {escape(exp_id)} was not run, so {what} cannot be discussed yet "
            f"(run `dlhw run {exp_id}` and rebuild the report).")


def missing(exp_id: str, keys: str, what: str) -> str:
    """The sentence printed when a stored result lacks the metrics a discussion needs."""
    return (f"The stored result of {escape(exp_id)} has no {escape(keys)}, so {what} cannot be discussed "
            f"from it (rerun the experiment with the current code).")


def quick_note(result: ExperimentResult) -> str:
    """A caveat for results of a ``--quick`` run ("" otherwise)."""
    if not result.quick:
        return ""
    return (" (These numbers come from a quick run on a small slice with few epochs, so the "
            "conclusions below are only indicative.)")


def series(per: Any, key: str) -> list[tuple[int, float]] | None:
    """``[(x, per[x][key]), ...]`` sorted by the integer x, or None if any entry lacks ``key``."""
    if not isinstance(per, Mapping) or not per:
        return None
    out = []
    for x, entry in per.items():
        v = entry.get(key) if isinstance(entry, Mapping) else None
        try:
            xi = int(x)
        except (TypeError, ValueError):
            return None
        if not is_number(v):
            return None
        out.append((xi, float(v)))
    return sorted(out)


def listing(pairs: Sequence[tuple[int, float]], axis: str) -> str:
    """``"16: 80.1%, 32: 82.3% and 64: 84.0%"`` style listing of a series."""
    items = [f"{pct(v)} at {axis} {x}" for x, v in pairs]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass(frozen=True)
class Trend:
    """The shape of a series: ``kind`` is "increasing", "decreasing", "flat" or "mixed"."""

    kind: str
    sentence: str
    argmax: int
    gains: tuple[float, ...]


def trend(pairs: Sequence[tuple[int, float]], quantity: str, axis: str) -> Trend:
    """Describe ``quantity`` along ``axis`` from the numbers: monotone, flat, or with a peak.

    ``pairs`` : [(x, value)] sorted by x (at least one). The sentence always quotes the first and
    last values and, when not monotone, where the maximum is.
    """
    xs, vs = [x for x, _ in pairs], [v for _, v in pairs]
    gains = tuple(b - a for a, b in zip(vs, vs[1:]))
    best = xs[max(range(len(vs)), key=vs.__getitem__)]
    first, last = f"{pct(vs[0])} at {axis} {xs[0]}", f"{pct(vs[-1])} at {axis} {xs[-1]}"
    if len(vs) == 1:
        return Trend("flat", f"Only {axis} {xs[0]} was run: {quantity} is {pct(vs[0])}.", best, gains)
    if max(vs) - min(vs) < FLAT_SPREAD:
        return Trend("flat", f"{quantity.capitalize()} is essentially flat, between {pct(min(vs))} and "
                     f"{pct(max(vs))} (from {first} to {last}).", best, gains)
    if all(g > 0 for g in gains):
        return Trend("increasing", f"{quantity.capitalize()} rises monotonically with the {axis}, "
                     f"from {first} to {last}.", best, gains)
    if all(g < 0 for g in gains):
        return Trend("decreasing", f"{quantity.capitalize()} falls monotonically with the {axis}, "
                     f"from {first} to {last}.", best, gains)
    return Trend("mixed", f"{quantity.capitalize()} does not change monotonically with the {axis}: it "
                 f"goes from {first} to {last}, with its maximum, {pct(max(vs))}, at {axis} {best}.",
                 best, gains)


def config_text(config: Any) -> str:
    """A configuration dict as ``"learning rate = 0.001, dropout = 0.3"`` (human labels of the
    keys, :mod:`dlhw.labels`; escaped), or "" when absent."""
    if not isinstance(config, Mapping) or not config:
        return ""
    return ", ".join(f"{escape(param_label(k))} {escape('=')} {escape(v)}" for k, v in config.items())

"""Grids as data: a :class:`GridSpec` expands into :class:`Config` objects with stable ids.

>>> spec = GridSpec(base={"epochs": 20}, axes={"lr": (1e-4, 1e-3), "l2": (0.0, 1e-5)})
>>> [c.id for c in spec.expand()][:1]           # doctest: +SKIP
['lr=0.0001_l2=0.0-6f1c0a2e']

The id is a readable slug of the varied values plus a short hash of the canonical JSON of *all*
parameters (base included), so it does not depend on the order of the axes or on the other
configurations, and changing the base (e.g. the epoch count) gives new ids (no stale reuse).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlhw.errors import ConfigError

HASH_CHARS = 8
SLUG_CHARS = 80


def _plain(value: Any, where: str) -> Any:
    """``value`` as a JSON scalar/list (numpy scalars converted); anything else is a ConfigError."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        if isinstance(value, float) and not np.isfinite(value):
            raise ConfigError(f"{where} is {value!r}; grid values must be finite numbers")
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v, where) for v in value]
    raise ConfigError(f"{where} has type {type(value).__name__}; grid values must be JSON scalars "
                      f"or lists (numbers, strings, booleans, None)")


def canonical_json(params: Mapping[str, Any]) -> str:
    """Sorted, compact JSON of ``params``: the input of the config hash."""
    return json.dumps({k: _plain(v, f"parameter {k!r}") for k, v in params.items()},
                      sort_keys=True, separators=(",", ":"))


def _slug(varied: Mapping[str, Any]) -> str:
    text = "_".join(f"{k}={v}" for k, v in varied.items()) or "base"
    return re.sub(r"[^A-Za-z0-9.=+-]+", "-", text)[:SLUG_CHARS]


@dataclass(frozen=True)
class Config:
    """One point of a grid.

    Attributes
    ----------
    index : position in the grid's expansion order (0-based).
    params : every parameter (base and axes), JSON-compatible.
    varied : the axis values only, in axis order (what a table shows).
    """

    index: int
    params: dict[str, Any]
    varied: dict[str, Any]

    @property
    def hash(self) -> str:
        return hashlib.sha256(canonical_json(self.params).encode()).hexdigest()[:HASH_CHARS]

    @property
    def id(self) -> str:
        """``<slug>-<hash>``: readable, filesystem-safe and stable."""
        return f"{_slug(self.varied)}-{self.hash}"


@dataclass(frozen=True)
class GridSpec:
    """A grid: the fixed ``base`` parameters and the ``axes`` to vary (all combinations).

    Axes are expanded in declaration order, the last axis varying fastest (``itertools.product``).
    """

    base: Mapping[str, Any] = field(default_factory=dict)
    axes: Mapping[str, tuple] = field(default_factory=dict)

    def __post_init__(self) -> None:
        overlap = sorted(set(self.base) & set(self.axes))
        if overlap:
            raise ConfigError(f"grid parameters {overlap} are both in base and axes; keep each in one")
        for name, values in self.axes.items():
            if isinstance(values, (str, bytes)) or not isinstance(values, (tuple, list)) or not values:
                raise ConfigError(f"grid axis {name!r} must be a non-empty tuple of values, got {values!r}")
            if len({canonical_json({"v": v}) for v in values}) != len(values):
                raise ConfigError(f"grid axis {name!r} repeats a value: {values!r}")
        canonical_json({**self.base, **{k: list(v) for k, v in self.axes.items()}})  # validates types

    def __len__(self) -> int:
        return int(np.prod([len(v) for v in self.axes.values()], dtype=np.int64))

    def expand(self) -> list[Config]:
        """Every configuration, in grid order."""
        names = list(self.axes)
        configs = []
        for index, values in enumerate(itertools.product(*(self.axes[n] for n in names))):
            varied = {n: _plain(v, f"axis {n!r}") for n, v in zip(names, values)}
            params = {**{k: _plain(v, f"base {k!r}") for k, v in self.base.items()}, **varied}
            configs.append(Config(index=index, params=params, varied=varied))
        return configs

    def to_dict(self) -> dict[str, Any]:
        return {"base": dict(self.base), "axes": {k: list(v) for k, v in self.axes.items()}}

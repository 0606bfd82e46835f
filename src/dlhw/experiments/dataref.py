"""How a grid worker gets its data: a small picklable reference, loaded once per process.

Grids send each worker a :class:`DataRef` (a few strings), never the arrays; the worker calls
:func:`load_ref`, which loads the data set once per process (quick: the slice) and reuses it for
every configuration it trains.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dlhw.data import Dataset
from dlhw.experiments.base import QUICK_EVAL_ROWS, QUICK_TRAIN_ROWS


@dataclass(frozen=True)
class DataRef:
    """Data set ``name`` from ``data_dir``; ``quick`` keeps ``train_rows`` / ``eval_rows`` rows."""

    name: str
    data_dir: str | None = None
    quick: bool = False
    dtype: str = "float64"  # float32 for the torch models
    train_rows: int = QUICK_TRAIN_ROWS
    eval_rows: int = QUICK_EVAL_ROWS


@lru_cache(maxsize=2)
def load_ref(ref: DataRef) -> Dataset:
    """The data set ``ref`` describes, loaded once per process (callers must not modify it)."""
    from dlhw.data import load

    ds = load(ref.name, data_dir=ref.data_dir, dtype=np.dtype(ref.dtype))
    return ds.subset(ref.train_rows, ref.eval_rows) if ref.quick else ds

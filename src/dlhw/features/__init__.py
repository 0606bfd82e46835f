"""``dlhw.features``: numpy-only feature maps for 28x28 images, each with its rationale.

>>> from dlhw.features import FEATURE_MAPS, extract
>>> F = extract(X, ["hog", "pool4"])         # doctest: +SKIP  (n, 784) -> (n, 324 + 49)
>>> FEATURE_MAPS["hog"].rationale            # doctest: +SKIP  why it is a good representation

Every map is a :class:`FeatureMap` ``(n, 784) -> (n, d)``, vectorised and applied in row chunks;
it is a pure function (no fitted state), so train, dev and test are mapped the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlhw.errors import ConfigError
from dlhw.features.base import N_PIXELS, SIDE, FeatureMap, as_images
from dlhw.features.catalog import FEATURE_MAPS
from dlhw.features.hog import hog_images
from dlhw.features.pooling import avg_pool_images

__all__ = ["FEATURE_MAPS", "FeatureMap", "N_PIXELS", "SIDE", "as_images", "avg_pool_images",
           "extract", "get", "hog_images", "output_dim"]


def get(name: str) -> FeatureMap:
    """The feature map called ``name``; an unknown name lists the valid ones."""
    if name not in FEATURE_MAPS:
        raise ConfigError(f"unknown feature map {name!r}; choose one of {', '.join(FEATURE_MAPS)}")
    return FEATURE_MAPS[name]


def _names(names: str | Sequence[str]) -> list[str]:
    names = [names] if isinstance(names, str) else list(names)
    if not names:
        raise ConfigError("extract needs at least one feature map name, e.g. ['hog']")
    return names


def output_dim(names: str | Sequence[str]) -> int:
    """Number of columns :func:`extract` returns for ``names``."""
    return sum(get(n).output_dim for n in _names(names))


def extract(X: np.ndarray, names: str | Sequence[str], *, chunk_size: int = 4096) -> np.ndarray:
    """Concatenate feature maps ``names`` of ``X`` (n, 784): an array (n, output_dim(names)).

    A single name may be given as a string; ``"hog+pool4"``-style names are catalogue entries.
    """
    maps = [get(n) for n in _names(names)]
    as_images(X)  # one clear ShapeError before any work
    if len(maps) == 1:
        return maps[0](X, chunk_size=chunk_size)
    return np.concatenate([m(X, chunk_size=chunk_size) for m in maps], axis=1)

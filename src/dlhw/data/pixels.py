"""Image rows kept as their 8-bit pixels: :class:`PixelRows`, the float values made on first use.

The image data sets' features are ``pixel / 256`` (plus a constant-1 bias column in the
2021-22 skeleton's convention): every value is an 8-bit code times a power of two. A float64
copy of Fashion-MNIST's 70000 rows is 440 MB, and making it (allocating and touching fresh
pages) costs more than a whole compiled perceptron run's data loading otherwise does. The
compiled classifiers (perceptron, logistic regression, MLP) train and score on the codes
(:mod:`dlhw.scratch._fast_linear`, :mod:`dlhw.scratch._eval32`) and never read the floats,
so with ``load(..., lazy=True)`` a split's ``X`` is a :class:`PixelRows`: the codes and their
scales, and the float array only when some code asks for it (``np.asarray``, indexing,
arithmetic). The values are the same, bit for bit, as the eager loader's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from dlhw.errors import ShapeError


@dataclass(frozen=True, eq=False)
class PixelRows:
    """Rows ``X == codes * scale`` (exactly), as float ``dtype`` values made on first use.

    ``codes`` (n, d) uint8, C-contiguous; ``scale`` (d,) float64, positive powers of two (so
    every product is exact). ``np.asarray(rows)`` is :attr:`array`, always the same object;
    ``rows[key]`` indexes it. Code that reads the codes (the compiled linear kernels) keeps the
    identity of this object, as it would of an ndarray ``X``.
    """

    codes: np.ndarray
    scale: np.ndarray
    dtype: np.dtype = field(default=np.dtype(np.float64))
    ndim = 2

    def __post_init__(self) -> None:
        codes, scale = self.codes, self.scale
        if codes.dtype != np.uint8 or codes.ndim != 2 or not codes.flags.c_contiguous:
            raise ShapeError(f"PixelRows needs C-contiguous (n, d) uint8 codes, got {codes.dtype} "
                             f"{codes.shape}; pass the image's pixels")
        if scale.shape != (codes.shape[1],) or not np.all(np.frexp(scale)[0] == 0.5):
            raise ShapeError(f"PixelRows needs one positive power-of-two scale per column "
                             f"({codes.shape[1]}), got shape {scale.shape}")
        object.__setattr__(self, "dtype", np.dtype(self.dtype))

    @classmethod
    def from_pixels(cls, pixels: np.ndarray, *, bias: bool, dtype: np.dtype = np.float64) -> PixelRows:
        """``pixels`` (n, d) uint8 as ``pixels / 256``, with a constant-1 column (code 128 times
        ``2**-7``) when ``bias``: the values of :func:`dlhw.data.dataset.pixels_to_float`."""
        n, d = pixels.shape
        codes = np.empty((n, d + int(bias)), np.uint8)
        codes[:, :d] = pixels
        scale = np.full(d + int(bias), 2.0**-8)
        if bias:
            codes[:, d], scale[d] = 128, 2.0**-7
        return cls(codes, scale, np.dtype(dtype))

    @property
    def shape(self) -> tuple[int, int]:
        return self.codes.shape

    def __len__(self) -> int:
        return len(self.codes)

    def decode(self, rows=slice(None)) -> np.ndarray:
        """Rows ``rows`` (a slice or (m,) indices) as ``dtype`` values, made now: ``codes[rows] *
        scale`` in one casting multiply (exact)."""
        return np.multiply(self.codes[rows], self.scale.astype(self.dtype), dtype=self.dtype)

    @cached_property
    def array(self) -> np.ndarray:
        """All rows as ``dtype`` (n, d), made once (:meth:`decode`)."""
        return self.decode()

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        out = self.array if dtype is None else self.array.astype(dtype, copy=False)
        return out.copy() if copy else out

    def __getitem__(self, key):
        return self.array[key]

    def head(self, n: int) -> PixelRows:
        """The first ``n`` rows, still as codes."""
        return PixelRows(self.codes[:n], self.scale, self.dtype)


def take_rows(X, rows: np.ndarray) -> np.ndarray:
    """``X[rows]`` as floats (``rows`` (m,) indices); for a :class:`PixelRows` only those rows
    are made (``codes[rows] * scale``, the same values), not the whole float array."""
    if isinstance(X, PixelRows) and "array" not in vars(X):
        return X.decode(rows)
    return np.asarray(X)[rows]


def head_rows(X, n: int):
    """The first ``n`` rows of ``X`` (an array or :class:`PixelRows`), without making floats."""
    return X.head(n) if isinstance(X, PixelRows) else X[:n]

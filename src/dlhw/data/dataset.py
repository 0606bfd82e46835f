"""The :class:`Dataset` container every loader returns."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from dlhw.data.pixels import head_rows

Split = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Dataset:
    """A data set split into train / dev / test.

    Attributes
    ----------
    name : ``"fashion-mnist"``, ``"emnist-letters"`` or ``"ames"``.
    train, dev, test : ``(X, y)`` with ``X`` of shape (n, d) (an array, or a
        :class:`dlhw.data.pixels.PixelRows` from ``load(..., lazy=True)``) and ``y`` of shape (n,);
        integer labels in ``0..n_classes-1`` for classification, real targets for regression.
        ``dev`` is None for Ames (the 2021-22 text uses train/test only).
    n_classes : number of classes, or None for regression.
    source : the folder or file the data came from.
    """

    name: str
    train: Split
    dev: Split | None
    test: Split
    n_classes: int | None
    source: str = ""

    @property
    def n_features(self) -> int:
        return int(self.train[0].shape[1])

    def splits(self) -> dict[str, Split]:
        """The non-empty splits by name, in the order train, dev, test."""
        out = {"train": self.train, "dev": self.dev, "test": self.test}
        return {k: v for k, v in out.items() if v is not None}

    def describe(self) -> str:
        """One line: name, split sizes, feature count, classes, source."""
        sizes = ", ".join(f"{k} {len(v[1])}" for k, v in self.splits().items())
        kind = f"{self.n_classes} classes" if self.n_classes else "regression"
        return (f"{self.name}: {sizes}; {self.n_features} features, {kind}, "
                f"{self.train[0].dtype}; from {self.source or '?'}")

    def subset(self, n_train: int, n_eval: int) -> Dataset:
        """The first ``n_train`` training rows and ``n_eval`` rows of dev and test (a quick slice)."""
        def head(split: Split | None, n: int) -> Split | None:
            return None if split is None else (head_rows(split[0], n), split[1][:n])
        return replace(self, train=head(self.train, n_train), dev=head(self.dev, n_eval),
                       test=head(self.test, n_eval))

    def map_features(self, fn, name: str | None = None) -> Dataset:
        """Apply a feature map ``fn: (n, d) -> (n, d')`` to X of every split."""
        def apply(split: Split | None) -> Split | None:
            return None if split is None else (fn(split[0]), split[1])
        return replace(self, train=apply(self.train), dev=apply(self.dev), test=apply(self.test),
                       name=self.name if name is None else name)


def pixels_to_float(pixels: np.ndarray, *, bias: bool, dtype: np.dtype) -> np.ndarray:
    """uint8 ``pixels`` (n, d) as ``dtype`` values ``p / 256``, with a constant-1 column if ``bias``.

    One allocation of the result (n, d + bias), filled by one ufunc pass that casts and scales
    (``p * 2**-8``: exact, the same values as ``p / 256``). This is about 5-10x faster than a
    256-entry lookup table (``np.take``), which costs more than the rest of a data load
    (``benchmarks/data_load.py``).
    """
    n, d = pixels.shape
    out = np.empty((n, d + int(bias)), dtype=dtype)
    np.multiply(pixels, np.dtype(dtype).type(2.0**-8), out=out[:, :d], casting="unsafe")
    if bias:
        out[:, d] = 1
    return out


def finish(X: np.ndarray, *, bias: bool, dtype: np.dtype) -> np.ndarray:
    """Cast ``X`` to ``dtype`` and append a constant-1 bias column if asked (skeleton style)."""
    X = np.asarray(X, dtype=dtype)
    if bias:
        X = np.hstack([X, np.ones((X.shape[0], 1), dtype=dtype)])
    return X

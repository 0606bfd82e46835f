"""Fixtures of the training tests: the synthetic data sets of :mod:`dlhw.testing.toydata`."""

from __future__ import annotations

import pytest

from dlhw.testing.toydata import blobs, linear_data


@pytest.fixture
def toy(seed):
    return blobs(seed)


@pytest.fixture
def toy_regression(seed):
    return linear_data(seed)

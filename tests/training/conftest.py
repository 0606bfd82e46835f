"""Fixtures of the training tests: the synthetic data sets of ``toydata``."""

from __future__ import annotations

import pytest
from toydata import blobs, linear_data


@pytest.fixture
def toy(seed):
    return blobs(seed)


@pytest.fixture
def toy_regression(seed):
    return linear_data(seed)

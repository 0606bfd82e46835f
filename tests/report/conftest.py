"""Fixtures of the report tests (helpers live in :mod:`dlhw.testing.reports`)."""

import pytest

from dlhw.testing.reports import fabricate


@pytest.fixture
def fabricated():
    return fabricate

"""Shared fixtures: a seed an environment variable can override, and the offline data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parents[1]

# Ray (tests/grid) keeps every address on 127.0.0.1: without this, a driver given "127.0.0.1:port"
# connects to the machine's own interface address instead. Ray reads it once, when first imported.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

# Property tests draw the same examples on every run (a test run is reproducible, and CI cannot
# fail on an example no earlier run saw); DLHW_HYPOTHESIS_EXPLORE=1 draws fresh ones to hunt bugs.
settings.register_profile("dlhw", derandomize=True, deadline=None)
settings.register_profile("explore", derandomize=False, deadline=None)
settings.load_profile("explore" if os.environ.get("DLHW_HYPOTHESIS_EXPLORE") else "dlhw")


def shared_data_dir() -> Path | None:
    """``$DLHW_DATA_DIR``, else ``../shared/data`` beside the repository, else None."""
    env = os.environ.get("DLHW_DATA_DIR")
    for cand in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data"]:
        if cand.is_dir():
            return cand
    return None


@pytest.fixture
def seed() -> int:
    """The test seed (``DLHW_TEST_SEED`` overrides the default 0)."""
    return int(os.environ.get("DLHW_TEST_SEED", "0"))


@pytest.fixture
def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    d = shared_data_dir()
    if d is None:
        pytest.skip("no offline data: set DLHW_DATA_DIR to the shared data folder")
    return d


@pytest.fixture(scope="session")
def fashion(data_dir):
    """Fashion-MNIST with the course split (loaded once per session)."""
    from dlhw.data import load

    return load("fashion-mnist", data_dir=data_dir)


@pytest.fixture(scope="session")
def fashion_small(fashion):
    """3000 training rows, 1000 dev and test rows of Fashion-MNIST."""
    return fashion.subset(3000, 1000)


@pytest.fixture(scope="session")
def ames(data_dir):
    from dlhw.data import load

    return load("ames", data_dir=data_dir)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    """Tests never touch the user's cache: it points at a fresh temporary folder."""
    monkeypatch.setenv("DLHW_CACHE_DIR", str(tmp_path / "cache"))


# Modules that start Ray clusters run on one pytest-xdist worker, one after the other.
RAY_MODULES = {"test_ray.py", "test_ray_cluster.py"}


def pytest_collection_modifyitems(config, items):
    """Longest tests first, and the Ray modules as one xdist group.

    ``make test`` runs the suite on two pytest-xdist workers (``-n 2 --dist loadgroup``); a long
    test (marked ``slow``) collected last would run alone at the end, so the slow ones start
    first (a stable sort: the order within each part is kept). Without xdist the order changes
    and the group marks do nothing.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
    for item in items:
        if item.path.name in RAY_MODULES:
            item.add_marker(pytest.mark.xdist_group("ray"))

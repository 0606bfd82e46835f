"""GridSpec expansion and stable configuration ids."""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.errors import ConfigError
from dlhw.grid import GridSpec, canonical_json


def test_expansion_order_and_params():
    spec = GridSpec(base={"epochs": 20}, axes={"lr": (1e-4, 1e-3), "l2": (0.0, 1e-5)})
    configs = spec.expand()
    assert len(spec) == len(configs) == 4
    assert [(c.varied["lr"], c.varied["l2"]) for c in configs] == [
        (1e-4, 0.0), (1e-4, 1e-5), (1e-3, 0.0), (1e-3, 1e-5)]
    assert configs[3].params == {"epochs": 20, "lr": 1e-3, "l2": 1e-5}
    assert [c.index for c in configs] == [0, 1, 2, 3]


def test_ids_are_stable_readable_unique_and_order_free():
    a = GridSpec(base={"epochs": 20, "features": "hog"}, axes={"lr": (1e-4, 1e-3)}).expand()
    b = GridSpec(base={"features": "hog", "epochs": 20}, axes={"lr": (1e-3, 1e-4)}).expand()
    assert {c.id for c in a} == {c.id for c in b}
    assert a[0].id.startswith("lr=0.0001-") and len(a[0].hash) == 8
    assert len({c.id for c in a}) == 2
    # the hash covers the base: another epoch count is another configuration
    c = GridSpec(base={"epochs": 5, "features": "hog"}, axes={"lr": (1e-4, 1e-3)}).expand()
    assert not {x.id for x in a} & {x.id for x in c}
    # numpy scalars hash like Python numbers
    d = GridSpec(base={"epochs": np.int64(20), "features": "hog"}, axes={"lr": (np.float64(1e-4),)})
    assert d.expand()[0].id == a[0].id


def test_slug_is_filesystem_safe():
    (cfg,) = GridSpec(axes={"features": ("hog+pool4 / x",)}).expand()
    assert "/" not in cfg.id and " " not in cfg.id and cfg.id.startswith("features=hog+pool4-")


def test_canonical_json_is_sorted_and_compact():
    assert canonical_json({"b": 1, "a": [1, 2.5]}) == '{"a":[1,2.5],"b":1}'


@pytest.mark.parametrize("base, axes, match", [
    ({"lr": 1}, {"lr": (1, 2)}, "both in base and axes"),
    ({}, {"lr": ()}, "non-empty tuple"),
    ({}, {"lr": 0.1}, "non-empty tuple"),
    ({}, {"features": "hog"}, "non-empty tuple"),
    ({}, {"lr": (0.1, 0.1)}, "repeats a value"),
    ({"f": object()}, {}, "JSON scalars"),
    ({"lr": float("nan")}, {}, "finite"),
])
def test_bad_specs_raise_config_error(base, axes, match):
    with pytest.raises(ConfigError, match=match):
        GridSpec(base=base, axes=axes)

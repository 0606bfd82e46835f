"""Feature maps: shapes, determinism, the invariance each claims, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from dlhw.errors import ConfigError, ShapeError
from dlhw.features import (
    FEATURE_MAPS,
    avg_pool_images,
    extract,
    get,
    hog_images,
    output_dim,
)
from dlhw.features.hog import cell_histograms, hog_dim

EXPECTED_DIMS = {"pixels": 784, "pool2": 196, "pool4": 49, "hog": 36 * 36, "hog7": 9 * 36,
                 "hog+pool4": 36 * 36 + 49}


@pytest.fixture
def images(rng) -> np.ndarray:
    """20 images (20, 784) in [0, 1) with a blob of ink, like the courses' p / 256 pixels."""
    X = rng.random((20, 28, 28)) * 0.3
    X[:, 8:20, 10:18] += 0.6
    return X.reshape(20, 784)


@pytest.mark.parametrize("name", sorted(FEATURE_MAPS))
def test_documented_shape_dtype_and_metadata(name, images):
    fmap = FEATURE_MAPS[name]
    F = fmap(images)
    assert F.shape == (20, EXPECTED_DIMS[name]) == (20, fmap.output_dim)
    assert F.dtype == np.float64 and np.isfinite(F).all()
    assert fmap(images.astype(np.float32)).dtype == np.float32
    assert fmap.goal in ("accuracy", "efficiency", "baseline") and fmap.rationale
    assert fmap.describe()["output_dim"] == fmap.output_dim
    if fmap.goal != "baseline":
        assert fmap.references, "q1.2b asks for references"


@pytest.mark.parametrize("name", sorted(FEATURE_MAPS))
def test_deterministic_and_chunk_independent(name, images):
    fmap = FEATURE_MAPS[name]
    whole = fmap(images)
    np.testing.assert_array_equal(whole, fmap(images.copy()))
    np.testing.assert_allclose(fmap(images, chunk_size=3), whole, rtol=0, atol=1e-12)
    np.testing.assert_allclose(fmap(images[7:8]), whole[7:8], rtol=0, atol=1e-12)


def test_input_is_not_modified(images):
    before = images.copy()
    extract(images, ["hog+pool4", "pool2"])
    np.testing.assert_array_equal(images, before)


def test_pooling_preserves_the_mean(images):
    for name in ("pool2", "pool4"):
        np.testing.assert_allclose(FEATURE_MAPS[name](images).mean(axis=1), images.mean(axis=1),
                                   rtol=1e-12)


def test_pooling_by_hand():
    X = np.arange(784, dtype=np.float64).reshape(1, 784)
    got = avg_pool_images(X.reshape(1, 28, 28), 14)  # 4 blocks of 14 x 14
    img = X.reshape(28, 28)
    want = [img[:14, :14].mean(), img[:14, 14:].mean(), img[14:, :14].mean(), img[14:, 14:].mean()]
    np.testing.assert_allclose(got[0], want)


@pytest.mark.parametrize("name", ["hog", "hog7"])
@pytest.mark.parametrize("scale, shift", [(0.5, 0.0), (3.0, 0.0), (0.7, 0.2)])
def test_hog_invariant_to_brightness_affine_change(name, scale, shift, images):
    fmap = FEATURE_MAPS[name]
    np.testing.assert_allclose(fmap(images * scale + shift), fmap(images), rtol=0, atol=1e-8)


def test_hog_is_not_trivially_constant(images, rng):
    F = FEATURE_MAPS["hog"](images)
    G = FEATURE_MAPS["hog"](rng.random((20, 784)))
    assert np.abs(F - G).max() > 0.1


def test_hog_blocks_are_unit_norm_and_clipped(images):
    F = hog_images(images.reshape(-1, 28, 28), cell=4)  # (20, 36 blocks * 36)
    blocks = F.reshape(20, 36, 36)
    np.testing.assert_allclose(np.linalg.norm(blocks, axis=-1), 1.0, rtol=1e-10)
    assert F.min() >= 0 and F.max() <= 1.0


def test_hog_vertical_edge_votes_horizontal_gradient_bin():
    """A vertical step edge has a horizontal gradient: angle 0, so only bins 0 (and 8) get votes."""
    img = np.zeros((1, 28, 28))
    img[:, :, 14:] = 1.0
    hist = cell_histograms(img, cell=4, bins=9)  # (1, 7, 7, 9)
    total = hist.sum(axis=(0, 1, 2))
    assert total[0] > 0 and np.allclose(total[1:8], 0)
    np.testing.assert_allclose(total[0] + total[8], 28 * 2 * 1.0)  # two columns of |g| = 1


def test_flat_image_gives_zero_hog_not_nan():
    F = FEATURE_MAPS["hog"](np.full((2, 784), 0.4))
    assert np.isfinite(F).all() and np.all(F == 0)


def test_extract_concatenates_in_order(images):
    F = extract(images, ["pool4", "hog7"])
    assert F.shape == (20, output_dim(["pool4", "hog7"])) == (20, 49 + 324)
    np.testing.assert_array_equal(F[:, :49], FEATURE_MAPS["pool4"](images))
    np.testing.assert_array_equal(F[:, 49:], FEATURE_MAPS["hog7"](images))
    np.testing.assert_array_equal(extract(images, "pool2"), FEATURE_MAPS["pool2"](images))


def test_uint8_pixels_are_accepted(rng):
    X = rng.integers(0, 256, size=(3, 784), dtype=np.uint8)
    np.testing.assert_allclose(extract(X, "pool4"), extract(X.astype(np.float64), "pool4"))


@pytest.mark.parametrize("bad, match", [
    (np.zeros((5, 785)), r"bias column"),
    (np.zeros((5, 28, 28)), r"shape \(n, 784\)"),
    (np.zeros(784), r"got \(784,\)"),
    (np.zeros((5, 100)), r"got \(5, 100\)"),
    (np.array([["a"] * 784]), r"numeric"),
])
def test_wrong_input_shapes_raise_shape_error(bad, match):
    with pytest.raises(ShapeError, match=match):
        extract(bad, "hog")
    with pytest.raises(ShapeError, match=match):
        FEATURE_MAPS["pool2"](bad)


def test_unknown_names_and_parameters_raise_config_error(images):
    with pytest.raises(ConfigError, match=r"unknown feature map 'sift'.*hog"):
        extract(images, ["sift"])
    with pytest.raises(ConfigError, match="at least one"):
        extract(images, [])
    with pytest.raises(ConfigError, match="divide the image side"):
        hog_dim(5, 2, 9)
    with pytest.raises(ConfigError, match="block"):
        hog_dim(7, 5, 9)
    assert get("hog").name == "hog"

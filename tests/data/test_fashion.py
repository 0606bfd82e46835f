"""Fashion-MNIST: the course's exact split, scaling, checksums and bad files."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest

from dlhw.data import load
from dlhw.data.fashion_mnist import FILES, course_split
from dlhw.errors import DataError


def test_split_shapes_and_scale(fashion):
    assert fashion.train[0].shape == (50000, 784)
    assert fashion.dev[0].shape == (10000, 784)
    assert fashion.test[0].shape == (10000, 784)
    assert fashion.train[0].dtype == np.float64
    # pixels / 256: the largest value is 255/256, never 1
    assert fashion.train[0].max() == 255 / 256
    assert fashion.train[0].min() == 0.0


def test_split_indices_match_the_course(fashion, data_dir):
    train_idx, dev_idx = course_split()
    perm = np.random.RandomState(42).permutation(60000)
    assert dev_idx[0] == perm[0] and train_idx[0] == perm[10000]
    assert len(set(train_idx) | set(dev_idx)) == 60000
    # the first dev row and first train row are those training images, in file order
    with gzip.open(data_dir / "fashion-mnist" / "train-images-idx3-ubyte.gz") as fh:
        raw = fh.read()
    images = np.frombuffer(raw, np.uint8, offset=16).reshape(60000, 784)
    np.testing.assert_array_equal(fashion.dev[0][0], images[perm[0]] / 256)
    np.testing.assert_array_equal(fashion.train[0][0], images[perm[10000]] / 256)


def test_label_counts(fashion):
    # the official sets are balanced: 6000 per class in train+dev, 1000 per class in test
    counts = np.bincount(np.concatenate([fashion.train[1], fashion.dev[1]]), minlength=10)
    assert counts.tolist() == [6000] * 10
    assert np.bincount(fashion.test[1]).tolist() == [1000] * 10
    assert fashion.train[1].dtype == np.int64


def test_bias_and_float32(data_dir):
    ds = load("fashion-mnist", data_dir=data_dir, bias=True, dtype=np.float32)
    assert ds.train[0].shape == (50000, 785) and ds.train[0].dtype == np.float32
    assert np.all(ds.test[0][:, -1] == 1)


@pytest.fixture
def fashion_copy(tmp_path, data_dir):
    """A writable copy of the four IDX files (raw, decompressed) to corrupt."""
    d = tmp_path / "fashion-mnist"
    d.mkdir()
    for f in FILES:
        with gzip.open(data_dir / "fashion-mnist" / f"{f}.gz") as src, open(d / f, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return d


def test_raw_idx_files_load(fashion_copy, fashion):
    ds = load("fashion-mnist", data_dir=fashion_copy.parent)
    np.testing.assert_array_equal(ds.test[1], fashion.test[1])


def test_truncated_file(fashion_copy):
    p = fashion_copy / "t10k-labels-idx1-ubyte"
    p.write_bytes(p.read_bytes()[:-10])
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.*(checksum|truncated)"):
        load("fashion-mnist", data_dir=fashion_copy.parent)


def test_checksum_mismatch(fashion_copy):
    p = fashion_copy / "t10k-labels-idx1-ubyte"
    data = bytearray(p.read_bytes())
    data[100] = (data[100] + 1) % 10  # still a valid label, wrong content
    p.write_bytes(bytes(data))
    with pytest.raises(DataError, match="fails its checksum.*dlhw data fetch fashion-mnist"):
        load("fashion-mnist", data_dir=fashion_copy.parent)


def test_corrupt_gzip(tmp_path):
    d = tmp_path / "fashion-mnist"
    d.mkdir()
    for f in FILES:
        (d / f"{f}.gz").write_bytes(b"\x1f\x8b\x08 definitely not gzip")
    with pytest.raises(DataError, match="corrupt or truncated gzip"):
        load("fashion-mnist", data_dir=tmp_path)


def test_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("DLHW_DATA_DIR", raising=False)
    with pytest.raises(DataError, match="Fashion-MNIST not found.*dlhw data fetch fashion-mnist"):
        load("fashion-mnist", data_dir=tmp_path)

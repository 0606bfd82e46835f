"""EMNIST Letters on small generated files: the course npz and the NIST archive."""

from __future__ import annotations

import gzip
import struct
import zipfile

import numpy as np
import pytest

from dlhw.data import load
from dlhw.errors import DataError


def _letters(rng, n):
    """n images (n, 28, 28) uint8 whose top row is bright: orientation is then testable."""
    X = rng.integers(0, 50, size=(n, 28, 28), dtype=np.uint8)
    X[:, 0, :] = 255  # a bright top row in the upright image
    y = rng.integers(1, 27, size=n).astype(np.uint8)
    y[:26] = np.arange(1, 27)
    return X, y


def _write_course(path, rng, sizes=(60, 30, 30), **overrides):
    arrays = {}
    for split, n in zip(("train", "valid", "test"), sizes):
        X, y = _letters(rng, n)
        arrays[f"X_{split}"] = X.reshape(n, 784)
        arrays[f"y_{split}"] = y
    arrays.update(overrides)
    np.savez(path, **arrays)
    return arrays


def _idx(a: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 0x08, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape)
    return gzip.compress(header + a.astype(np.uint8).tobytes())


def test_course_file(tmp_path, rng):
    d = tmp_path / "emnist-letters"
    d.mkdir()
    arrays = _write_course(d / "emnist-letters.npz", rng)
    ds = load("emnist-letters", data_dir=tmp_path)
    assert ds.n_classes == 26
    assert ds.train[0].shape == (60, 784) and ds.dev[0].shape == (30, 784) and ds.test[0].shape == (30, 784)
    np.testing.assert_array_equal(ds.train[1], arrays["y_train"].astype(int) - 1)  # 1..26 -> 0..25
    assert ds.train[1].min() == 0 and ds.train[1].max() == 25
    np.testing.assert_array_equal(ds.test[0], arrays["X_test"] / 256)


def test_course_file_zero_based_labels_are_kept(tmp_path, rng):
    d = tmp_path / "emnist-letters"
    d.mkdir()
    arrays = _write_course(d / "emnist-letters.npz", rng)
    np.savez(d / "emnist-letters.npz", **{k: (v - 1 if k.startswith("y") else v) for k, v in arrays.items()})
    ds = load("emnist-letters", data_dir=tmp_path)
    np.testing.assert_array_equal(ds.train[1], arrays["y_train"].astype(int) - 1)


def test_nist_archive_is_transposed_back(tmp_path, rng):
    Xtr, ytr = _letters(rng, 200)
    Xte, yte = _letters(rng, 40)
    members = {
        "emnist-letters-train-images-idx3-ubyte.gz": _idx(Xtr.transpose(0, 2, 1)),  # NIST: transposed
        "emnist-letters-train-labels-idx1-ubyte.gz": _idx(ytr),
        "emnist-letters-test-images-idx3-ubyte.gz": _idx(Xte.transpose(0, 2, 1)),
        "emnist-letters-test-labels-idx1-ubyte.gz": _idx(yte),
    }
    d = tmp_path / "emnist-letters"
    d.mkdir()
    with zipfile.ZipFile(d / "gzip.zip", "w") as zf:
        for name, data in members.items():
            zf.writestr(f"gzip/{name}", data)
    ds = load("emnist-letters", data_dir=tmp_path)
    np.testing.assert_array_equal(ds.test[0], Xte.reshape(40, 784) / 256)  # upright again
    assert np.all(ds.test[0].reshape(-1, 28, 28)[:, 0, :] == 255 / 256)  # bright top row
    assert len(ds.train[1]) + len(ds.dev[1]) == 200 and len(ds.dev[1]) == 40
    np.testing.assert_array_equal(ds.test[1], yte.astype(int) - 1)
    # the extracted files load the same way
    for name, data in members.items():
        (d / name).write_bytes(data)
    (d / "gzip.zip").unlink()
    ds2 = load("emnist-letters", data_dir=tmp_path)
    np.testing.assert_array_equal(ds2.train[0], ds.train[0])


@pytest.mark.parametrize("override, message", [
    ({"y_test": np.full(30, 27, np.uint8)}, "labels in .*expected 1..26"),
    ({"X_test": np.zeros((30, 100), np.uint8)}, r"shape \(30, 100\), expected"),
    ({"X_test": np.full((30, 784), np.nan)}, "NaN/inf"),
    ({"y_valid": np.ones(7, np.uint8)}, "X_valid has 30 rows but y_valid has 7"),
])
def test_course_file_bad_content(tmp_path, rng, override, message):
    d = tmp_path / "emnist-letters"
    d.mkdir()
    _write_course(d / "emnist-letters.npz", rng, **override)
    with pytest.raises(DataError, match=message):
        load("emnist-letters", data_dir=tmp_path)


def test_course_file_missing_key_and_truncated(tmp_path, rng):
    d = tmp_path / "emnist-letters"
    d.mkdir()
    np.savez(d / "emnist-letters.npz", X_train=np.zeros((2, 784), np.uint8))
    with pytest.raises(DataError, match="lacks the keys"):
        load("emnist-letters", data_dir=tmp_path)
    _write_course(d / "emnist-letters.npz", rng)
    data = (d / "emnist-letters.npz").read_bytes()
    (d / "emnist-letters.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="corrupt or truncated"):
        load("emnist-letters", data_dir=tmp_path)


def test_missing_names_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.delenv("DLHW_DATA_DIR", raising=False)
    with pytest.raises(DataError, match="EMNIST Letters not found.*dlhw data fetch emnist-letters"):
        load("emnist-letters", data_dir=tmp_path)


def test_corrupt_zip(tmp_path):
    d = tmp_path / "emnist-letters"
    d.mkdir()
    (d / "gzip.zip").write_bytes(b"PK\x03\x04 broken" + bytes(100))
    with pytest.raises(DataError, match="gzip.zip is corrupt"):
        load("emnist-letters", data_dir=tmp_path)

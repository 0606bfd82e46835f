"""Ames: the course file and the raw-table pipeline."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from dlhw.data import load, prepare
from dlhw.errors import DataError


def test_course_file_shapes(ames):
    assert ames.train[0].shape == (1465, 348) and ames.test[0].shape == (1465, 348)
    assert ames.train[1].shape == (1465,) and ames.dev is None and ames.n_classes is None
    assert 10 < ames.train[1].mean() < 13  # log prices


def test_prepare_raw_table(data_dir):
    ds = prepare(data_dir / "ames" / "AmesHousing.csv", seed=0)
    Xtr, ytr = ds.train
    Xte, yte = ds.test
    assert len(ytr) + len(yte) == 2930 and len(ytr) == 1465
    assert Xtr.shape[1] == Xte.shape[1] > 250
    assert np.isfinite(Xtr).all() and np.isfinite(Xte).all()
    # standardised with training statistics: mean 0, std 1 (or 0 for constant columns) on train
    np.testing.assert_allclose(Xtr.mean(axis=0), 0, atol=1e-10)
    stds = Xtr.std(axis=0)
    assert np.all((np.abs(stds - 1) < 1e-10) | (stds < 1e-12))
    assert not np.allclose(Xte.mean(axis=0), 0)  # test statistics were not used
    assert 10 < ytr.mean() < 13  # log SalePrice
    # a different seed gives a different split of the same rows
    other = prepare(data_dir / "ames" / "AmesHousing.csv", seed=1)
    assert not np.array_equal(other.train[1], ytr)
    np.testing.assert_allclose(np.sort(np.r_[other.train[1], other.test[1]]), np.sort(np.r_[ytr, yte]))


def test_raw_table_fallback_and_tab_separated(tmp_path, data_dir, monkeypatch):
    monkeypatch.delenv("DLHW_DATA_DIR", raising=False)
    d = tmp_path / "ames"
    d.mkdir()
    text = (data_dir / "ames" / "AmesHousing.csv").read_text(encoding="utf-8-sig")
    (d / "AmesHousing.txt").write_text(text.replace(",", "\t"))  # no field has a comma inside
    ds = load("ames", data_dir=tmp_path)
    assert "prepared" in ds.source and len(ds.train[1]) == 1465


def test_checksum_of_course_file(tmp_path, data_dir):
    d = tmp_path / "ames"
    d.mkdir()
    shutil.copy(data_dir / "ames" / "ames.npz", d / "ames.npz")
    data = bytearray((d / "ames.npz").read_bytes())
    data[-100] ^= 0xFF
    (d / "ames.npz").write_bytes(bytes(data))
    with pytest.raises(DataError, match="ames.npz fails its checksum"):
        load("ames", data_dir=tmp_path)


def test_bad_raw_tables(tmp_path):
    p = tmp_path / "AmesHousing.csv"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="no 'SalePrice' column"):
        prepare(p)
    p.write_text("a,SalePrice\n1,200000\n2\n")
    with pytest.raises(DataError, match="wrong number of fields"):
        prepare(p)
    p.write_text("a,SalePrice\n1,200000\n2,\n")
    with pytest.raises(DataError, match="SalePrice must be a positive number"):
        prepare(p)

"""Downloads against a local HTTP server on 127.0.0.1 (tests never reach outside)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import logging
import shutil
import struct
import threading
import zipfile

import numpy as np
import pytest

from dlhw.cli import main
from dlhw.data import fetch as fetch_mod
from dlhw.data import load
from dlhw.data.fetch import NIST_LETTERS, Remote, Source, fetch
from dlhw.errors import ConfigError, DataError

FASHION = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
           "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


@pytest.fixture
def server(tmp_path):
    """Serve ``tmp_path/www`` on an ephemeral port; yields (folder, base_url)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(www))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield www, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


def _serve_fashion(www, data_dir):
    for f in FASHION:
        shutil.copy(data_dir / "fashion-mnist" / f, www / f)


def test_fetch_from_mirror_then_load(server, tmp_path, data_dir):
    www, url = server
    _serve_fashion(www, data_dir)
    folder = fetch("fashion-mnist", base_url=url, dest_dir=tmp_path / "dl", progress=False)
    ds = load("fashion-mnist", data_dir=folder)
    assert ds.test[0].shape == (10000, 784)
    # cached: a second fetch with the server gone does not download again
    for f in FASHION:
        (www / f).unlink()
    assert fetch("fashion-mnist", base_url=url, dest_dir=tmp_path / "dl", progress=False) == folder


def test_fetch_default_destination_is_the_cache(server, tmp_path, data_dir, monkeypatch):
    www, url = server
    shutil.copy(data_dir / "ames" / "AmesHousing.csv", www / "AmesHousing.txt")
    monkeypatch.setenv("DLHW_CACHE_DIR", str(tmp_path / "cache"))
    folder = fetch("ames", base_url=url, progress=False)
    assert folder == tmp_path / "cache" / "ames"
    monkeypatch.delenv("DLHW_DATA_DIR", raising=False)
    assert "prepared" in load("ames").source  # found in the cache without data_dir


def test_corrupt_download_is_rejected_and_deleted(server, tmp_path, data_dir):
    www, url = server
    _serve_fashion(www, data_dir)
    data = bytearray((www / "t10k-labels-idx1-ubyte.gz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (www / "t10k-labels-idx1-ubyte.gz").write_bytes(bytes(data))
    dest = tmp_path / "dl"
    with pytest.raises(DataError, match="t10k-labels"):
        fetch("fashion-mnist", base_url=url, dest_dir=dest, progress=False)
    assert not any(dest.glob("*.gz"))  # nothing half-good is left behind


def test_official_hash_is_checked(server, tmp_path, monkeypatch):
    www, url = server
    (www / "file.bin").write_bytes(b"payload")
    good = "md5:" + hashlib.md5(b"payload").hexdigest()
    monkeypatch.setitem(fetch_mod.SOURCES, "ames", _one("AmesHousing.txt", f"{url}/file.bin",
                                                        "md5:" + "0" * 32))
    with pytest.raises(DataError, match="failed its checksum"):
        fetch("ames", dest_dir=tmp_path / "a", progress=False)
    assert not (tmp_path / "a" / "AmesHousing.txt").exists()
    # the right hash passes the download; then the content check rejects a non-Ames file
    monkeypatch.setitem(fetch_mod.SOURCES, "ames", _one("AmesHousing.txt", f"{url}/file.bin", good))
    with pytest.raises(DataError, match="SalePrice"):
        fetch("ames", dest_dir=tmp_path / "b", progress=False)


def test_network_error_is_one_line(tmp_path):
    with pytest.raises(DataError, match="downloading .* failed.*check the network") as err:
        fetch("ames", base_url="http://127.0.0.1:9", dest_dir=tmp_path, progress=False)
    assert "\n" not in str(err.value) and "Journal of Statistics Education" in str(err.value)


def _one(fname, url, known_hash, members=()):
    return (Source("official", "a test source", (Remote(fname, url, known_hash, members),)),)


def _nist_zip(path, rng, n_train=130, n_test=40):
    """A small ``gzip.zip`` laid out as NIST's (``gzip/emnist-*.gz``, other splits beside)."""
    def idx(a):
        header = struct.pack(">BBBB", 0, 0, 0x08, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape)
        return gzip.compress(header + a.astype(np.uint8).tobytes())

    parts = {}
    for split, n in (("train", n_train), ("test", n_test)):
        parts[f"emnist-letters-{split}-images-idx3-ubyte.gz"] = idx(rng.integers(0, 256, (n, 28, 28)))
        parts[f"emnist-letters-{split}-labels-idx1-ubyte.gz"] = idx(rng.integers(1, 27, n))
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(f"gzip/{name}", data)
        zf.writestr("gzip/emnist-digits-test-labels-idx1-ubyte.gz", b"not needed")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_nist_archive_from_a_mirror_keeps_only_the_letters(server, tmp_path, rng):
    www, url = server
    _nist_zip(www / "gzip.zip", rng)
    dest = tmp_path / "dl"
    assert fetch("emnist-letters", source="nist", base_url=url, dest_dir=dest, progress=False) == dest
    assert sorted(p.name for p in dest.iterdir()) == sorted(NIST_LETTERS)  # the archive is gone
    ds = load("emnist-letters", data_dir=dest)
    assert ds.train[0].shape[1] == 784 and len(ds.test[0]) == 40 and ds.n_classes == 26


def test_nist_checksum_is_checked(server, tmp_path, rng, monkeypatch):
    www, url = server
    sha = _nist_zip(www / "gzip.zip", rng)
    nist = lambda h: Source("nist", "the official NIST EMNIST archive",  # noqa: E731
                            (Remote("gzip.zip", f"{url}/gzip.zip", h, NIST_LETTERS),))
    monkeypatch.setitem(fetch_mod.SOURCES, "emnist-letters", (nist("sha256:" + "0" * 64),))
    with pytest.raises(DataError, match=r"emnist-letters: the official NIST EMNIST archive \(nist\): "
                                        r".*gzip.zip failed its checksum"):
        fetch("emnist-letters", dest_dir=tmp_path / "bad", progress=False)
    assert not any((tmp_path / "bad").iterdir())
    monkeypatch.setitem(fetch_mod.SOURCES, "emnist-letters", (nist("sha256:" + sha),))
    fetch("emnist-letters", dest_dir=tmp_path / "good", progress=False)
    assert load("emnist-letters", data_dir=tmp_path / "good").n_classes == 26


def test_corrupt_archive_is_one_line_and_deleted(server, tmp_path, rng):
    www, url = server
    _nist_zip(www / "gzip.zip", rng)
    data = bytearray((www / "gzip.zip").read_bytes())
    data[100:140] = b"\0" * 40  # inside the first member: its gzip stream or the zip CRC breaks
    (www / "gzip.zip").write_bytes(bytes(data))
    dest = tmp_path / "dl"
    with pytest.raises(DataError) as err:
        fetch("emnist-letters", source="nist", base_url=url, dest_dir=dest, progress=False)
    assert "\n" not in str(err.value) and "nist" in str(err.value)
    assert not any(dest.iterdir())


def _drive_fails(monkeypatch, exc):
    import gdown

    def download(*args, **kwargs):
        raise exc

    monkeypatch.setattr(gdown, "download", download)


def test_drive_failure_is_one_line_naming_drive_and_the_fix(tmp_path, monkeypatch):
    import requests

    _drive_fails(monkeypatch, requests.exceptions.ConnectionError(
        "HTTPSConnectionPool(host='drive.google.com', port=443): Max retries exceeded\nmore lines"))
    with pytest.raises(DataError) as err:
        fetch("emnist-letters", source="course", dest_dir=tmp_path, progress=False)
    msg = str(err.value)
    assert "\n" not in msg and "Google Drive" in msg and "quota" in msg and "drive.google.com/uc?id=" in msg
    assert not any(tmp_path.iterdir())  # no .part file left behind


def test_drive_quota_falls_back_to_nist(server, tmp_path, rng, monkeypatch, caplog):
    www, url = server
    sha = _nist_zip(www / "gzip.zip", rng)
    _drive_fails(monkeypatch, RuntimeError("Too many users have viewed or downloaded this file recently"))
    course, _ = fetch_mod.SOURCES["emnist-letters"]
    monkeypatch.setitem(fetch_mod.SOURCES, "emnist-letters", (course, Source(
        "nist", "the official NIST EMNIST archive",
        (Remote("gzip.zip", f"{url}/gzip.zip", "sha256:" + sha, NIST_LETTERS),))))
    with caplog.at_level(logging.WARNING, logger="dlhw.data.fetch"):
        folder = fetch("emnist-letters", dest_dir=tmp_path / "dl", progress=False)
    assert load("emnist-letters", data_dir=folder).n_classes == 26
    assert "Google Drive" in caplog.text and "trying the official NIST EMNIST archive" in caplog.text


def test_every_source_failing_is_one_line(tmp_path, monkeypatch):
    _drive_fails(monkeypatch, RuntimeError("quota exceeded"))
    course, _ = fetch_mod.SOURCES["emnist-letters"]
    monkeypatch.setitem(fetch_mod.SOURCES, "emnist-letters", (course, Source(
        "nist", "the official NIST EMNIST archive",
        (Remote("gzip.zip", "http://127.0.0.1:9/gzip.zip", None, NIST_LETTERS),))))
    with pytest.raises(DataError, match="every source failed") as err:
        fetch("emnist-letters", dest_dir=tmp_path, progress=False)
    msg = str(err.value)
    assert "\n" not in msg and "(course)" in msg and "(nist)" in msg and "check the network" in msg


def test_ames_table_content_is_pinned(server, tmp_path, data_dir):
    www, url = server
    text = (data_dir / "ames" / "AmesHousing.csv").read_text(encoding="utf-8-sig")
    (www / "AmesHousing.txt").write_text(text.replace(",215000", ",215001", 1), encoding="utf-8")
    with pytest.raises(DataError, match="not the published Ames table"):
        fetch("ames", base_url=url, dest_dir=tmp_path / "dl", progress=False)
    assert not (tmp_path / "dl" / "AmesHousing.txt").exists()


def test_cli_fetch_failure_is_one_line(tmp_path, capsys):
    rc = main(["data", "fetch", "ames", "--base-url", "http://127.0.0.1:9", "--dest", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and err.startswith("dlhw: error: ames: ")


def test_cli_fetch_nist_from_a_mirror(server, tmp_path, rng, capsys):
    www, url = server
    _nist_zip(www / "gzip.zip", rng)
    rc = main(["data", "fetch", "emnist-letters", "--source", "nist", "--base-url", url,
               "--dest", str(tmp_path / "dl")])
    assert rc == 0 and "emnist-letters: ready in" in capsys.readouterr().out


def test_unknown_source(tmp_path):
    with pytest.raises(ConfigError, match="unknown source 'nist' for fashion-mnist; choose one of official"):
        fetch("fashion-mnist", source="nist", dest_dir=tmp_path)


def test_unknown_name():
    with pytest.raises(ConfigError, match="unknown data set 'mnist'"):
        fetch("mnist")

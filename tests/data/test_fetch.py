"""Downloads against a local HTTP server on 127.0.0.1 (tests never reach outside)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import shutil
import threading

import pytest

from dlhw.data import fetch as fetch_mod
from dlhw.data import load
from dlhw.data.fetch import Remote, fetch
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
    monkeypatch.setitem(fetch_mod.SOURCES, "ames", (Remote("AmesHousing.txt", f"{url}/file.bin", "md5:" + "0" * 32),))
    with pytest.raises(DataError, match="failed its checksum"):
        fetch("ames", dest_dir=tmp_path / "a", progress=False)
    assert not (tmp_path / "a" / "AmesHousing.txt").exists()
    # the right hash passes the download; then the content check rejects a non-Ames file
    monkeypatch.setitem(fetch_mod.SOURCES, "ames", (Remote("AmesHousing.txt", f"{url}/file.bin", good),))
    with pytest.raises(DataError, match="SalePrice"):
        fetch("ames", dest_dir=tmp_path / "b", progress=False)


def test_network_error_is_one_line(tmp_path):
    with pytest.raises(DataError, match="downloading .* failed.*check the network"):
        fetch("ames", base_url="http://127.0.0.1:9", dest_dir=tmp_path, progress=False)


def test_unknown_name():
    with pytest.raises(ConfigError, match="unknown data set 'mnist'"):
        fetch("mnist")

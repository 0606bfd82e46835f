"""The Ray backend without a cluster: a missing Ray, bad or silent addresses (one line, bounded).

Grids on a real three-node cluster: test_ray_cluster.py."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from dlhw.errors import ConfigError
from dlhw.grid.executors import make_backend


def test_missing_ray_is_a_clear_config_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(ConfigError, match=r"dlhw\[distributed\]"):
        make_backend("ray")
    with pytest.raises(ConfigError, match="unknown backend"):
        make_backend("slurm")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_address_where_nothing_listens_fails_at_once_with_one_line():
    pytest.importorskip("ray", reason="Ray is not installed (pip install dlhw[distributed])")
    from dlhw.grid.ray_backend import RayBackend

    start = time.monotonic()
    with pytest.raises(ConfigError, match=r"cannot reach the Ray cluster at 127\.0\.0\.1:\d+ "
                                          r"\(connection refused\); start it with `ray start --head`"):
        RayBackend(f"127.0.0.1:{_free_port()}")
    assert time.monotonic() - start < 5
    with pytest.raises(ConfigError, match="not HOST:PORT"):
        RayBackend("head-without-port")


CONNECT = """
import socket, sys
from dlhw.errors import ConfigError
from dlhw.grid.ray_backend import RayBackend
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen()   # answers TCP, but is no Ray head
try:
    RayBackend(f"127.0.0.1:{srv.getsockname()[1]}", connect_timeout=3)
except ConfigError as exc:
    print(exc)
    sys.exit(2)
"""


def test_an_address_that_is_no_ray_head_fails_within_the_timeout():
    pytest.importorskip("ray", reason="Ray is not installed (pip install dlhw[distributed])")
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", CONNECT], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stdout.count("\n") == 1 and "no Ray cluster answered at 127.0.0.1:" in proc.stdout
    assert "within 3 s" in proc.stdout and time.monotonic() - start < 30

"""The Ray backend on a local two-CPU Ray: same store, so resume and tables are unchanged."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from functools import partial

import pytest

from dlhw.errors import ConfigError
from dlhw.grid import GridSpec, SerialBackend
from dlhw.grid.ensemble import EnsembleWork, ensemble_runner
from dlhw.grid.ray_backend import make_backend

SPEC = GridSpec(base={"optimizer": "sgd", "batch_size": 64, "epochs": 1},
                axes={"hidden_size": (8, 12), "lr": (0.1, 0.01)})


def test_missing_ray_is_a_clear_config_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(ConfigError, match=r"dlhw\[distributed\]"):
        make_backend("ray")
    with pytest.raises(ConfigError, match="unknown backend"):
        make_backend("slurm")


def test_grid_on_ray_then_resumed_locally(data_dir, tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[distributed]'; "
                                            "make test installs it)")
    from dlhw.experiments.dataref import DataRef, load_ref

    ref = DataRef("fashion-mnist", str(data_dir), quick=True, dtype="float32")
    ds = load_ref(ref)
    work = EnsembleWork(data=partial(load_ref, ref), data_seed=0)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        backend = make_backend("ray")
        assert backend.jobs == 2
        runner = ensemble_runner(tmp_path, work, n_features=ds.n_features, n_classes=ds.n_classes,
                                 spec_groups=2, backend=backend, progress=False)
        on_ray = runner.run(SPEC)
    finally:
        ray.shutdown()
    assert on_ray.complete and sorted(len(t) for t in runner.dispatched) == [2, 2]
    local = ensemble_runner(tmp_path, work, n_features=ds.n_features, n_classes=ds.n_classes,
                            backend=SerialBackend(), progress=False)
    again = local.run(SPEC)
    assert local.dispatched == []  # every record was written by the Ray workers
    assert again.table().rows == on_ray.table().rows


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

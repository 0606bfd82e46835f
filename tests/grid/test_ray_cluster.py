"""Grids on a real three-node Ray cluster on this machine (head + two worker nodes), all on 127.0.0.1.

The nodes are separate raylets with their own resources (``ray.cluster_utils.Cluster``); the head
has no CPU, so every task runs on a worker node. The workers run in temporary folders of their
own (``TMPDIR`` of the cluster), apart from the driver's grid root, and hand every file back
through the object store: a worker that wrote into the root would show up in the call logs.

Keeping Ray on loopback: ``node_ip_address="127.0.0.1"`` for every node, and
``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` so that a driver does not replace the loopback address it
is given by the machine's own interface address (Ray's ``resolve_ip_for_localhost``). The
dashboard is off. :func:`test_every_socket_of_the_cluster_is_on_loopback` checks each socket of
the cluster's processes with ``ss`` (or psutil).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from ray_toy import SharedSum, attempts, slow

from dlhw.grid import GridRunner, GridSpec, SerialBackend
from dlhw.io import load_json, load_npz

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install dlhw[distributed])")
from ray.cluster_utils import Cluster  # noqa: E402 - after the importorskip that guards it

HERE = Path(__file__).resolve().parent
NODE = {"num_cpus": 1, "node_ip_address": "127.0.0.1", "include_dashboard": False,
        "object_store_memory": 80 << 20}
FAST_FAILURE_DETECTION = {"health_check_initial_delay_ms": 0, "health_check_period_ms": 500,
                          "health_check_failure_threshold": 4}
DEADLINE = 60  # seconds any one grid in these tests may take


def node_id(node) -> str:
    """The Ray node id (hex) of a ``cluster_utils`` node: ``Node.node_id`` where Ray has it (newer
    than the 2.10 floor), else looked up in ``ray.nodes()`` by the node's raylet socket."""
    if getattr(node, "node_id", None):
        return node.node_id
    return next(n["NodeID"] for n in ray.nodes() if n["RayletSocketName"] == node.raylet_socket_name)


def _descendants(pid: int) -> set[int]:
    import psutil

    try:
        return {pid, *(c.pid for c in psutil.Process(pid).children(recursive=True))}
    except psutil.NoSuchProcess:
        return set()


def _sockets(pids: set[int]) -> list[tuple[str, str, str, int]]:
    """TCP sockets of ``pids``: (state, local ip, peer ip, pid), from ``ss -tanp`` (or psutil)."""
    out = []
    if shutil.which("ss"):
        text = subprocess.run(["ss", "-tanpH"], capture_output=True, text=True, timeout=10,
                              check=True).stdout
        for line in text.splitlines():
            parts = line.split()
            if len(parts) < 6 or "pid=" not in parts[-1]:
                continue
            owners = {int(p.split(",")[0]) for p in parts[-1].split("pid=")[1:]}
            for pid in owners & pids:
                local, peer = (a.rsplit(":", 1)[0].strip("[]") for a in parts[3:5])
                out.append((parts[0], local, peer, pid))
        return out
    import psutil

    for c in psutil.net_connections(kind="tcp"):
        if c.pid in pids and c.laddr:
            out.append((c.status, c.laddr.ip, c.raddr.ip if c.raddr else "", c.pid))
    return out


def _loopback(ip: str) -> bool:
    addr = ipaddress.ip_address(ip.removeprefix("::ffff:"))
    return addr.is_loopback


@pytest.fixture(scope="module")
def cluster():
    """Head (no CPU) + two worker nodes of one CPU each; shut down (every process) at the end."""
    from ray._private import ray_constants

    if ray_constants.ENABLE_RAY_CLUSTER:  # Ray was imported before tests/conftest.py set it
        pytest.fail("set RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 before Ray is imported (tests/conftest.py "
                    "does); otherwise the driver leaves 127.0.0.1 for the machine's own address")
    saved = dict(os.environ)
    base = Path(tempfile.mkdtemp(prefix="dlhw-ray-"))  # short: Ray's socket paths are length-limited
    (base / "worker-tmp" / "ray").mkdir(parents=True)  # Ray notes its address under $TMPDIR/ray
    import dlhw

    os.environ.update({
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # keeps "127.0.0.1" from becoming the eth address
        "PYTHONPATH": os.pathsep.join([str(Path(dlhw.__file__).parents[1]), str(HERE),
                                       os.environ.get("PYTHONPATH", "")]),
        "TMPDIR": str(base / "worker-tmp"),  # the workers' own folders (apart from every grid root)
        "RAY_DEDUP_LOGS": "0",
    })
    c = Cluster(initialize_head=True, head_node_args={
        **NODE, "num_cpus": 0, "temp_dir": str(base / "ray"), "dashboard_host": "127.0.0.1",
        "_system_config": FAST_FAILURE_DETECTION})
    try:
        workers = [c.add_node(**NODE) for _ in range(2)]
        c.wait_for_nodes(30)
        os.environ.pop("TMPDIR")  # the driver (this process) keeps its own
        ray.init(address=c.address, log_to_driver=False)
        c.base, c.workers = base, workers
        yield c
    finally:
        ray.shutdown()
        c.shutdown()
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(base, ignore_errors=True)


class TwoWorkerPlan(SerialBackend):
    """Runs here, one task after the other, but plans tasks as for the cluster's two workers.

    The runner splits ensembles by the backend's ``jobs``, and an ensemble's float sums depend on
    its size (the table does not, the checkpoints' last bits do): same plan, same bits.
    """

    jobs = 2


def _runner(root, fn, backend, **kw):
    return GridRunner(root, fn=fn, backend=backend, progress=False, **kw)


def _with_deadline(fn, *args):
    """``fn(*args)`` in a thread, failing the test (not hanging it) after DEADLINE seconds."""
    box = {}
    t = threading.Thread(target=lambda: box.update(out=_capture(fn, *args)), daemon=True)
    t.start()
    t.join(DEADLINE)
    assert not t.is_alive(), f"the grid did not finish within {DEADLINE} s"
    ok, value = box["out"]
    if not ok:
        raise value
    return value


def _capture(fn, *args):
    try:
        return True, fn(*args)
    except Exception as exc:  # noqa: BLE001 - re-raised in the test's thread
        return False, exc


def _files(root: Path, member_id: str) -> dict[str, object]:
    run = root / member_id / "run"
    out = {}
    for p in sorted(run.rglob("*")):
        if p.suffix == ".npz":
            out[p.name] = {k: v.tolist() for k, v in load_npz(p).items()}
        elif p.suffix == ".json":
            out[p.name] = load_json(p)
        elif p.is_file():
            out[p.name] = p.read_bytes()
    return out


def test_ensemble_grid_on_three_nodes_equals_the_local_run(cluster, data_dir, tmp_path):
    """Real ensembles on the two worker nodes: records, checkpoints and table as locally."""
    from dlhw.experiments.dataref import DataRef, load_ref
    from dlhw.grid.ensemble import EnsembleWork, ensemble_runner
    from dlhw.grid.ray_backend import RayBackend

    ref = DataRef("fashion-mnist", str(data_dir), quick=True, dtype="float32", train_rows=600,
                  eval_rows=200)
    ds = load_ref(ref)
    spec = GridSpec(base={"optimizer": "sgd", "batch_size": 64, "epochs": 2},
                    axes={"hidden_size": (8, 12), "lr": (0.1, 0.01)})
    work = EnsembleWork(data=partial(load_ref, ref), data_seed=0)
    backend = RayBackend()
    assert backend.jobs == 2  # the two worker nodes' CPUs; the head has none
    kw = {"n_features": ds.n_features, "n_classes": ds.n_classes, "spec_groups": 2, "progress": False}
    on_ray = ensemble_runner(tmp_path / "ray", work, backend=backend, **kw)
    t0 = time.perf_counter()
    result = _with_deadline(on_ray.run, spec)
    print("ray", time.perf_counter() - t0)
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as a Ray worker of one CPU (OMP_NUM_THREADS=1): same float sums
    try:
        t0 = time.perf_counter()
        expected = ensemble_runner(tmp_path / "local", work, backend=TwoWorkerPlan(), **kw).run(spec)
        print("local", time.perf_counter() - t0)
    finally:
        torch.set_num_threads(threads)

    assert result.complete and len(on_ray.dispatched) >= 2  # the two nodes shared the ensembles
    assert sorted(i for t in on_ray.dispatched for i in t) == sorted(r["id"] for r in expected.records)
    assert result.table().rows == expected.table().rows  # bit for bit (floats compared exactly)
    for r in expected.records:
        ray_files, local_files = _files(tmp_path / "ray", r["id"]), _files(tmp_path / "local", r["id"])
        assert set(ray_files) >= {"best.npz", "last.npz", "history.json", "run.json"}
        for name in ("best.npz", "last.npz"):
            assert ray_files[name] == local_files[name], name
        ray_h, local_h = (f["history.json"]["metrics"] for f in (ray_files, local_files))
        assert {k: v for k, v in ray_h.items() if not k.endswith("seconds")} == {
            k: v for k, v in local_h.items() if not k.endswith("seconds")}
        # paths inside the files point at the driver's folder, not the worker's temporary one
        assert ray_files["run.json"]["result"]["out_dir"] == str(tmp_path / "ray" / r["id"] / "run")
    resumed = ensemble_runner(tmp_path / "ray", work, backend=SerialBackend(), **kw)
    assert resumed.run(spec).table().rows == result.table().rows
    assert resumed.dispatched == []  # the driver wrote every record: a local rerun has nothing to do
    # the workers' temporary folders are gone; nothing else was written outside the root
    assert list((cluster.base / "worker-tmp").glob("dlhw-task-*")) == []


def test_every_socket_of_the_cluster_is_on_loopback(cluster):
    pids = _descendants(os.getpid())
    sockets = _sockets(pids)
    listening = [s for s in sockets if s[0] in ("LISTEN", "LISTENING")]
    assert len(listening) >= 6  # gcs, three raylets (two ports each), this driver, ...: not vacuous
    elsewhere = [s for s in sockets
                 if not (_loopback(s[1]) and (s in listening or _loopback(s[2])))]  # LISTEN: no peer
    assert elsewhere == [], f"sockets of the cluster off loopback: {elsewhere}"


def test_workers_write_only_through_the_driver_and_failures_are_recorded(cluster, tmp_path):
    from dlhw.grid import GridError
    from dlhw.grid.ray_backend import RayBackend

    log = tmp_path / "log"
    log.mkdir()
    spec = GridSpec(base={"sleep": 0.0, "log": str(log)},
                    axes={"lr": (1e-4, 1e-3, 1e-2), "l2": (0.0,), "fail": (False, True)})
    runner = _runner(tmp_path / "grid", slow, RayBackend())
    with pytest.raises(GridError, match=r"3 of 6 configurations failed.*simulated failure"):
        _with_deadline(runner.run, spec)
    root = tmp_path / "grid"
    for c in spec.expand():
        folder = root / c.id
        if c.params["fail"]:
            assert not (folder / "record.json").exists()
            failed = load_json(folder / "failed.json")
            assert failed["error"] == "RuntimeError" and "simulated failure" in failed["message"]
        else:
            assert load_json(folder / "record.json")["metrics"]["seed_echo"] == load_json(
                folder / "config.json")["seed"]
            assert (folder / "run" / "curve.png").read_bytes() == bytes(range(256)) * 4
    starts = attempts(log)
    assert len(starts) == 6 and {node for _, node, _, _ in starts} <= {node_id(w) for w in cluster.workers}
    assert not any(folder.startswith(str(root)) for *_, folder in starts)  # never in the root


def test_shared_data_reaches_each_node_through_the_object_store(cluster, tmp_path):
    from dlhw.grid.ray_backend import RayBackend

    backend = RayBackend()
    X = np.arange(12.0).reshape(3, 4)
    spec = GridSpec(axes={"lr": (1.0, 2.0, 3.0, 4.0)})
    result = _with_deadline(_runner(tmp_path, SharedSum(backend.share(X)), backend).run, spec)
    assert [r["metrics"]["best_dev_accuracy"] for r in result.records] == [66.0, 132.0, 198.0, 264.0]


DRIVER = """
import sys
from dlhw.grid import GridRunner, GridSpec
from dlhw.grid.ray_backend import RayBackend
from ray_toy import slow
spec = GridSpec(base={"sleep": 1.0, "log": sys.argv[2]},
                axes={"lr": (1e-4, 1e-3, 1e-2, 1e-1), "l2": (0.0, 1e-3)})
GridRunner(sys.argv[3], fn=slow, backend=RayBackend(sys.argv[1]), progress=False).run(spec)
"""


def test_driver_killed_mid_grid_then_rerun_keeps_finished_members(cluster, tmp_path):
    log, root = tmp_path / "log", tmp_path / "grid"
    log.mkdir()
    cmd = [sys.executable, "-c", DRIVER, cluster.address, str(log), str(root)]
    first = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + DEADLINE
        while len(list(root.glob("*/record.json"))) < 2:
            assert first.poll() is None, first.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the first driver recorded nothing"
            time.sleep(0.1)
        first.send_signal(signal.SIGKILL)
    finally:
        first.kill()
        first.wait(10)
    kept = {p.parent.name: p.read_bytes() for p in root.glob("*/record.json")}
    assert 2 <= len(kept) < 8
    before = attempts(log)
    subprocess.run(cmd, check=True, timeout=DEADLINE, stdout=subprocess.DEVNULL)
    after = attempts(log)[len(before):]  # the rerun's attempts

    records = {p.parent.name: p.read_bytes() for p in root.glob("*/record.json")}
    assert {k: v for k, v in records.items() if k in kept} == kept
    assert len(list(root.glob("*/record.json"))) == 8
    rerun = [i for i, *_ in after]
    assert not set(rerun) & set(kept)  # finished members were kept, not rerun
    assert sorted(rerun) == sorted(set(rerun)) and len(rerun) == 8 - len(kept)  # the rest ran once
    print(f"\ndriver kill: {len(kept)} of 8 finished before the kill were kept, {len(rerun)} ran in the "
          f"rerun, {len(before) - len(kept)} attempts of the killed driver were lost in flight")


def test_worker_node_killed_mid_task_the_grid_completes(cluster, tmp_path):
    """Kill the node running a task: Ray reruns it on the other node; nothing counted twice."""
    from dlhw.grid.ray_backend import RayBackend

    log = tmp_path / "log"
    log.mkdir()
    spec = GridSpec(base={"sleep": 0.6, "log": str(log)}, axes={"lr": (1e-4, 1e-3, 1e-2), "l2": (0.0, 1e-3)})
    nodes = {node_id(w): w for w in cluster.workers}
    killed = {}

    def kill_first_busy_node():
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline and not killed:
            for member, node, pid, _ in attempts(log):
                if node in nodes:
                    killed.update(member=member, node=node)
                    os.kill(int(pid), signal.SIGSTOP)  # the task stops mid-way, as the node dies:
                    cluster.remove_node(nodes[node], allow_graceful=False)  # raylet, store, agents
                    os.kill(int(pid), signal.SIGKILL)  # and its worker process, still stopped
                    return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_first_busy_node, daemon=True)
    killer.start()
    runner = _runner(tmp_path / "grid", slow, RayBackend())
    result = _with_deadline(runner.run, spec)
    killer.join(DEADLINE)
    cluster.workers = [w for w in cluster.workers if node_id(w) != killed.get("node")]
    starts, ends = attempts(log), attempts(log, "end")  # the Ray run's attempts
    expected = _runner(tmp_path / "local", slow, SerialBackend()).run(spec)

    assert killed, "no task started on a worker node"
    retried = [s for s in starts if s[0] == killed["member"]]
    assert len(retried) == 2 and retried[1][1] != killed["node"]  # rerun on the other node
    assert result.complete
    assert sorted(i for ids in runner.dispatched for i in ids) == sorted(c.id for c in spec.expand())
    assert len(starts) == 7  # six members, one of them twice
    assert sorted(e[0] for e in ends) == sorted(c.id for c in spec.expand())  # each finished once
    assert result.table(["seed_echo"]).rows == expected.table(["seed_echo"]).rows
    print(f"\nnode kill: {len(retried) - 1} task retried, {6 - len(result.records)} members lost")

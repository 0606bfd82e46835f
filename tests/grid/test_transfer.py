"""Members' files handed back as data (no shared file system), without Ray: collect, install, run."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ray_toy import attempts, slow

from dlhw.errors import CheckpointError
from dlhw.grid import GridError, GridRunner, GridSpec, SerialBackend
from dlhw.grid.transfer import MemberFiles
from dlhw.io import load_json, load_npz, save_json, save_npz


class DetachedSerial(SerialBackend):
    """Runs tasks here, but as a remote backend would: in temporary folders, files returned."""

    detached = True


def _member_folder(folder):
    run = folder / "run"
    save_json(folder / "record.json", {"id": "a", "metrics": {"m": 1.0}, "where": str(run)})
    save_json(folder / "config.json", {"id": "a"})
    save_json(run / "history.json", {"dev_accuracy": [0.5, float("nan")], "out_dir": str(run)})
    save_npz(run / "best.npz", {"W": np.arange(6.0).reshape(2, 3), "b": np.float32([1, 2])},
             meta={"epoch": 3})
    (run / "plots").mkdir()
    (run / "plots" / "loss.png").write_bytes(b"\x89PNG\x00\xff")
    (run / ".best.npz.123.tmp").write_bytes(b"half")  # an atomic write's leftover: not shipped


def test_collect_then_install_rebuilds_the_folder_elsewhere(tmp_path):
    src, dst = tmp_path / "worker" / "a", tmp_path / "driver" / "a"
    _member_folder(src)
    files = MemberFiles.collect(src, "a")
    assert set(files.json) == {"run/history.json", "run/best.json"}
    assert set(files.arrays) == {"run/best.npz"} and set(files.raw) == {"run/plots/loss.png"}
    assert files.nbytes == 6 * 8 + 2 * 4 + 6
    (dst / "run").mkdir(parents=True)
    (dst / "run" / "last-1.npz").write_bytes(b"stale")  # an interrupted earlier attempt's file
    save_json(dst / "failed.json", {"message": "earlier failure"})

    files.install(dst)
    assert sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*") if p.is_file()) == [
        "record.json", "run/best.json", "run/best.npz", "run/history.json", "run/plots/loss.png"]
    best = load_npz(dst / "run" / "best.npz")
    assert best["W"].tolist() == np.arange(6.0).reshape(2, 3).tolist() and best["b"].dtype == np.float32
    assert load_json(dst / "run" / "best.json") == {"epoch": 3}
    history = load_json(dst / "run" / "history.json")
    assert history["out_dir"] == str(dst / "run") and np.isnan(history["dev_accuracy"][1])
    assert load_json(dst / "record.json")["where"] == str(dst / "run")  # paths point at the driver
    assert (dst / "run" / "plots" / "loss.png").read_bytes() == b"\x89PNG\x00\xff"


def test_a_record_of_another_member_is_refused(tmp_path):
    _member_folder(tmp_path / "a")
    files = MemberFiles.collect(tmp_path / "a", "b")
    with pytest.raises(CheckpointError, match="record of 'a' for config b"):
        files.install(tmp_path / "b")
    assert not (tmp_path / "b" / "record.json").exists()


def test_a_detached_grid_writes_only_through_the_driver_and_equals_the_local_one(tmp_path):
    log = tmp_path / "log"
    log.mkdir()
    spec = GridSpec(base={"sleep": 0.0, "log": str(log)}, axes={"lr": (1e-3, 1e-2), "l2": (0.0, 1e-3)})
    detached = GridRunner(tmp_path / "d", fn=slow, backend=DetachedSerial(), progress=False).run(spec)
    local = GridRunner(tmp_path / "l", fn=slow, backend=SerialBackend(), progress=False).run(spec)
    assert detached.table(["seed_echo"]).rows == local.table(["seed_echo"]).rows
    folders = [f for _, _, _, f in attempts(log)]
    assert not any(f.startswith(str(tmp_path / "d")) for f in folders[:4])  # ran elsewhere
    for r in local.records:
        run_d, run_l = tmp_path / "d" / r["id"] / "run", tmp_path / "l" / r["id"] / "run"
        assert load_json(run_d / "run.json") == {"out_dir": str(run_d)}
        assert (run_d / "curve.png").read_bytes() == (run_l / "curve.png").read_bytes()
        for name in ("best.npz", "last.npz"):
            a, b = load_npz(run_d / name), load_npz(run_l / name)
            assert {k: v.tolist() for k, v in a.items()} == {k: v.tolist() for k, v in b.items()}
    assert GridRunner(tmp_path / "d", fn=slow, progress=False).run(spec).complete  # resumes locally


def test_a_failing_member_is_recorded_with_its_message_and_the_rest_goes_on(tmp_path):
    log = tmp_path / "log"
    log.mkdir()
    spec = GridSpec(base={"sleep": 0.0, "log": str(log), "l2": 0.0}, axes={"lr": (1e-3, 1e-2),
                                                                           "fail": (False, True)})
    runner = GridRunner(tmp_path / "g", fn=slow, backend=DetachedSerial(), progress=False)
    with pytest.raises(GridError, match="2 of 4 configurations failed"):
        runner.run(spec)
    for c in spec.expand():
        folder = tmp_path / "g" / c.id
        assert (folder / "record.json").exists() != c.params["fail"]
        if c.params["fail"]:
            failed = json.loads((folder / "failed.json").read_text())
            assert failed["error"] == "RuntimeError" and "simulated failure" in failed["message"]

"""kill -9 at random moments of a numpy run, a torch run, a grid and a report build.

After each campaign (a bounded number of kills, then the same command to the end): every result
finished before the kills is byte-for-byte intact, every file left is valid (JSON parses, .npz
loads, PDF/PNG complete), and the resumed run ends with the numbers of an uninterrupted one.
"""

from __future__ import annotations

import json
import random
import textwrap
from pathlib import Path

from fault_helpers import invalid_files, kill9, run, start

KILLS = 2  # per campaign; each waits at most WINDOW seconds after the child is ready
WINDOW = 1.0


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".lock" and not p.name.endswith(".tmp")}


def _campaign(code: str, rng: random.Random, kills: int = KILLS) -> None:
    """Start ``code`` ``kills`` times and kill -9 it at a random moment after it says ready."""
    for _ in range(kills):
        proc = start(code)
        assert proc.stdout.readline().strip() == "ready", proc.communicate(timeout=30)[1]
        try:
            proc.communicate(timeout=rng.uniform(0.05, WINDOW))  # finished before the kill: fine
        except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired: still running, kill it now
            kill9(proc)


def _finish(code: str) -> str:
    done = run(code, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def numpy_run(out: str, epochs: int = 30):
    """The numpy run of the campaign (also run in the test process as the reference)."""
    from fault_helpers import blobs

    from dlhw.scratch import MLP
    from dlhw.training.protocol import train

    res = train(MLP(3, 20, 8, seed=0), blobs(n=1500, d=20), epochs=epochs, out_dir=out,
                learning_rate=0.01, seed=0)
    return json.dumps(res.history.metrics["dev_accuracy"])


NUMPY = textwrap.dedent("""
    from test_kill9 import numpy_run
    numpy_run({warm!r}, epochs=1)  # imports and compiled kernels ready
    print("ready", flush=True)
    print(numpy_run({out!r}))
""")


def test_kill9_numpy_run(tmp_path, seed):
    rng = random.Random(seed)
    finished = tmp_path / "finished"
    ref = numpy_run(str(finished))
    before = _snapshot(finished)
    code = NUMPY.format(warm=str(tmp_path / "w"), out=str(tmp_path / "killed"))
    _campaign(code, rng)
    assert invalid_files(tmp_path) == []
    assert _finish(code).split("\n")[-2] == ref  # resumed: the uninterrupted run's numbers
    assert _snapshot(finished) == before
    assert invalid_files(tmp_path) == []


def torch_run(out: str) -> str:
    """The torch run of the campaign (also run in the test process as the reference)."""
    from fault_helpers import blobs

    from dlhw.training.torch_loop import train_torch

    cfg = {"model": "mlp", "hidden_size": 16, "layers": 1, "lr": 0.05, "batch_size": 8, "epochs": 20}
    res = train_torch(cfg, blobs(n=600, d=10), out_dir=out, progress=False, plots=False)
    return json.dumps(res.history.metrics["dev_accuracy"])


TORCH = textwrap.dedent("""
    import torch
    from test_kill9 import torch_run
    print("ready", flush=True)
    print(torch_run({out!r}))
""")


def test_kill9_torch_run(tmp_path, seed):
    rng = random.Random(seed + 1)
    finished = tmp_path / "finished"
    ref = torch_run(str(finished))
    before = _snapshot(finished)
    code = TORCH.format(out=str(tmp_path / "killed"))
    _campaign(code, rng)
    assert invalid_files(tmp_path) == []
    assert _finish(code).split("\n")[-2] == ref
    assert _snapshot(finished) == before
    assert invalid_files(tmp_path) == []


def grid_run(root: str) -> str:
    """The grid of the campaign: 6 small numpy MLPs, one after the other."""
    from fault_helpers import grid_member

    from dlhw.grid import GridRunner, GridSpec

    spec = GridSpec(base={}, axes={"lr": (0.001, 0.01, 0.1), "hidden": (4, 8)})
    res = GridRunner(root, fn=grid_member, jobs=1, seed=0).run(spec)
    return str(sorted((r["id"], r["metrics"]["best_dev_accuracy"]) for r in res.records))


GRID = textwrap.dedent("""
    from test_kill9 import grid_run
    import dlhw.scratch, dlhw.training.protocol
    print("ready", flush=True)
    print(grid_run({root!r}))
""")


def test_kill9_grid(tmp_path, seed):
    rng = random.Random(seed + 2)
    root = tmp_path / "grid"
    code = GRID.format(root=str(root))
    finished: dict[str, bytes] = {}
    for _ in range(KILLS):
        _campaign(code, rng, kills=1)
        now = {str(p.relative_to(root)): p.read_bytes() for p in root.glob("*/record.json")}
        assert all(now[k] == v for k, v in finished.items())  # finished records survive unchanged
        finished = now
    assert invalid_files(tmp_path) == []
    resumed = _finish(code).split("\n")[-2]
    assert resumed == grid_run(str(tmp_path / "ref"))
    assert all((root / k).read_bytes() == v for k, v in finished.items())
    assert invalid_files(tmp_path) == []


REPORT = textwrap.dedent("""
    from dlhw.report import build_reports
    print("ready", flush=True)
    build_reports("hw2122", runs_root={runs!r}, out_root={out!r})
    print("built")
""")


def test_kill9_report_build(tmp_path, seed):
    from dlhw.results import ExperimentResult, save_result

    rng = random.Random(seed + 3)
    runs = tmp_path / "runs"
    for i, exp_id in enumerate(("hw2122.q3.1a", "hw2122.q3.1b")):
        save_result(runs / exp_id / "seed0", ExperimentResult(
            experiment=exp_id, title=exp_id, dataset="fashion-mnist", seed=0,
            metrics={"test_accuracy": 0.7 + i / 10}, key_metric="test_accuracy"))
    before = _snapshot(runs)
    code = REPORT.format(runs=str(runs), out=str(tmp_path / "reports"))
    _campaign(code, rng, kills=2)
    assert invalid_files(tmp_path) == [] and _snapshot(runs) == before
    assert "built" in _finish(code)
    assert invalid_files(tmp_path) == [] and _snapshot(runs) == before
    assert (tmp_path / "reports" / "hw2122" / "report.pdf").is_file()

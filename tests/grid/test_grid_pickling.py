"""The default process pool runs work that plain pickle cannot send: a lambda, a function of a
script read from stdin (``python -``), a function in ``__main__`` (a notebook's case); results
equal the serial run's bit for bit, and a rerun resumes (dispatches nothing)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path

import pytest

from dlhw.grid import GridRunner, GridSpec, ProcessBackend, run_grid

SPEC = GridSpec(base={"epochs": 1}, axes={"lr": (1e-3, 1e-2)})
SRC = str(Path(__file__).resolve().parents[2] / "src")

# A script that defines its work in __main__ and runs a two-process grid, then resumes it.
SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    from dlhw.grid import GridRunner, GridSpec

    OFFSET = 0.25  # a global of __main__: travels with the function

    def work(member):
        rng = np.random.default_rng(member.seed)
        return {"best_dev_accuracy": OFFSET + member.params["lr"] + float(rng.random())}

    if __name__ == "__main__":
        spec = GridSpec(base={"epochs": 1}, axes={"lr": (1e-3, 1e-2)})
        first = GridRunner(sys.argv[1], fn=work, jobs=2, progress=False)
        result = first.run(spec)
        again = GridRunner(sys.argv[1], fn=work, jobs=2, progress=False)
        again.run(spec)
        print(json.dumps({"metrics": {r["id"]: r["metrics"] for r in result.records},
                          "dispatched": len(first.dispatched), "redispatched": len(again.dispatched)}))
""")


def _expected(tmp_path: Path) -> dict:
    import numpy as np

    work = lambda m: {  # noqa: E731 - a lambda on purpose: what a notebook would pass
        "best_dev_accuracy": 0.25 + m.params["lr"] + float(np.random.default_rng(m.seed).random())}
    result = run_grid(SPEC, work, tmp_path / "serial", jobs=1, progress=False)
    return {r["id"]: r["metrics"] for r in result.records}


def _run_script(args: list[str], tmp_path: Path, stdin: str | None = None) -> dict:
    env = {"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, *args, str(tmp_path / "grid")], input=stdin, capture_output=True,
                         text=True, timeout=180, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_lambda_runs_in_the_process_pool(tmp_path):
    runner = GridRunner(tmp_path, fn=lambda m: {"best_dev_accuracy": m.params["lr"], "seed": m.seed},
                        backend=ProcessBackend(2), progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning: it really ran in the pool
        result = runner.run(SPEC)
    assert {r["metrics"]["best_dev_accuracy"] for r in result.records} == {1e-3, 1e-2}
    assert len(runner.dispatched) == 2


def test_a_function_of_a_stdin_script_runs_and_resumes(tmp_path):
    got = _run_script(["-"], tmp_path, stdin=SCRIPT)
    assert got["metrics"] == _expected(tmp_path)  # same seeds, same numbers as a serial run
    assert got["dispatched"] == 2 and got["redispatched"] == 0


def test_a_function_in_main_runs_and_resumes(tmp_path):
    (tmp_path / "script.py").write_text(SCRIPT)
    got = _run_script([str(tmp_path / "script.py")], tmp_path)
    assert got["metrics"] == _expected(tmp_path)
    assert got["dispatched"] == 2 and got["redispatched"] == 0


def test_unpicklable_work_falls_back_to_serial_with_one_warning(tmp_path):
    lock = threading.Lock()  # not picklable, even by cloudpickle

    def work(member):
        with lock:
            return {"best_dev_accuracy": member.params["lr"]}

    with pytest.warns(RuntimeWarning, match="cannot be sent to worker processes") as caught:
        result = run_grid(SPEC, work, tmp_path, backend=ProcessBackend(2), progress=False)
    assert len([w for w in caught if "worker processes" in str(w.message)]) == 1
    assert result.complete and len(result.records) == 2

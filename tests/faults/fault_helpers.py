"""Helpers of the fault suite: toy data, child processes to kill, and "is every file valid" checks.

Importable by spawned workers and by ``python -c`` children (the suite puts this folder on
``sys.path`` through ``PYTHONPATH``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

from dlhw.testing.toydata import blobs  # noqa: F401 - the fault tests' data, re-exported

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"


def child_env() -> dict[str, str]:
    """The environment of a child process: this checkout's ``src`` and this folder importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), str(HERE), env.get("PYTHONPATH", "")])
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def start(code: str, cwd: Path | None = None) -> subprocess.Popen:
    """Start ``python -c code`` (its own process group), stdout/stderr captured."""
    return subprocess.Popen([sys.executable, "-c", code], env=child_env(), cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def run(code: str, timeout: float = 60, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -c code`` to the end (bounded by ``timeout``)."""
    return subprocess.run([sys.executable, "-c", code], env=child_env(), cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, check=False)


def wait_for(predicate, timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate()`` until true or ``timeout`` seconds passed; its last value."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def kill9(proc: subprocess.Popen) -> None:
    """``kill -9`` the process (only it, not its group) and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


def invalid_files(root: Path) -> list[str]:
    """Every file under ``root`` that is not valid for its kind: JSON that does not parse, an
    ``.npz`` that does not load, a PDF/PNG without its header and trailer, an empty file.

    Temporary files of the atomic writer (``.<name>.<random>.tmp``), which only a killed writer
    can leave and nothing ever reads, and lock files are not results and are skipped.
    """
    bad = []
    for path in sorted(Path(root).rglob("*")):
        if not path.is_file() or path.name.endswith(".tmp") or path.name == ".lock":
            continue
        data = path.read_bytes()
        ok = True
        if path.suffix == ".json":
            try:
                json.loads(data.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                ok = False
        elif path.suffix == ".npz":
            try:
                with np.load(path, allow_pickle=False) as z:
                    for k in z.files:
                        z[k]
            except (ValueError, OSError, zipfile.BadZipFile, EOFError):
                ok = False
        elif path.suffix == ".pdf":
            ok = data.startswith(b"%PDF") and b"%%EOF" in data[-1024:]
        elif path.suffix == ".png":
            ok = data.startswith(b"\x89PNG") and data.rstrip().endswith(b"IEND\xaeB`\x82")
        elif path.suffix in (".md", ".typ", ".csv", ".txt"):
            ok = len(data) > 0 or path.suffix == ".txt"
        if not ok:
            bad.append(str(path))
    return bad


def sleeper(task: str) -> int:
    """Pool work for the orphan test: write this worker's pid to ``task`` (a path), then sleep."""
    Path(task).write_text(str(os.getpid()))
    time.sleep(120)
    return os.getpid()


def grid_member(member) -> dict:
    """Grid work for the kill -9 test: a small numpy MLP per configuration, resumable."""
    from dlhw.scratch import MLP
    from dlhw.training.protocol import train

    p = member.params
    res = train(MLP(3, 6, p["hidden"], seed=member.seed), blobs(n=600), epochs=6,
                out_dir=member.run_dir, learning_rate=p["lr"], seed=member.seed)
    return {"best_dev_accuracy": max(res.history.metrics["dev_accuracy"])}

"""Fault 4: kill -9 of a grid's parent process leaves no pool worker (or resource tracker) behind."""

from __future__ import annotations

import os
import signal
import sys
import textwrap

import pytest
from fault_helpers import alive, kill9, start, wait_for

PARENT = textwrap.dedent("""
    import sys
    from fault_helpers import sleeper
    from dlhw.grid.backends import ProcessBackend
    tasks = [sys.argv[1] + f"/pid{i}" for i in range(2)]
    for _ in ProcessBackend(2).imap(sleeper, tasks):
        pass
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for the process tree")
def test_pool_workers_die_with_their_killed_parent(tmp_path):
    code = PARENT.replace("sys.argv[1]", repr(str(tmp_path)))
    parent = start(code)
    pids = [tmp_path / "pid0", tmp_path / "pid1"]
    assert wait_for(lambda: all(p.exists() and p.read_text() for p in pids), timeout=60), \
        parent.stderr.read() if parent.poll() is not None else "workers did not start"
    workers = [int(p.read_text()) for p in pids]
    children = _children(parent.pid)  # the workers and multiprocessing's resource tracker
    assert set(workers) <= set(children)
    kill9(parent)
    try:
        assert wait_for(lambda: not any(alive(pid) for pid in children), timeout=15), \
            f"orphans left: {[pid for pid in children if alive(pid)]}"
    finally:  # never leave this test's own processes behind, whatever happened
        for pid in children:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(x) for x in fh.read().split()]

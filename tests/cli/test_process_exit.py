"""How a command-line process ends (:mod:`dlhw.process`): early, but only after everything a
user can observe is done; the ordinary exit whenever that cannot be guaranteed.

Each case runs a small script in a fresh interpreter. An object whose ``__del__`` writes
``teardown`` only runs during the interpreter's teardown, so its absence proves the early end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from dlhw.process import can_end_early, end_process

SCRIPT = textwrap.dedent("""
    import atexit, sys, threading, time
    from dlhw.process import end_process

    status, thread = int(sys.argv[1]), sys.argv[2]

    class Teardown:
        def __del__(self):
            sys.__stderr__.write("teardown\\n")

    KEEP = Teardown()  # a module global: collected only by the interpreter's teardown
    atexit.register(lambda: sys.__stderr__.write("atexit\\n"))
    sys.stdout.write("unflushed output")  # no newline, no flush: must still arrive
    if thread != "none":
        worker = threading.Thread(target=lambda: (time.sleep(0.3), sys.__stderr__.write("thread done\\n")),
                                  daemon=thread == "daemon")
        worker.start()
    end_process(status)
""")


def run(status: int, thread: str = "none", **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "DLHW_FULL_EXIT"}
    environ.update(PYTHONPATH=os.pathsep.join(p for p in sys.path if p), **env)
    return subprocess.run([sys.executable, "-c", SCRIPT, str(status), thread], capture_output=True,
                          text=True, timeout=60, env=environ, check=False)


def test_success_ends_early_after_atexit_and_flushing():
    proc = run(0)
    assert proc.returncode == 0
    assert proc.stdout == "unflushed output"
    assert "atexit" in proc.stderr
    assert "teardown" not in proc.stderr  # the deallocation was skipped


def test_atexit_handlers_run_once():
    assert run(0).stderr.count("atexit") == 1


@pytest.mark.parametrize("status", [1, 2, 130])
def test_failure_takes_the_ordinary_exit(status):
    proc = run(status)
    assert proc.returncode == status
    assert proc.stdout == "unflushed output"
    assert proc.stderr.count("atexit") == 1 and "teardown" in proc.stderr


def test_a_running_thread_is_waited_for():
    proc = run(0, thread="worker")
    assert proc.returncode == 0
    assert "thread done" in proc.stderr and "teardown" in proc.stderr


def test_a_daemon_thread_does_not_hold_the_process():
    proc = run(0, thread="daemon")
    assert proc.returncode == 0 and "teardown" not in proc.stderr and "atexit" in proc.stderr


def test_environment_asks_for_the_ordinary_exit():
    proc = run(0, DLHW_FULL_EXIT="1")
    assert proc.returncode == 0 and "teardown" in proc.stderr and "atexit" in proc.stderr


def test_in_process_checks(monkeypatch):
    monkeypatch.delenv("DLHW_FULL_EXIT", raising=False)
    assert not can_end_early(2)
    monkeypatch.setenv("DLHW_FULL_EXIT", "1")
    assert not can_end_early(0)
    with pytest.raises(SystemExit) as info:  # the ordinary exit: SystemExit, never os._exit here
        end_process(0)
    assert info.value.code == 0

"""Workers die with their parent: no orphaned pool process outlives a killed grid.

When the process that runs a grid is killed (``kill -9``, the OOM killer), its pool workers
would otherwise keep running, holding memory and still writing records into a grid that a
rerun is resuming. A worker calls :func:`die_with_parent` once at start:

1. on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` through ``ctypes``: the kernel kills the
   worker the moment its parent exits (checked again right after, in case the parent died
   before the call);
2. everywhere, a daemon thread polls ``os.getppid()`` every ``interval`` seconds and ends the
   process with ``os._exit`` once the parent is gone (the worker is re-parented), the portable
   fallback.

With every worker gone the ``multiprocessing`` resource tracker sees its pipe close and exits
too, so nothing is left.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
EXIT_ORPHANED = 70  # the status an orphaned worker exits with (never seen by the dead parent)


def die_with_parent(parent_pid: int, interval: float = 0.5) -> None:
    """Make this process exit as soon as ``parent_pid`` (its parent) is no longer alive."""
    if sys.platform.startswith("linux"):
        _pdeathsig()
    if os.getppid() != parent_pid:  # the parent died before we got here
        os._exit(EXIT_ORPHANED)
    thread = threading.Thread(target=_watch, args=(parent_pid, interval), name="dlhw-lifeline",
                              daemon=True)
    thread.start()


def _pdeathsig() -> None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no libc/prctl: the watchdog thread still works
        pass


def _watch(parent_pid: int, interval: float) -> None:
    while os.getppid() == parent_pid:
        time.sleep(interval)
    os._exit(EXIT_ORPHANED)

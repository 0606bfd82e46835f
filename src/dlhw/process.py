"""How a dlhw command-line process ends: :func:`end_process`.

A process that has used numba's compiled kernels or matplotlib spends 0.3-0.6 s after its
last line of work in the interpreter's teardown (deallocating every compiled library and
module object one by one; ``benchmarks/README.md``, "Process exit"). Nothing a user can see
happens there, so a successful command ends as soon as everything observable is done:

1. every non-daemon thread has finished (if one is still running, the normal exit waits for
   it instead);
2. the ``atexit`` handlers have run (``logging.shutdown``, ``weakref.finalize(atexit=True)``
   such as temporary folders, coverage's data file, ...);
3. ``stdout`` and ``stderr`` are flushed;

and then ``os._exit(status)`` skips the deallocation. A failing command (status != 0) and a
process with ``DLHW_FULL_EXIT=1`` in its environment take the ordinary interpreter exit.
Used only by the entry points (``dlhw``, ``python -m dlhw``, ``hw1-*.py``); ``main()``
functions return their status and can be called in-process (the tests do).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

FULL_EXIT_ENV = "DLHW_FULL_EXIT"


def _running_threads() -> list[threading.Thread]:
    """The non-daemon threads other than this one that are still alive."""
    me = threading.current_thread()
    return [t for t in threading.enumerate() if t is not me and not t.daemon and t.is_alive()]


def can_end_early(status: int) -> bool:
    """True when :func:`end_process` may skip the teardown: success, no thread left running,
    an interpreter with ``atexit._run_exitfuncs``, and no ``DLHW_FULL_EXIT=1``."""
    return (status == 0 and os.environ.get(FULL_EXIT_ENV, "") in ("", "0")
            and threading.current_thread() is threading.main_thread()
            and not _running_threads() and hasattr(atexit, "_run_exitfuncs"))


def end_process(status: int | None) -> NoReturn:
    """End the process with ``status`` (None: 0), early when :func:`can_end_early` allows."""
    status = 0 if status is None else int(status)
    if not can_end_early(status):
        raise SystemExit(status)
    atexit._run_exitfuncs()  # what the interpreter's own exit would run, in the same order
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed or broken pipe: the normal exit reports it
        raise SystemExit(status) from None
    os._exit(status)

"""Says when the compiled (numba) kernels are being built, once, and how long that took.

numba compiles a kernel on its first call and keeps the machine code in its on-disk cache
(``cache=True``): beside the source in ``__pycache__``, or, when that folder is not writable
(a package installed into a read-only site-packages), in numba's user-wide cache
(``$XDG_CACHE_HOME/numba``, default ``~/.cache/numba``; ``NUMBA_CACHE_DIR`` overrides both).
Later processes load it in a fraction of a second. The first run after an install or upgrade
compiles for tens of seconds; :func:`compile_notice` says so before, and after it how many
kernels were compiled, in how long, and where they are cached. Nothing is printed when every
kernel came from the cache. Lines go to the ``dlhw`` logger at warning level (shown by default).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("dlhw.scratch.jit")


@dataclass
class Compiled:
    """What happened inside :func:`compile_notice`: kernels compiled (0: all from the cache)."""

    kernels: int = 0
    seconds: float = 0.0
    cache_dirs: tuple[str, ...] = ()


def _dispatchers() -> list:
    """The numba dispatchers of every loaded ``dlhw.scratch`` kernel module."""
    if "numba" not in sys.modules:
        return []
    from numba.core.registry import CPUDispatcher

    found = []
    for name, module in list(sys.modules.items()):
        if name.startswith("dlhw.scratch._") and module is not None:
            found += [v for v in vars(module).values() if isinstance(v, CPUDispatcher)]
    return found


def _misses(dispatchers: list) -> int:
    return sum(sum(d.stats.cache_misses.values()) for d in dispatchers)


def _cache_dirs(dispatchers: list) -> tuple[str, ...]:
    return tuple(sorted({str(d.stats.cache_path) for d in dispatchers if d.stats.cache_path}))


def _never_cached(dispatchers: list) -> bool:
    """True when no kernel module has anything in its cache folder (a fresh install)."""
    dirs = _cache_dirs(dispatchers)
    return bool(dispatchers) and not any(any(Path(d).glob("*.nbi")) for d in dirs)


def preload() -> None:
    """Start importing numba and the kernel modules, and setting up numba's CPU target, in a
    daemon thread (returns at once; a no-op once they are loaded).

    Together they take most of a second of a short run (the target's registries load once per
    process, on the first kernel); a run starts this before loading its data, which is mostly
    decompression, hashing and array copies that release the GIL, so the two overlap. Errors are
    left to the main thread, which imports the same modules when it needs them.
    """
    if "dlhw.scratch._fast" in sys.modules:
        return
    threading.Thread(target=_warm, name="dlhw-preload-numba", daemon=True).start()


def _warm() -> None:
    try:
        from numba.core.compiler_lock import global_compiler_lock
        from numba.core.registry import cpu_target

        from dlhw.scratch import _fast  # noqa: F401 (the import is the work)

        with global_compiler_lock:  # what a first compile or cache load does, under its lock
            cpu_target.target_context.refresh()
    except Exception:  # noqa: BLE001 - a preload must never fail a run; the main thread reports
        pass


@contextmanager
def compile_notice(kernel: str = "numba") -> Iterator[Compiled]:
    """Wrap the first use of the compiled kernels; yields a :class:`Compiled` filled on exit.

    ``kernel="numpy"`` (the reference) compiles nothing and says nothing.
    """
    out = Compiled()
    if kernel == "numpy":
        yield out
        return
    from dlhw.scratch._base import compiled

    compiled()  # import the kernel modules (cheap): their dispatchers can then be inspected
    dispatchers = _dispatchers()
    before = _misses(dispatchers)
    if _never_cached(dispatchers):
        log.warning("first run: compiling the numba kernels (once, seconds to a minute; later runs "
                    "load them from the cache)")
    start = time.perf_counter()
    yield out
    out.seconds = time.perf_counter() - start
    out.kernels = _misses(dispatchers) - before
    out.cache_dirs = _cache_dirs(dispatchers)
    if out.kernels:
        log.warning("compiled %d numba kernel%s in %.1f s (cached in %s)", out.kernels,
                    "" if out.kernels == 1 else "s", out.seconds, ", ".join(out.cache_dirs) or "memory only")

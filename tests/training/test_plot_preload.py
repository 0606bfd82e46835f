"""Plotting's imports can start early, in the background, without touching pyplot."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import sys, threading
from dlhw.training import plots
assert "matplotlib" not in sys.modules          # importing the module costs no matplotlib
plots.preload()
for t in threading.enumerate():
    if t.name == "dlhw-preload-matplotlib":
        t.join(timeout=120)
assert all(m in sys.modules for m in plots._PRELOAD), sorted(m for m in sys.modules if "matplotlib" in m)
assert "matplotlib.pyplot" not in sys.modules   # the object API only: no global state
plots.preload()                                 # a second call starts nothing
assert not any(t.name == "dlhw-preload-matplotlib" for t in threading.enumerate())
print("ok")
"""


def test_preload_imports_the_figure_api_in_a_thread():
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=180,
                          check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


PRIORITY = """
import os, sys, threading
from dlhw.training import plots
seen = {}
def probe():
    plots._yield_to_training()
    seen["import"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
t = threading.Thread(target=probe)
t.start(); t.join(timeout=60)
seen["main"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
print(seen["import"], seen["main"])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a per-thread priority is Linux's")
def test_background_import_yields_the_cpu_only_in_its_own_thread():
    base = os.getpriority(os.PRIO_PROCESS, 0)
    proc = subprocess.run([sys.executable, "-c", PRIORITY], capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["19", str(base)]  # the import thread at nice 19, the run unchanged

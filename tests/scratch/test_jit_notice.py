"""The compile notice: said when kernels compile, silent when they come from numba's cache."""

from __future__ import annotations

import importlib.util
import logging
import sys

import pytest

from dlhw.scratch.jit import compile_notice

PROBE = """
from numba import njit

@njit(cache=True)
def twice(x):
    return 2.0 * x
"""


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_compiling_is_said_once_with_its_time_and_a_cached_kernel_is_silent(tmp_path, monkeypatch, caplog):
    numba = pytest.importorskip("numba")
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "probe.py").write_text(PROBE)
    for name in ("dlhw.scratch._probe_a", "dlhw.scratch._probe_b"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    caplog.set_level(logging.WARNING, logger="dlhw")

    first = _load(tmp_path / "probe.py", "dlhw.scratch._probe_a")  # a fresh process, in effect
    with compile_notice() as done:
        assert first.twice(1.5) == 3.0
    assert done.kernels == 1 and done.seconds > 0
    assert "compiled 1 numba kernel in" in caplog.text and str(tmp_path / "cache") in caplog.text

    caplog.clear()
    second = _load(tmp_path / "probe.py", "dlhw.scratch._probe_b")  # new dispatcher, same source
    with compile_notice() as again:
        assert second.twice(2.0) == 4.0
    assert again.kernels == 0 and "compiled" not in caplog.text  # loaded from the cache


def test_the_numpy_reference_compiles_nothing_and_says_nothing(caplog):
    with compile_notice("numpy") as done:
        pass
    assert done.kernels == 0 and caplog.text == ""


PRELOAD = """
import sys, threading
import numpy as np
from dlhw.scratch import jit
assert "numba" not in sys.modules
jit.preload()
for t in threading.enumerate():
    if t.name == "dlhw-preload-numba":
        t.join(timeout=120)
assert "dlhw.scratch._fast" in sys.modules and "numba" in sys.modules
jit.preload()                                   # loaded: a second call starts nothing
assert not any(t.name == "dlhw-preload-numba" for t in threading.enumerate())
from dlhw.scratch import make_model
m = make_model("perceptron", n_classes=3, n_features=4)
X = np.eye(4)[:3] / 4
m.train_epoch(X, np.arange(3), 1.0, kernel="numba")
print("ok")
"""


def test_preload_loads_numba_and_the_kernels_in_a_thread():
    import subprocess

    proc = subprocess.run([sys.executable, "-c", PRELOAD], capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr

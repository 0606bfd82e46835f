"""The Makefile's torch install: PyTorch's CPU index when it answers, else the plain index.

The recipe runs against a stand-in ``pip`` that prints its arguments (nothing is installed), and a
package index served on 127.0.0.1.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def index(tmp_path):
    """A one-project simple index (``/simple/torch/``) on an ephemeral 127.0.0.1 port."""
    (tmp_path / "www" / "simple" / "torch").mkdir(parents=True)
    (tmp_path / "www" / "simple" / "torch" / "index.html").write_text("<a href='torch.whl'>torch</a>")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(_Quiet, directory=str(tmp_path / "www")))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/simple"
    httpd.shutdown()
    httpd.server_close()


def _install_torch(tmp_path, torch_index: str) -> str:
    """What ``$(call install_torch,BIN,2.13.0)`` runs, with a fake BIN/pip that echoes."""
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    if not (fake / "python").exists():
        (fake / "python").symlink_to(sys.executable)
    (fake / "pip").write_text('#!/bin/sh\necho "pip $*"\n')
    (fake / "pip").chmod(0o755)
    probe = tmp_path / "probe.mk"
    probe.write_text(f"probe:\n\t$(call install_torch,{fake},2.13.0)\n")
    proc = subprocess.run(["make", "-s", "-f", str(REPO / "Makefile"), "-f", str(probe), "probe",
                           f"TORCH_INDEX={torch_index}"], cwd=REPO, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_cpu_index_is_used_when_it_answers(tmp_path, index):
    out = _install_torch(tmp_path, index)
    assert f"pip install --quiet --index-url {index} torch==2.13.0" in out


def test_unreachable_index_falls_back_to_the_plain_one_with_a_note(tmp_path):
    out = _install_torch(tmp_path, "http://127.0.0.1:9/simple")
    assert "cannot be reached" in out and "CUDA build" in out
    assert out.strip().endswith("pip install --quiet torch==2.13.0")


def test_empty_index_means_the_plain_index(tmp_path):
    out = _install_torch(tmp_path, "")
    assert out.strip() == "pip install --quiet torch==2.13.0"


def test_linux_default_is_pytorchs_cpu_index():
    proc = subprocess.run(["make", "-s", "-f", str(REPO / "Makefile"), "--eval",
                           "show:\n\t@echo $(TORCH_INDEX)", "show"], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    expected = "https://download.pytorch.org/whl/cpu" if sys.platform.startswith("linux") else ""
    assert proc.stdout.strip() == expected

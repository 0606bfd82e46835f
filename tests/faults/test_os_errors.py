"""Fault 3: OS errors (full disk, read-only or forbidden folder) are one line with exit status 3,
the report writes every file atomically, and atomically written files follow the umask."""

from __future__ import annotations

import errno
import os
import stat

import pytest
from fault_helpers import invalid_files

from dlhw import io as dlhw_io
from dlhw.cli import main
from dlhw.results import ExperimentResult, save_result


def _fail_writes(monkeypatch, code: int, match: str = "") -> None:
    """Every atomic write whose target contains ``match`` fails like the disk would."""
    real = dlhw_io._atomic_write

    def broken(path, data):
        if match in str(path):
            raise OSError(code, os.strerror(code))  # as write()/fsync() raise it: no file name
        return real(path, data)

    monkeypatch.setattr(dlhw_io, "_atomic_write", broken)


def _one_line_status_3(capsys, status: int, *needles: str) -> str:
    err = capsys.readouterr().err.strip()
    assert status == 3, err
    assert err.count("\n") == 0 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


@pytest.mark.parametrize(("code", "name"), [(errno.ENOSPC, "ENOSPC"), (errno.EROFS, "EROFS"),
                                            (errno.EACCES, "EACCES")])
def test_run_with_a_failing_disk_is_one_line(tmp_path, monkeypatch, capsys, code, name):
    _fail_writes(monkeypatch, code)
    out = tmp_path / "out"
    status = main(["run", "hw2526.q3.3", "--out", str(out), "--quick", "--no-progress"])
    _one_line_status_3(capsys, status, f"[{name}]", str(out))
    assert invalid_files(out) == [] and not list(out.rglob("*.tmp"))


def test_report_and_reports_dir_errors_are_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    status = main(["report", "--runs-dir", str(tmp_path / "runs"), "--reports-dir", str(blocker / "sub")])
    _one_line_status_3(capsys, status, str(blocker))


def test_run_out_under_a_file_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    status = main(["run", "hw2526.q3.3", "--out", str(blocker / "out"), "--quick", "--no-progress"])
    _one_line_status_3(capsys, status, str(blocker))


def test_a_full_disk_during_the_report_leaves_no_truncated_file(tmp_path, monkeypatch, capsys):
    runs = tmp_path / "runs"
    save_result(runs / "hw2122.q3.1a" / "seed0", ExperimentResult(
        experiment="hw2122.q3.1a", title="t", dataset="fashion-mnist", seed=0,
        metrics={"test_accuracy": 0.8}, key_metric="test_accuracy"))
    _fail_writes(monkeypatch, errno.ENOSPC, match="report.")
    status = main(["report", "--homework", "hw2122", "--runs-dir", str(runs),
                   "--reports-dir", str(tmp_path / "reports")])
    _one_line_status_3(capsys, status, "No space left on device")
    assert invalid_files(tmp_path / "reports") == []  # no truncated PDF, Markdown or figure


def test_atomic_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        p = dlhw_io.atomic_write_text(tmp_path / "a.json", "{}")
        assert stat.S_IMODE(p.stat().st_mode) == 0o644
        os.umask(0o077)
        p = dlhw_io.atomic_write_text(tmp_path / "b.json", "{}")
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    finally:
        os.umask(old)

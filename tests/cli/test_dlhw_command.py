"""The dlhw command: listing, data, and one-line errors."""

from __future__ import annotations

import contextlib
import subprocess
import sys

from dlhw.cli import main


def test_unknown_experiment_is_one_line(capsys):
    assert main(["run", "hw9999.q1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("dlhw: error: unknown experiment 'hw9999.q1'; valid ids:")
    assert "\n" not in err


def test_data_list(capsys, data_dir):
    assert main(["data", "list", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "fashion-mnist" in out and "train 50000, dev 10000, test 10000" in out
    assert "float64" in out and "float32" not in out  # what load() gives, as the README says
    assert "emnist-letters  missing:" in out


def test_fetch_unknown_option_fails():
    proc = subprocess.run([sys.executable, "-m", "dlhw", "data", "fetch", "mnist"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "invalid choice: 'mnist'" in proc.stderr


def test_version():
    proc = subprocess.run([sys.executable, "-m", "dlhw", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("dlhw ")


def _interrupt(*_args, **_kw):
    raise KeyboardInterrupt


def test_ctrl_c_is_one_line_and_status_130_in_every_entry_point(monkeypatch, capsys):
    """All three command lines share one guard (the homework one used to let Ctrl-C through)."""
    from dlhw import cli, cli_homework, cli_torch

    monkeypatch.setattr(cli, "cmd_list", _interrupt)
    monkeypatch.setattr(cli_homework, "_execute", _interrupt)
    monkeypatch.setattr(cli_torch, "_train", _interrupt)
    runs = {"dlhw": lambda: main(["list"]), "hw1-q3.py": lambda: cli_homework.main_q3(["perceptron"]),
            "hw1-ffn.py": lambda: cli_torch.main_ffn([])}
    for prog, run in runs.items():
        assert run() == 130
        err = capsys.readouterr().err.strip()
        assert err == f"{prog}: interrupted; finished work is kept, rerun the same command to resume"


def test_run_options_are_typed_and_give_the_context(tmp_path):
    from dlhw.cli import build_parser, run_options

    args = build_parser().parse_args(["reproduce", "--seed", "3", "--runs-dir", str(tmp_path), "--quick"])
    ctx = run_options(args).context("hw2122.q3.1a", {"lr": 0.1})
    assert ctx.out_dir == tmp_path / "hw2122.q3.1a" / "seed3-quick-opts-c924a5f4"
    assert ctx.runs_root == tmp_path
    assert (ctx.seed, ctx.quick, ctx.options, ctx.epochs) == (3, True, {"lr": 0.1}, None)


def test_grid_jobs_default_to_every_core_but_one_in_quick_mode(monkeypatch):
    """A quick grid's tasks take less than starting a worker process (which imports torch), so
    ``--quick`` runs them in this process unless ``--jobs`` says otherwise."""
    from dlhw.cli import build_parser, run_options

    monkeypatch.setattr("os.cpu_count", lambda: 6)

    def jobs(*argv: str) -> int:
        return run_options(build_parser().parse_args(["reproduce", *argv])).jobs

    assert (jobs(), jobs("--quick"), jobs("--quick", "--jobs", "3"), jobs("--jobs", "2")) == (6, 1, 3, 2)


def test_options_a_model_ignores_are_refused(tmp_path, capsys):
    for exp_id, option in (("hw2122.q3.1a", "--hidden-size"), ("hw2122.q3.1a", "--l2-penalty"),
                           ("hw2122.q3.2b", "--l2-penalty"), ("hw2122.q2.2a", "--hidden-size")):
        assert main(["run", exp_id, option, "5", "--out", str(tmp_path / "r")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"{option} 5: not an option of {exp_id}" in err
        assert f"dlhw run {exp_id} --help" in err
    assert not (tmp_path / "r").exists()  # refused before anything ran


def test_model_options_are_offered_where_they_apply(capsys):
    for exp_id, shown, hidden in (("hw2122.q3.1a", (), ("--hidden-size", "--l2-penalty")),
                                  ("hw2122.q3.1b", ("--l2-penalty",), ("--hidden-size",)),
                                  ("hw2122.q3.2b", ("--hidden-size",), ("--l2-penalty",))):
        with contextlib.suppress(SystemExit):
            main(["run", exp_id, "--help"])
        out = capsys.readouterr().out
        assert all(o in out for o in shown) and not any(o in out for o in hidden), exp_id


def test_cuda_without_cuda_is_one_error_up_front(tmp_path, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for argv in (["run", "hw2122.q4.1", "--quick", "--device", "cuda", "--out", str(tmp_path / "r")],
                 ["reproduce", "--device", "cuda", "--runs-dir", str(tmp_path / "runs")],
                 ["run", "hw2122.q4.1", "--device", "tpu", "--out", str(tmp_path / "r")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("dlhw: error: --device")
    assert not (tmp_path / "r").exists() and not (tmp_path / "runs").exists()


def test_scratch_kernel_option_and_its_deprecated_spelling(tmp_path):
    import argparse

    import pytest

    from dlhw.experiments.base import RunContext
    from dlhw.experiments.classifier_runs import add_scratch_arguments, kernel_option

    p = argparse.ArgumentParser()
    add_scratch_arguments(p)

    def option(argv):
        return kernel_option(RunContext(out_dir=tmp_path, options=vars(p.parse_args(argv))))

    assert option([]) == {} and option(["--kernel", "numpy"]) == {"kernel": "numpy"}
    with pytest.warns(DeprecationWarning, match="use kernel="):
        assert option(["--backend", "numba32"]) == {"kernel": "numba32"}

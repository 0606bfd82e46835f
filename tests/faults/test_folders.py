"""Faults 1 and 2: finished work is never deleted or misattributed; folders and grids are locked;
checkpoints are trusted only with the run's own fingerprint."""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest
from fault_helpers import blobs, start

from dlhw.errors import CheckpointError, RunLockedError
from dlhw.experiments.base import Experiment, RunOptions
from dlhw.experiments.execute import execute
from dlhw.experiments.layout import find_result, run_dir, run_settings
from dlhw.results import ExperimentResult, load_result, save_result


def _toy_experiment(exp_id: str = "hw2122.q3.1a") -> Experiment:
    """An experiment whose result is its seed and quick flag (instant, no data)."""

    def go(ctx):
        (ctx.out_dir / "weights.txt").write_text(f"seed {ctx.seed}")
        return ExperimentResult(experiment=exp_id, title="toy", dataset="fashion-mnist", seed=ctx.seed,
                                metrics={"test_accuracy": 0.5 + ctx.seed / 100}, key_metric="test_accuracy")

    return Experiment(exp_id, "toy", "hw2122", go)


# -- 1. runs with other settings live side by side ------------------------------------------------
def test_other_seed_or_quick_run_keeps_the_finished_one(tmp_path):
    exp = _toy_experiment()
    folders = {}
    for seed, quick in ((0, False), (1, False), (0, True)):
        ctx = RunOptions(seed=seed, quick=quick, runs_dir=tmp_path, progress=False).context(exp.id)
        execute(exp, ctx)
        folders[(seed, quick)] = ctx.out_dir
    assert len(set(folders.values())) == 3  # three folders, three results
    for (seed, quick), folder in folders.items():
        res = load_result(folder)
        assert (res.seed, res.quick) == (seed, quick)
        assert json.loads((folder / "settings.json").read_text())["seed"] == seed  # settings beside
    # the report / reproduce find the run of their settings; the default is the full seed-0 run
    assert find_result(tmp_path, exp.id, seed=0, quick=True)[0] == folders[(0, True)]
    assert find_result(tmp_path, exp.id)[0] == folders[(0, False)]
    assert find_result(tmp_path, exp.id, seed=1, quick=False)[1].seed == 1


def test_skeleton_and_dlhw_run_use_different_folders(tmp_path):
    """hw1-q3.py perceptron (seed 42, its options) vs dlhw run hw2122.q3.1a (seed 0)."""
    skeleton = run_settings("hw2122.q3.1a", seed=42, quick=False, dataset=None, epochs=20,
                            options={"learning_rate": 1.0, "hidden_size": 200, "on_epoch": print})
    plain = run_settings("hw2122.q3.1a", seed=0, quick=False, dataset=None, epochs=None)
    assert run_dir(tmp_path, skeleton) != run_dir(tmp_path, plain)
    assert "on_epoch" not in skeleton["options"]  # a printer is not a setting


def test_out_of_another_experiment_is_refused(tmp_path, capsys):
    from dlhw.cli import main

    out = tmp_path / "q31b"
    save_result(out, ExperimentResult(experiment="hw2122.q3.1b", title="t", dataset="fashion-mnist",
                                      seed=0, metrics={"test_accuracy": 0.8}, key_metric="test_accuracy"))
    before = (out / "result.json").read_bytes()
    assert main(["run", "hw2122.q3.1a", "--out", str(out), "--quick", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "holds the result of hw2122.q3.1b, not hw2122.q3.1a" in err
    assert (out / "result.json").read_bytes() == before  # nothing was touched


def test_same_out_other_settings_refused_then_overwrite_on_purpose(tmp_path):
    exp = _toy_experiment()
    out = tmp_path / "mine"
    execute(exp, RunOptions(seed=0, out=out).context(exp.id))
    with pytest.raises(CheckpointError, match="other settings .*seed 0 != 3.*--overwrite"):
        execute(exp, RunOptions(seed=3, out=out).context(exp.id))
    assert load_result(out).seed == 0
    execute(exp, RunOptions(seed=3, out=out, overwrite=True).context(exp.id))
    assert load_result(out).seed == 3


def test_report_refuses_a_result_of_another_experiment(tmp_path):
    from dlhw.report.build import load_sources

    other = tmp_path / "hw2122.q3.1a" / "seed0"
    save_result(other, ExperimentResult(experiment="hw2122.q3.1b", title="t", dataset="fashion-mnist",
                                        seed=0, metrics={"test_accuracy": 0.8}, key_metric="test_accuracy"))
    with pytest.raises(CheckpointError, match="is the result of hw2122.q3.1b, not hw2122.q3.1a"):
        find_result(tmp_path, "hw2122.q3.1a")
    src = load_sources(tmp_path, tmp_path / "rep")
    assert src.results["hw2122.q3.1a"] is None and "hw2122.q3.1b" in src.problems["hw2122.q3.1a"]


def test_numpy_protocol_never_deletes_another_run(tmp_path):
    from dlhw.scratch import Perceptron
    from dlhw.training.protocol import train

    ds = blobs()
    train(Perceptron(3, 6), ds, epochs=2, out_dir=tmp_path, learning_rate=1.0, seed=0)
    best = (tmp_path / "best.npz").read_bytes()
    with pytest.raises(CheckpointError, match="nothing was deleted"):
        train(Perceptron(3, 6), ds, epochs=2, out_dir=tmp_path, learning_rate=1.0, seed=5, resume="auto")
    assert (tmp_path / "best.npz").read_bytes() == best


# -- 2. locks and fingerprints ----------------------------------------------------------------------
HOLD = textwrap.dedent("""
    import sys, time
    from dlhw.training.run_folder import FolderLock
    with FolderLock(sys.argv[1] if len(sys.argv) > 1 else {folder!r}):
        print("locked", flush=True)
        time.sleep(30)
""")


def _holder(folder):
    proc = start(HOLD.format(folder=str(folder)))
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_run_in_a_locked_folder_is_refused_with_the_pid(tmp_path, capsys):
    from dlhw.cli import main

    out = tmp_path / "busy"
    out.mkdir()
    proc = _holder(out)
    try:
        assert main(["run", "hw2122.q3.1a", "--out", str(out), "--quick", "--no-progress"]) == 2
        err = capsys.readouterr().err.strip()
        assert f"is already running (pid {proc.pid})" in err and err.count("\n") == 0
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    assert not list(out.glob("*.json"))  # the refused run wrote nothing


def test_a_grid_is_locked(tmp_path):
    from dlhw.grid import GridRunner, GridSpec

    proc = _holder(tmp_path)
    try:
        runner = GridRunner(tmp_path, fn=lambda m: {"best_dev_accuracy": 0.5}, jobs=1)
        with pytest.raises(RunLockedError, match=f"grid {tmp_path} is already running \\(pid {proc.pid}\\)"):
            runner.run(GridSpec(base={}, axes={"lr": (0.1, 0.2)}))
    finally:
        proc.kill()
        proc.communicate(timeout=30)


def test_a_lock_left_by_a_killed_process_is_not_stale(tmp_path):
    proc = _holder(tmp_path)
    proc.kill()
    proc.communicate(timeout=30)
    from dlhw.training.run_folder import FolderLock

    with FolderLock(tmp_path):  # the kernel released it with the process
        pass


def test_best_checkpoint_of_another_configuration_is_not_trusted(tmp_path):
    from dlhw.scratch import Perceptron
    from dlhw.training.protocol import train

    ds = blobs()
    train(Perceptron(3, 6), ds, epochs=2, out_dir=tmp_path / "a", learning_rate=1.0, seed=0)
    train(Perceptron(3, 6), ds, epochs=2, out_dir=tmp_path / "b", learning_rate=0.01, seed=0)
    for ext in (".npz", ".json"):  # another configuration's best, copied into a finished folder
        shutil.copy(tmp_path / "b" / f"best{ext}", tmp_path / "a" / f"best{ext}")
    with pytest.raises(CheckpointError, match="belongs to another run .*learning_rate 0.01 != 1.0"):
        train(Perceptron(3, 6), ds, epochs=2, out_dir=tmp_path / "a", learning_rate=1.0, seed=0)


def test_torch_best_checkpoint_of_another_configuration_is_not_trusted(tmp_path):
    from dlhw.training.torch_loop import test_best, train_torch

    ds = blobs(n=120)
    cfg = {"model": "logistic_regression", "lr": 0.1, "batch_size": 8, "epochs": 1}
    train_torch(cfg, ds, out_dir=tmp_path / "a", progress=False, plots=False)
    train_torch({**cfg, "lr": 0.01}, ds, out_dir=tmp_path / "b", progress=False, plots=False)
    for ext in (".npz", ".json"):
        shutil.copy(tmp_path / "b" / f"best{ext}", tmp_path / "a" / f"best{ext}")
    with pytest.raises(CheckpointError, match="belongs to another run"):
        test_best(tmp_path / "a", ds)


def test_two_processes_on_one_folder_never_interleave(tmp_path):
    """Two real runs of one id with different seeds in one folder: one runs, the other is refused."""
    code = textwrap.dedent(f"""
        import sys
        from fault_helpers import blobs
        from dlhw.errors import DlhwError
        from dlhw.scratch import Perceptron
        from dlhw.training.protocol import train
        try:
            r = train(Perceptron(3, 6), blobs(), epochs=40, out_dir={str(tmp_path)!r},
                      learning_rate=1.0, seed=int(sys.argv[1]))
            print("ok", r.test_metrics["test_accuracy"])
        except DlhwError as exc:
            print("refused", exc)
    """)
    procs = [start(code.replace("int(sys.argv[1])", str(s))) for s in (0, 1)]
    outs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert sorted(o.split()[0] for o in outs) == ["ok", "refused"], outs
    (refused,) = [o for o in outs if o.startswith("refused")]
    assert "already running" in refused or "different run" in refused


def test_dataset_runs_live_side_by_side_and_the_report_picks_its_own(tmp_path):
    exp = _toy_experiment("hw2526.q1.1")
    emnist = RunOptions(runs_dir=tmp_path).context(exp.id)
    fashion = RunOptions(runs_dir=tmp_path, dataset="fashion-mnist").context(exp.id)
    assert emnist.out_dir != fashion.out_dir and fashion.out_dir.name == "seed0-fashion-mnist"
    for ctx in (emnist, fashion):
        execute(exp, ctx)
    assert find_result(tmp_path, exp.id, dataset="fashion-mnist")[0] == fashion.out_dir
    assert find_result(tmp_path, exp.id)[0] == emnist.out_dir  # the default data set first
    # --dataset does not change a 2021-22 question: one folder with or without it
    assert (RunOptions(runs_dir=tmp_path, dataset="fashion-mnist").context("hw2122.q3.1a").out_dir
            == RunOptions(runs_dir=tmp_path).context("hw2122.q3.1a").out_dir)

"""``dlhw reproduce --quick`` end to end on the shared data, and its resume/failure rules."""

from __future__ import annotations

import pytest

from dlhw.cli import main
from dlhw.experiments import all_experiments
from dlhw.markup import fmt_value
from dlhw.report.outline import OUTLINES
from dlhw.results import ExperimentResult, load_result
from dlhw.testing.reports import mission_ids, pdf_pages


@pytest.mark.slow
def test_reproduce_quick_builds_both_reports(tmp_path, data_dir, capsys):
    runs, reports = tmp_path / "runs", tmp_path / "reports"
    argv = ["reproduce", "--quick", "--dataset", "fashion-mnist", "--data-dir", str(data_dir),
            "--runs-dir", str(runs), "--reports-dir", str(reports), "--no-progress"]
    status = main(argv)
    out = capsys.readouterr().out
    registered = all_experiments()
    for exp in registered:
        assert exp.id in out  # a progress line and a summary row per experiment
    # one folder per run: runs/<id>/seed0-quick(-fashion-mnist for 2025-26), dlhw.experiments.layout
    results = {e.id: load_result(runs / e.id / ("seed0-quick-fashion-mnist" if e.homework == "hw2526"
                                                else "seed0-quick")) for e in registered}
    failed = [e for e, r in results.items() if r is None]
    assert status == (1 if failed else 0), out
    assert not failed, f"experiments failed in quick mode: {failed}\n{out}"
    for hw, outline in OUTLINES.items():
        pdf = reports / hw / "report.pdf"
        pages = pdf_pages(pdf)
        assert 3 <= len(pages) <= 80
        text = " ".join(pages)
        sections = {s.mission_id for s in outline.sections()}
        for mid in mission_ids(hw):
            if mid in sections:
                assert mid in text
        assert (reports / hw / "report.md").is_file()
        for exp_id, res in results.items():
            if exp_id.startswith(hw + "."):
                _assert_numbers_shown(res, text)


def _assert_numbers_shown(res: ExperimentResult, text: str) -> None:
    """The key number (as ``name = value``, in the runs appendix) and every float metric are in
    the PDF, formatted by fmt_value (line breaks inside table cells are ignored)."""
    flat = "".join(text.split())
    key = fmt_value(res.metrics[res.key_metric])
    assert f"{res.key_metric}={key}" in flat, f"{res.experiment}: key number {key} not in the PDF"
    for name, value in res.metrics.items():
        if isinstance(value, float):
            assert fmt_value(value) in flat, f"{res.experiment}: {name} = {fmt_value(value)} missing"


def _args(tmp_path, **kw):
    from dlhw.experiments.base import RunOptions

    return RunOptions(**{**dict(quick=True, progress=False, runs_dir=tmp_path / "runs"), **kw})


def test_ordered_runs_dependencies_first_and_rejects_cycles():
    from dlhw.errors import ConfigError
    from dlhw.experiments.base import Experiment
    from dlhw.reproduce import ordered

    def exp(i, *deps):
        return Experiment(id=i, title=i, homework="hw2526", run=lambda ctx: None, depends=deps)

    a, b, c = exp("a", "b"), exp("b", "c"), exp("c")
    reg = {e.id: e for e in (a, b, c)}
    assert [e.id for e in ordered([a], reg)] == ["c", "b", "a"]
    cyc = {"x": exp("x", "y"), "y": exp("y", "x")}
    with pytest.raises(ConfigError, match="cycle"):
        ordered([cyc["x"]], cyc)
    with pytest.raises(ConfigError, match="unknown experiment 'zz'"):
        ordered([exp("q", "zz")], reg)


def test_a_failure_is_reported_and_the_others_still_run(tmp_path, monkeypatch, capsys):
    from dlhw import reproduce as rp
    from dlhw.experiments.base import Experiment
    from dlhw.results import ExperimentResult

    def ok(ctx):
        return ExperimentResult(experiment="hw2526.zz2", title="ok", dataset="none", seed=ctx.seed,
                                metrics={"x": 0.5}, key_metric="x")

    def boom(ctx):
        raise RuntimeError("kaput")

    exps = [Experiment("hw2526.zz1", "boom", "hw2526", boom),
            Experiment("hw2526.zz2", "ok", "hw2526", ok),
            Experiment("hw2526.zz3", "needs zz1", "hw2526", ok, depends=("hw2526.zz1",))]
    monkeypatch.setattr(rp, "plan", lambda opts, homework: (exps, {}))
    args = _args(tmp_path)
    reports = tmp_path / "reports"
    assert rp.reproduce(args, reports_dir=reports) == 1
    out = capsys.readouterr().out
    assert "hw2526.zz1: FAILED RuntimeError: kaput" in out
    assert "hw2526.zz2: ran x = 0.5000" in out
    assert "hw2526.zz3: skipped (dependency hw2526.zz1 did not finish)" in out
    (log,) = (tmp_path / "runs" / "hw2526.zz1").glob("*/error.log")
    assert "kaput" in log.read_text()
    # Resume: the finished one is kept, unless the seed changes.
    exps[0] = Experiment("hw2526.zz1", "fixed", "hw2526", ok)
    assert rp.reproduce(args, reports_dir=reports) == 0
    out = capsys.readouterr().out
    assert "hw2526.zz2: kept" in out and "hw2526.zz3: ran" in out
    assert not log.exists()
    rp.reproduce(_args(tmp_path, seed=1), reports_dir=reports)
    assert "hw2526.zz2: ran" in capsys.readouterr().out


def test_no_data_at_all_says_nothing_was_reproduced(tmp_path, monkeypatch, capsys):
    from dlhw.cli import main
    from dlhw.data import locate

    monkeypatch.delenv("DLHW_DATA_DIR", raising=False)
    monkeypatch.setattr(locate, "SYSTEM_DIRS", {})
    (tmp_path / "empty").mkdir()
    rc = main(["reproduce", "--homework", "hw2122", "--quick", "--data-dir", str(tmp_path / "empty"),
               "--runs-dir", str(tmp_path / "runs"), "--reports-dir", str(tmp_path / "reports")])
    out = capsys.readouterr().out
    assert rc == 1
    assert "nothing was reproduced: no experiment that trains on data could run" in out
    assert "missing (fashion-mnist, ames)" in out or "missing (ames, fashion-mnist)" in out
    assert "dlhw data fetch NAME" in out and "no report was built" in out
    assert not (tmp_path / "reports").exists()


def test_fashion_mnist_is_not_suggested_when_it_is_missing_too(tmp_path, monkeypatch, capsys):
    from dlhw import data
    from dlhw import reproduce as rp
    from dlhw.experiments.base import Experiment

    def never(ctx):
        raise AssertionError("must not run")

    exps = [Experiment("hw2526.zz1", "needs letters", "hw2526", never, datasets=("emnist-letters",))]
    monkeypatch.setattr(rp, "plan", lambda opts, homework: (exps, {"hw2526.zz1": "missing data: "
                                                                                 "emnist-letters"}))
    monkeypatch.setattr(data, "find", lambda name, data_dir=None: None)
    assert rp.reproduce(_args(tmp_path), reports_dir=tmp_path / "reports") == 1
    out = capsys.readouterr().out
    assert "missing data set emnist-letters" in out and "--dataset fashion-mnist" not in out
    assert "nothing was reproduced" in out
    # with Fashion-MNIST present the substitution is offered
    monkeypatch.setattr(data, "find", lambda name, data_dir=None: "/x" if name == "fashion-mnist" else None)
    rp.reproduce(_args(tmp_path), reports_dir=tmp_path / "reports")
    assert "dlhw reproduce --dataset fashion-mnist" in capsys.readouterr().out

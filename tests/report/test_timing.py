"""The timing appendix: each experiment's wall time and epochs, in both report formats."""

from __future__ import annotations

import pytest

from dlhw.report import answers
from dlhw.report.build import build_reports
from dlhw.report.timing import epochs_of
from dlhw.results import ExperimentResult, load_result, save_result
from dlhw.testing.reports import fabricate, pdf_pages


@pytest.fixture
def no_answers(tmp_path, monkeypatch):
    monkeypatch.setattr(answers, "answers_root", lambda: tmp_path / "no-answers")
    monkeypatch.setattr(answers, "load_discussions", lambda: ({}, None))


def _result(config: dict, metrics: dict) -> ExperimentResult:
    return ExperimentResult(experiment="x", title="x", dataset="fashion-mnist", seed=0,
                            metrics=metrics, key_metric="test_accuracy", config=config)


def test_epochs_of_single_runs_and_grids():
    assert epochs_of(_result({"epochs": 20}, {})) == (20, 1)
    assert epochs_of(_result({"base": {"epochs": 30}, "axes": {"a": [1, 2], "b": [1, 2, 3]}}, {})) == (30, 6)
    assert epochs_of(_result({"base": {"epochs": 20}, "axes": {"v": [1, 2]}}, {"n_configs": 7})) == (20, 7)
    assert epochs_of(_result({"b_values": [1]}, {})) == (None, 1)


def test_timing_table_in_both_reports(tmp_path, no_answers):
    runs = tmp_path / "runs"
    fabricate(runs, "hw2122.q4.2", metrics={"test_accuracy": 0.86})
    r = load_result(runs / "hw2122.q4.2")
    r.config = {"base": {"epochs": 20}, "axes": {"variant": ["a", "b"]}}
    r.metrics["n_configs"] = 7
    save_result(runs / "hw2122.q4.2", r)
    pdf, md = build_reports("hw2122", runs, tmp_path / "reports")
    text = md.read_text()
    assert "Appendix: timing" in text
    assert "| hw2122.q4.2 | 7 | 20 | 140 | 12.5 s | 0.1 |" in text
    assert "| hw2122.q3.1a | not run |" in text
    assert "| all |  |  | 140 | 12.5 s |  |" in text
    assert "Appendix: timing" in " ".join(pdf_pages(pdf))


def test_steady_epoch_and_compile_seconds_are_separate_columns(tmp_path):
    runs = tmp_path / "runs"
    fabricate(runs, "hw2122.q3.1a", metrics={"test_accuracy_final": 0.8, "test_accuracy_best": 0.81,
                                            "epochs": 20, "seconds_per_epoch": 0.0123,
                                            "compile_seconds": 4.56, "plot_seconds": 0.789})
    _, md = build_reports("hw2122", runs, tmp_path / "reports")
    text = md.read_text()
    assert "training s per epoch (steady)" in text and "compile s" in text and "plots s" in text
    row = [line for line in text.splitlines() if line.startswith("| hw2122.q3.1a")][-1]  # timing table
    assert "| 0.0123 | 4.56 | 0.789 |" in row

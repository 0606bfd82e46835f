"""build_reports on fabricated results: numbers, best rows, "not run", answers, discussions."""

from __future__ import annotations

import pytest

from dlhw.report import answers, build_reports
from dlhw.report.outline import OUTLINES
from dlhw.results import Table
from dlhw.testing.reports import fabricate, mission_ids, pdf_bold_runs, pdf_pages

GRID = Table(columns=["lr", "hidden", "best_dev_accuracy"],
             rows=[[0.001, 100, 0.6111], [0.01, 200, 0.8765], [0.1, 100, 0.4321]],
             highlight=[1], caption="Fabricated grid #1 (best_*)")


@pytest.fixture
def no_answers(tmp_path, monkeypatch):
    """Isolate from the repository's written answers and discussions."""
    monkeypatch.setattr(answers, "answers_root", lambda: tmp_path / "no-answers")
    monkeypatch.setattr(answers, "load_discussions", lambda: ({}, None))


def test_fabricated_result_shows_its_numbers_and_best_row(tmp_path, no_answers):
    runs = tmp_path / "runs"
    fabricate(runs, "hw2122.q4.2", metrics={"test_accuracy_final": 0.86421, "best_dev_accuracy": 0.8765,
                                            "best_config": {"lr": 0.01, "hidden": 200}}, table=GRID)
    pdf, md = build_reports("hw2122", runs, tmp_path / "reports")
    text = " ".join(pdf_pages(pdf))
    for number in ("0.8642", "0.8765", "0.6111", "0.4321", "learning rate = 0.0100, hidden = 200"):
        assert number in text
    assert "Fabricated grid #1 (best_*)" in text
    bold = pdf_bold_runs(pdf)
    assert "0.8765" in bold and "0.0100" in bold  # the best row's cells are bold
    assert "0.6111" not in bold and "0.4321" not in bold
    markdown = md.read_text()
    assert "| **0.0100** | **200** | **0.8765** |" in markdown
    assert "| 0.0010 | 100 | 0.6111 |" in markdown
    assert (pdf.parent / "figures" / "hw2122.q4.2" / "accuracy.png").is_file()
    assert "figures/hw2122.q4.2/accuracy.png" in markdown
    assert "12.5 s" in text and "seed 7" in text and "abc1234" in text  # run metadata


def test_missing_result_reads_not_run_and_leaves_no_stale_number(tmp_path, no_answers):
    runs, out = tmp_path / "runs", tmp_path / "reports"
    fabricate(runs, "hw2122.q3.1a", metrics={"test_accuracy_final": 0.7531})
    pdf, md = build_reports("hw2122", runs, out)
    assert "0.7531" in " ".join(pdf_pages(pdf))
    (runs / "hw2122.q3.1a" / "result.json").unlink()
    pdf, md = build_reports("hw2122", runs, out)
    text = " ".join(pdf_pages(pdf))
    assert "0.7531" not in text and "0.7531" not in md.read_text()
    assert "hw2122.q3.1a: not run" in text
    assert not (out / "hw2122" / "figures" / "hw2122.q3.1a").exists()


def test_every_mission_id_has_a_section_in_the_texts_order():
    for hw, outline in OUTLINES.items():
        ids = [s.mission_id for s in outline.sections()]
        expected = []
        for mid in mission_ids(hw):
            expected += [f"{hw}.q1.{i}" for i in range(1, 6)] if mid.endswith("q1.1-1.5") else [mid]
        assert ids == expected


def test_pdf_lists_every_question_in_order(tmp_path, no_answers):
    pdf, _ = build_reports("hw2526", tmp_path / "runs", tmp_path / "reports")
    pages = pdf_pages(pdf)
    body = " ".join(pages[2:])  # after the title page and the contents
    positions = [body.find(f"{s.mission_id}:") for s in OUTLINES["hw2526"].sections()]
    assert -1 not in positions and positions == sorted(positions)
    assert "Experiments finished 0 of" in pages[0]


def test_dataset_substitution_is_on_the_first_page(tmp_path, no_answers):
    runs = tmp_path / "runs"
    fabricate(runs, "hw2526.q1.1", metrics={"test_accuracy_best": 0.5}, dataset="fashion-mnist",
              quick=True)
    pdf, _ = build_reports("hw2526", runs, tmp_path / "reports")
    first = pdf_pages(pdf)[0]
    assert "instead of EMNIST Letters" in first and "Fashion-MNIST" in first
    assert "Quick mode" in first


def test_answers_and_discussions_are_included_and_failures_contained(tmp_path, monkeypatch):
    root = tmp_path / "answers"
    (root / "hw2122").mkdir(parents=True)
    (root / "hw2122" / "q1_1.typ").write_text("We show $sigma'(z)$: ANSWER-ONE-OK.\n")
    (root / "hw2122" / "q1_2.typ").write_text("#let broken = (\n")
    monkeypatch.setattr(answers, "answers_root", lambda: root)
    seen = {}

    def good(results):
        seen.update(results)
        return f"Measured: *{results['hw2122.q3.1a'].metrics['test_accuracy_final']}* DISCUSSION-OK"

    def bad(results):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(answers, "load_discussions",
                        lambda: ({"hw2122.q3.1a": good, "hw2122.q4.1": bad}, None))
    runs = tmp_path / "runs"
    fabricate(runs, "hw2122.q3.1a", metrics={"test_accuracy_final": 0.25})
    pdf, md = build_reports("hw2122", runs, tmp_path / "reports")
    text = " ".join(pdf_pages(pdf))
    assert "ANSWER-ONE-OK" in text and "Measured: 0.25 DISCUSSION-OK" in text
    assert "answers/hw2122/q1_2.typ) does not compile" in text
    assert "the discussion of hw2122.q4.1 failed: ZeroDivisionError: boom" in text
    assert seen["hw2122.q3.1a"] is not None and seen["hw2122.q4.3"] is None
    assert "```typst\n#let broken = (" in md.read_text()  # the source is kept in the twin


def test_unknown_homework_is_a_config_error(tmp_path):
    from dlhw.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown homework"):
        build_reports("hw1999", tmp_path, tmp_path)


def test_pdf_figures_use_their_png_twin_and_bad_images_are_contained(tmp_path, no_answers):
    from dlhw.results import load_result, save_result
    from dlhw.testing.reports import tiny_png

    runs = tmp_path / "runs"
    res = fabricate(runs, "hw2122.q3.1b", metrics={"test_accuracy_final": 0.5})
    (runs / "hw2122.q3.1b" / "sub").mkdir()
    (runs / "hw2122.q3.1b" / "sub" / "curve.png").write_bytes(tiny_png())
    (runs / "hw2122.q3.1b" / "sub" / "curve.pdf").write_bytes(b"%PDF-1.4 not embeddable")
    (runs / "hw2122.q3.1b" / "accuracy.png").write_bytes(b"\x89PNG\r\n\x1a\n corrupt")
    res.figures = {"accuracy": "accuracy.png", "curve": "sub/curve.pdf", "gone": "gone.png"}
    save_result(runs / "hw2122.q3.1b", res)
    assert load_result(runs / "hw2122.q3.1b").figures["curve"] == "sub/curve.pdf"
    pdf, md = build_reports("hw2122", runs, tmp_path / "reports")
    text = " ".join(pdf_pages(pdf))
    assert "figures/hw2122.q3.1b/sub/curve.png" in md.read_text()
    assert "Figure figures/hw2122.q3.1b/accuracy.png cannot be embedded" in text
    assert "figure gone of hw2122.q3.1b: file gone.png is missing" in text


def test_figures_are_embedded_as_vector_graphics(tmp_path, no_answers):
    """The PDF report embeds a run's PDF twin (vector); report.md links the PNG; a broken vector
    twin falls back to the raster."""
    from dlhw.training.plots import plot_series

    runs = tmp_path / "runs"
    fabricate(runs, "hw2122.q4.2", metrics={"test_accuracy": 0.5})
    plot_series({"train_loss": [3.0, 2.0, 1.0]}, runs / "hw2122.q4.2" / "accuracy", title="VECTOR-TITLE")
    pdf, md = build_reports("hw2122", runs, tmp_path / "reports")
    typ = (pdf.parent / "report.typ").read_text()
    assert 'image("figures/hw2122.q4.2/accuracy.pdf"' in typ
    assert "figures/hw2122.q4.2/accuracy.png" in md.read_text()
    assert "VECTOR-TITLE" in " ".join(pdf_pages(pdf))  # text of a vector figure is extractable
    (runs / "hw2122.q4.2" / "accuracy.pdf").write_bytes(b"%PDF-1.4 broken")
    pdf, _ = build_reports("hw2122", runs, tmp_path / "reports")
    assert 'image("figures/hw2122.q4.2/accuracy.png"' in (pdf.parent / "report.typ").read_text()

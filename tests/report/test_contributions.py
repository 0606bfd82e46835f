"""hw2526's contribution paragraph: from --contributions or contributions.md, else a placeholder."""

from __future__ import annotations

import pytest

from dlhw.errors import ConfigError
from dlhw.report import build_reports
from dlhw.report.blocks import Heading, Paragraph
from dlhw.report.contributions import HEADING, contribution_blocks, find_contributions
from dlhw.testing.reports import fabricate


def test_placeholder_is_visible_and_says_how_to_fill_it(tmp_path):
    blocks = contribution_blocks("hw2526", None)
    assert blocks[0] == Heading(1, HEADING)
    assert blocks[1].style == "pending" and "MISSING" in blocks[1].text
    assert "--contributions FILE" in blocks[1].text and "10 points" in blocks[1].text
    assert contribution_blocks("hw2122", None) == []  # the 2021-22 text does not ask for it
    empty = tmp_path / "contributions.md"
    empty.write_text("  \n")
    assert "is empty" in contribution_blocks("hw2526", empty)[1].text


def test_file_beside_the_runs_folder_or_explicit(tmp_path):
    runs = tmp_path / "runs"
    assert find_contributions(None, runs) is None
    (tmp_path / "contributions.md").write_text("Ana wrote Q1.\nBo wrote\nQ2.\n\nBoth wrote Q3.\n")
    found = find_contributions(None, runs)
    assert found == tmp_path / "contributions.md"
    assert contribution_blocks("hw2526", found)[1:] == [Paragraph("Ana wrote Q1. Bo wrote Q2."),
                                                        Paragraph("Both wrote Q3.")]
    other = tmp_path / "team.txt"
    other.write_text("Carla did everything.")
    assert find_contributions(other, runs) == other
    with pytest.raises(ConfigError, match="does not exist"):
        find_contributions(tmp_path / "nope.md", runs)


def test_report_shows_the_paragraph(tmp_path):
    runs = tmp_path / "runs"
    fabricate(runs, "hw2526.q1.1", metrics={"test_accuracy_best": 0.5}, key_metric="test_accuracy_best")
    team = tmp_path / "team.md"
    team.write_text("Dana implemented the perceptron; Eli wrote the report.")
    _, md = build_reports("hw2526", runs, tmp_path / "reports", contributions=team)
    text = md.read_text()
    assert HEADING in text and "Dana implemented the perceptron; Eli wrote the report." in text
    assert text.index(HEADING) < text.index("Question 1")

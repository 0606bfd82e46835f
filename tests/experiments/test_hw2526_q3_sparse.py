"""hw2526.q3.3 runs from the command line into a temporary folder and records what results.md fixes."""

from __future__ import annotations

from dlhw.cli import main
from dlhw.experiments import get_experiment
from dlhw.results import load_result


def test_q33_runs_via_cli(tmp_path, capsys):
    out = tmp_path / "q33"
    assert main(["run", "hw2526.q3.3", "--out", str(out), "--quick", "--no-progress", "--b", "0.5", "1",
                 "2"]) == 0
    assert "max_abs_error_closed_form_vs_general" in capsys.readouterr().out
    result = load_result(out)
    assert result is not None and result.experiment == "hw2526.q3.3"
    assert result.key_metric == "max_abs_error_closed_form_vs_general"
    assert result.metrics[result.key_metric] < 1e-12
    assert result.metrics["max_abs_error_derivative_vs_finite_difference"] < 1e-8
    assert result.metrics["b_values"] == [0.5, 1.0, 2.0]
    for name in ("functions", "derivatives"):
        assert result.figures[name] == f"{name}.png"
        assert (out / f"{name}.png").stat().st_size > 1000 and (out / f"{name}.pdf").stat().st_size > 1000
    values = result.tables["values"]
    assert values.columns == ["t", "softmax", "sparsemax", "relumax "
                                                           "(b=0.5)", "relumax (b=1)", "relumax (b=2)"]
    row0 = next(dict(zip(values.columns, r)) for r in values.rows if r[0] == 0.0)
    assert row0["softmax"] == row0["sparsemax"] == row0["relumax (b=1)"] == 0.5
    assert get_experiment("hw2526.q3.3").datasets == ()

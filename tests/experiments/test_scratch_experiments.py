"""Every scratch experiment runs with --quick and writes the contract's metrics and figures (the
homework command lines are tested in ``tests/cli/test_homework_scripts.py``)."""

from __future__ import annotations

import pytest

from dlhw.cli import main
from dlhw.results import load_result

CLASSIFIER_METRICS = {"test_accuracy_final", "test_accuracy_best", "best_dev_accuracy", "best_epoch",
                      "epochs", "final_train_accuracy", "final_dev_accuracy", "seconds_per_epoch",
                      "compile_seconds", "plot_seconds"}
SEED_METRICS = {"per_seed", "seeds", "headline_seed", "test_rmse_median", "test_rmse_min", "test_rmse_max"}
REGRESSION_METRICS = {"train_rmse", "test_rmse", "best_test_rmse", "best_epoch", "epochs",
                      "seconds_per_epoch", "compile_seconds", "plot_seconds"} | SEED_METRICS
ANALYTIC_METRICS = {"analytic_train_rmse", "analytic_test_rmse", "final_distance_to_analytic",
                    "initial_distance_to_analytic"}

CASES = {
    "hw2122.q2.2a": (REGRESSION_METRICS | ANALYTIC_METRICS, {"rmse", "distance"}, "ames"),
    "hw2122.q2.2b": (REGRESSION_METRICS | {"train_target_std", "active_hidden_fraction_train", "collapsed",
                                           "collapsed_runs", "test_rmse_median_healthy"}, {"rmse"}, "ames"),
    "hw2122.q3.1a": (CLASSIFIER_METRICS, {"accuracy"}, "fashion-mnist"),
    "hw2122.q3.1b": (CLASSIFIER_METRICS | {"final_train_loss"}, {"accuracy", "loss"}, "fashion-mnist"),
    "hw2122.q3.2b": (CLASSIFIER_METRICS | {"final_train_loss"}, {"accuracy", "loss"}, "fashion-mnist"),
    "hw2526.q1.1": (CLASSIFIER_METRICS, {"accuracy"}, "fashion-mnist"),
    "hw2526.q1.2a": (CLASSIFIER_METRICS | {"final_train_loss"}, {"accuracy", "loss"}, "fashion-mnist"),
    "hw2526.q1.3": (CLASSIFIER_METRICS | {"final_train_loss"}, {"accuracy", "loss"}, "fashion-mnist"),
}


@pytest.mark.slow
@pytest.mark.parametrize("exp_id", sorted(CASES))
def test_quick_run_writes_the_contract(exp_id, data_dir, tmp_path):
    metrics, figures, dataset = CASES[exp_id]
    args = ["run", exp_id, "--quick", "--no-progress", "--data-dir", str(data_dir), "--out", str(tmp_path)]
    if exp_id.startswith("hw2526"):
        args += ["--dataset", "fashion-mnist"]  # EMNIST Letters is not in the offline data
    if exp_id == "hw2526.q1.2a":  # options override the text's defaults
        args += ["--learning-rate", "0.01", "--l2-penalty", "0.001"]
    assert main(args) == 0
    result = load_result(tmp_path)
    if exp_id == "hw2526.q1.2a":
        assert result.config["learning_rate"] == 0.01 and result.config["l2"] == 0.001
    assert result.experiment == exp_id and result.dataset == dataset and result.quick
    assert metrics <= set(result.metrics), metrics - set(result.metrics)
    assert result.metrics["epochs"] == 2
    assert set(result.figures) == figures
    for name in figures:
        assert (tmp_path / f"{name}.png").stat().st_size > 0 and (tmp_path / f"{name}.pdf").exists()
    assert (tmp_path / "best.npz").exists() and (tmp_path / "history.json").exists()
    key = result.metrics[result.key_metric]
    assert (0.3 < key <= 1.0) if result.key_metric.startswith("test_accuracy") else (0 < key < 100)
    if "test_accuracy_final" in metrics:  # the headline is the test accuracy the text asks for
        assert result.key_metric == {"hw2122": "test_accuracy_final",
                                     "hw2526": "test_accuracy_best"}[exp_id[:6]]
        assert "test_accuracy" not in result.metrics
    if "per_seed" in metrics:  # the seed study: 5 seeds incl. the skeleton's 42 and the headline 0
        assert result.metrics["seeds"] == [0, 1, 2, 3, 42] and result.metrics["headline_seed"] == 0
        assert [row[0] for row in result.tables["seeds"].rows] == [0, 1, 2, 3, 42]
        assert result.metrics["per_seed"]["0"]["test_rmse"] == result.metrics["test_rmse"]


def test_hw2526_defaults_to_emnist(tmp_path):
    from dlhw.experiments import get_experiment
    from dlhw.experiments.base import RunContext
    from dlhw.experiments.hw2526.q1_linear import pick_dataset

    assert pick_dataset(RunContext(out_dir=tmp_path)) == "emnist-letters"
    assert get_experiment("hw2526.q1.3").datasets[0] == "emnist-letters"

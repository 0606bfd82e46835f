"""DISCUSSIONS: fabricated results with known numbers must give the right numbers and conclusions."""

from __future__ import annotations

import io

import pytest

from dlhw.answers._prose import trend
from dlhw.answers.discussions import DISCUSSIONS
from dlhw.markup import escape
from dlhw.results import ExperimentResult

typst = pytest.importorskip("typst")
PREAMBLE = "#set page(width: 16cm, height: auto, margin: 1cm)\n"
REQUIRED = ("hw2526.q2.2a", "hw2526.q2.2b", "hw2526.q2.2c", "hw2526.q2.3a", "hw2526.q2.3b",
            "hw2526.q2.3c", "hw2122.q2.2a", "hw2122.q2.2b")


def _result(exp_id: str, metrics: dict, quick: bool = False) -> ExperimentResult:
    return ExperimentResult(experiment=exp_id, title=exp_id, dataset="emnist-letters", seed=0,
                            metrics=metrics, key_metric="test_accuracy_best", quick=quick)


def _per(axis_values, dev, train, **extra):
    return {str(x): {"best_dev_accuracy": d, "final_train_accuracy": t, "config": {"lr": 0.01}}
            for x, d, t in zip(axis_values, dev, train)} | extra


WIDTHS = (16, 32, 64, 128, 256)


def _width_run(dev, train, **top) -> ExperimentResult:
    best = WIDTHS[max(range(5), key=dev.__getitem__)]
    metrics = {"per_width": _per(WIDTHS, dev, train), "best_width": best, "best_dev_accuracy": max(dev),
               "best_config": {"width": best, "lr": 0.001, "dropout": 0.3, "optimizer": "adam_w"},
               "test_accuracy_best": max(dev) - 0.004, "best_epoch": 30, "epochs": 30,
               "final_train_accuracy": 0.95, "final_dev_accuracy": max(dev)} | top
    return _result("hw2526.q2.2a", metrics)


def _pdf_text(markup: str) -> str:
    from pypdf import PdfReader

    pdf = typst.compile((PREAMBLE + markup).encode(), format="pdf")
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_every_required_discussion_is_registered():
    assert set(REQUIRED) <= set(DISCUSSIONS)


@pytest.mark.parametrize("key", REQUIRED)
def test_none_results_say_not_run(key):
    for results in ({}, {k: None for k in ("hw2526.q2.2a", "hw2526.q2.3a", "hw2122.q2.2a", "hw2122.q2.2b")}):
        text = DISCUSSIONS[key](results)
        assert "not run" in text
        _pdf_text(text)


def test_width_increasing_with_diminishing_returns():
    res = _width_run([0.80, 0.84, 0.86, 0.87, 0.875], [0.85, 0.90, 0.94, 0.96, 0.97])
    text = DISCUSSIONS["hw2526.q2.2a"]({"hw2526.q2.2a": res})
    assert "80.0% at width 16" in text and "87.5% at width 256" in text
    assert "rises monotonically" in text and "The best width is 256" in text
    assert "diminishing returns" in text and "0.5 points" in text and "4.0 points" in text
    train = DISCUSSIONS["hw2526.q2.2c"]({"hw2526.q2.2a": res})
    assert "85.0% at width 16" in train and "97.0% at width 256" in train
    assert "did consistently improve" in train and "(width 256) is still 3.0 points short of 100%" in train
    assert "It appears to: the gains shrink (5.0 points for the first step, 1.0 point for the last)" in train
    assert "Universal Approximation Theorem" in train


def test_width_not_monotone():
    res = _width_run([0.80, 0.85, 0.83, 0.84, 0.82], [0.85, 0.93, 0.91, 0.95, 0.92])
    text = DISCUSSIONS["hw2526.q2.2a"]({"hw2526.q2.2a": res})
    assert "does not change monotonically" in text and "maximum, 85.0%, at width 32" in text
    assert "rises monotonically" not in text and "The best width is 32" in text
    train = DISCUSSIONS["hw2526.q2.2c"]({"hw2526.q2.2a": res})
    assert "did not consistently improve" in train and "maximum, 95.0%, at width 128" in train
    assert "use dropout or weight decay" not in train  # the fabricated configs have neither
    res.metrics["per_width"]["32"]["config"] = {"lr": 0.01, "dropout": 0.3, "l2": 0.0}
    res.metrics["per_width"]["128"]["config"] = {"lr": 0.01, "dropout": 0.0, "l2": 1e-4}
    train = DISCUSSIONS["hw2526.q2.2c"]({"hw2526.q2.2a": res})
    assert "the selected models at widths 32, 128 use dropout or weight decay" in train


def test_width_flat():
    res = _width_run([0.850, 0.852, 0.851, 0.853, 0.852], [0.9] * 5)
    text = DISCUSSIONS["hw2526.q2.2a"]({"hw2526.q2.2a": res})
    assert "essentially flat" in text and "barely matters" in text
    full = _width_run([0.850, 0.852, 0.851, 0.853, 0.852], [0.996, 0.997, 0.998, 0.999, 1.0])
    train = DISCUSSIONS["hw2526.q2.2c"]({"hw2526.q2.2a": full})
    assert "little difference" in train and "already (nearly) interpolates" in train


def test_best_model_still_improving_and_generalising():
    res = _width_run([0.80, 0.84, 0.86, 0.87, 0.875], [0.85] * 5, final_train_accuracy=0.89,
                     final_dev_accuracy=0.875, best_history={"train_loss": [2.0, 1.5, 1.2, 1.0, 0.9, 0.8,
                                                                            0.7]})
    text = DISCUSSIONS["hw2526.q2.2b"]({"hw2526.q2.2a": res})
    assert "width 256" in text and "87.5% validation accuracy" in text
    assert "highest at the last epoch (30 of 30)" in text and "more epochs might still help" in text
    assert "still falling" in text
    assert "Reading: the model under-fits" in text  # train 89.0% vs dev 87.5%: close, both below 90%
    assert "no sign of over-fitting" not in text and "over-fits" not in text  # one reading
    assert "Its test accuracy is 87.1%" in text and "generalises as validation predicted" in text


def test_best_model_overfitting():
    res = _width_run([0.80, 0.84, 0.86, 0.87, 0.875], [0.99] * 5, best_epoch=12, final_dev_accuracy=0.845,
                     final_train_accuracy=0.99, test_accuracy_best=0.85,
                     best_history={"train_loss": [0.5, 0.2, 0.0490, 0.0489, 0.0489, 0.0488, 0.0488, 0.0487]})
    text = DISCUSSIONS["hw2526.q2.2b"]({"hw2526.q2.2a": res})
    assert "peaked at epoch 12 of 30 and then fell by 3.0 points to 84.5%" in text
    assert "validation accuracy fell after epoch 12" in text and "no sign of over-fitting" not in text
    assert "gap of 14.5 points" in text and "over-fits the training data" in text
    assert "flattened" in text
    assert "2.5 points below the best validation accuracy" in text


def test_best_model_plateau_is_not_called_overfitting():
    res = _width_run([0.80, 0.84, 0.86, 0.87, 0.91], [0.9] * 5, best_epoch=20, final_dev_accuracy=0.905,
                     final_train_accuracy=0.915)
    text = DISCUSSIONS["hw2526.q2.2b"]({"hw2526.q2.2a": res})
    assert "stayed within 0.5 points of that" in text and "over-fits" not in text
    assert "final training accuracy 91.5% against validation 90.5%, a gap of 1.0 point" in text
    assert "Reading: no sign of over-fitting" in text


def _depth_run(dev, train) -> ExperimentResult:
    depths = (1, 3, 5, 7, 9)
    best = depths[max(range(5), key=dev.__getitem__)]
    return _result("hw2526.q2.3a", {"per_depth": _per(depths, dev, train), "best_depth": best,
                                    "best_dev_accuracy": max(dev), "test_accuracy_best": max(dev),
                                    "best_epoch": 25, "epochs": 30})


def test_depth_decreasing():
    res = _depth_run([0.86, 0.85, 0.83, 0.80, 0.70], [0.92, 0.90, 0.86, 0.81, 0.69])
    a = DISCUSSIONS["hw2526.q2.3a"]({"hw2526.q2.3a": res})
    assert "falls monotonically" in a and "86.0% at depth 1" in a and "70.0% at depth 9" in a
    assert "Every added layer lowers validation accuracy" in a
    c = DISCUSSIONS["hw2526.q2.3c"]({"hw2526.q2.3a": res})
    assert "Deeper networks fit the training data worse: 23.0 points less at depth 9" in c
    b = DISCUSSIONS["hw2526.q2.3b"]({"hw2526.q2.3a": res})
    assert "depth 1" in b and "peaked at epoch 25 of 30" in b


def test_depth_increasing():
    res = _depth_run([0.84, 0.85, 0.86, 0.865, 0.87], [0.88, 0.90, 0.93, 0.95, 0.96])
    a = DISCUSSIONS["hw2526.q2.3a"]({"hw2526.q2.3a": res})
    assert "rises monotonically" in a and "The best depth is 9" in a
    c = DISCUSSIONS["hw2526.q2.3c"]({"hw2526.q2.3a": res})
    assert "Deeper networks fit the training data better: 8.0 points more at depth 9" in c


def _regression(exp_id, train, test, best_test, **extra) -> ExperimentResult:
    return _result(exp_id, {"train_rmse": train, "test_rmse": test, "best_test_rmse": best_test,
                            "epochs": 150, "best_epoch": 150} | extra)


def _linear(train=0.10, test=0.16, best_test=0.14, a_train=0.09, a_test=0.20, d0=10.0, d1=1.0):
    return _regression("hw2122.q2.2a", train, test, best_test, analytic_train_rmse=a_train,
                       analytic_test_rmse=a_test, initial_distance_to_analytic=d0,
                       final_distance_to_analytic=d1)


def test_linear_regression_gap_overfitting():
    text = DISCUSSIONS["hw2122.q2.2a"]({"hw2122.q2.2a": _linear()})
    assert "training RMSE is 0.1 and the test RMSE 0.16, a gap of 0.06" in text
    assert "reached its minimum, 0.14, before the last epoch" in text and "stopped improving" in text
    assert "training RMSE 0.09, the floor" in text and "0.01 above that floor" in text
    assert "do worse on the test set than the SGD weights (0.2 against 0.16)" in text
    assert "went from 10 to 1 (10.0% of the initial distance)" in text
    assert "directions in which the training features hardly vary" not in text


def test_linear_regression_no_overfitting():
    text = DISCUSSIONS["hw2122.q2.2a"]({"hw2122.q2.2a": _linear(test=0.14, best_test=0.14, a_test=0.13,
                                                                  d1=5.0)})
    assert "at (or within 0.5% of) its minimum" in text and "stopped improving" not in text
    assert "at least as well on the test set" in text
    assert "directions in which the training features hardly vary" in text


def test_network_vs_linear():
    net = _regression("hw2122.q2.2b", 0.05, 0.18, 0.15)
    text = DISCUSSIONS["hw2122.q2.2b"]({"hw2122.q2.2b": net, "hw2122.q2.2a": _linear()})
    assert "network's training RMSE is 0.05 and its test RMSE 0.18, a gap of 0.13" in text
    assert "fits the training set more closely than the linear model (0.05 against 0.1)" in text
    assert "does not predict the test set better (0.18 against 0.16)" in text
    assert "gap is larger (0.13 against 0.06)" in text and "over-fits more" in text
    better = _regression("hw2122.q2.2b", 0.09, 0.13, 0.13)
    text = DISCUSSIONS["hw2122.q2.2b"]({"hw2122.q2.2b": better, "hw2122.q2.2a": _linear()})
    assert "also predicts the test set better (0.13 against 0.16)" in text and "not larger" in text
    alone = DISCUSSIONS["hw2122.q2.2b"]({"hw2122.q2.2b": net, "hw2122.q2.2a": None})
    assert "0.05" in alone and "not run" in alone and "cannot be compared" in alone


def test_missing_metrics_are_reported_not_raised():
    bare = {"hw2526.q2.2a": _result("hw2526.q2.2a", {}), "hw2526.q2.3a": _result("hw2526.q2.3a", {}),
            "hw2122.q2.2a": _result("hw2122.q2.2a", {}), "hw2122.q2.2b": _result("hw2122.q2.2b", {})}
    for key in REQUIRED:
        assert "has no" in DISCUSSIONS[key](bare)


def test_quick_results_are_flagged():
    res = _width_run([0.80, 0.84, 0.86, 0.87, 0.875], [0.85] * 5)
    res.quick = True
    assert "quick run" in DISCUSSIONS["hw2526.q2.2a"]({"hw2526.q2.2a": res})


def test_discussions_compile_and_escape_interpolated_text():
    res = _width_run([0.80, 0.84, 0.86, 0.87, 0.875], [0.85] * 5,
                     best_config={"opt": "adam_w", "note": "#let $x$ *y* [z] <l> @r"})
    markup = DISCUSSIONS["hw2526.q2.2b"]({"hw2526.q2.2a": res})
    text = _pdf_text(markup)
    assert "adam_w" in text and "#let $x$ *y* [z] <l> @r" in text
    for key in REQUIRED:
        results = {"hw2526.q2.2a": res, "hw2526.q2.3a": _depth_run([0.8, 0.7, 0.6, 0.5, 0.4], [0.9] * 5),
                   "hw2122.q2.2a": _linear(), "hw2122.q2.2b": _regression("hw2122.q2.2b", 0.05, 0.18, 0.15)}
        _pdf_text(DISCUSSIONS[key](results))


def test_esc_makes_every_special_character_literal():
    raw = "\\ # $ * _ ` < > @ [ ] ~ / = - + ' \" end"
    assert _pdf_text(escape(raw)).split() == raw.split()


def test_trend_kinds():
    assert trend([(1, 0.1), (2, 0.2)], "x", "w").kind == "increasing"
    assert trend([(1, 0.3), (2, 0.2)], "x", "w").kind == "decreasing"
    assert trend([(1, 0.3), (2, 0.302)], "x", "w").kind == "flat"
    t = trend([(1, 0.1), (2, 0.3), (3, 0.2)], "x", "w")
    assert t.kind == "mixed" and t.argmax == 2


def _collapsed_network(**extra) -> ExperimentResult:
    study = {"train_target_std": 0.4080, "active_hidden_fraction_train": 3e-5, "headline_seed": 0,
             "seeds": [0, 1, 2, 3, 42], "test_rmse_median": 0.233, "test_rmse_min": 0.174,
             "test_rmse_max": 18.85, "collapsed_runs": 1, "collapsed_seeds": [0],
             "train_rmse_median_healthy": 0.05, "test_rmse_median_healthy": 0.2}
    return _regression("hw2122.q2.2b", 0.4078, 18.85, 0.5, **(study | extra))


def test_collapsed_network_is_called_collapsed_not_overfitting():
    """The issue's seed-0 numbers: training RMSE = the targets' spread, 0.003% active units."""
    text = DISCUSSIONS["hw2122.q2.2b"]({"hw2122.q2.2b": _collapsed_network(), "hw2122.q2.2a": _linear()})
    assert "(headline seed 0)" in text and "collapsed into a constant predictor" in text
    assert "training RMSE 0.4078 is 99.95% of the training targets' standard deviation 0.408" in text
    assert "only 0.003% of the (training example, hidden unit) pairs" in text
    assert "N(0.1, 0.1²)" in text and "learning rate 0.001" in text
    assert "1 of 5 runs collapsed (seed 0)" in text and "median 0.233" in text
    assert "from 0.174 to 18.85" in text
    assert "median over the 4 seeds whose network trained (training RMSE 0.05, test RMSE 0.2)" in text
    assert "The median network fits the training set more closely" in text
    # the headline network's 18.44 gap is never read as over-fitting
    assert "gap is larger (18.44" not in text
    _pdf_text(text)


def test_collapse_needs_one_sign_and_healthy_networks_are_not_flagged():
    one_sign = _regression("hw2122.q2.2b", 0.30, 0.35, 0.3, train_target_std=0.4080,
                           active_hidden_fraction_train=0.004)
    assert "collapsed" in DISCUSSIONS["hw2122.q2.2b"]({"hw2122.q2.2b": one_sign, "hw2122.q2.2a": _linear()})
    healthy = _regression("hw2122.q2.2b", 0.05, 0.18, 0.15, train_target_std=0.4080,
                          active_hidden_fraction_train=0.4)
    text = DISCUSSIONS["hw2122.q2.2b"]({"hw2122.q2.2b": healthy, "hw2122.q2.2a": _linear()})
    assert "collapsed" not in text and "over-fits more" in text


def test_every_seed_collapsed_gives_no_comparison():
    net = _collapsed_network(train_rmse_median_healthy=float("nan"), test_rmse_median_healthy=float("nan"))
    text = DISCUSSIONS["hw2122.q2.2b"]({"hw2122.q2.2b": net, "hw2122.q2.2a": _linear()})
    assert "No seed gave a network that trained" in text and "over-fits more" not in text


def test_width_convergence_question_is_always_answered():
    q = "Is the training accuracy converging to a value as the width grows?"
    for train in ([0.80, 0.85, 0.88, 0.89, 0.895], [0.80, 0.82, 0.84, 0.86, 0.88],
                  [0.90, 0.85, 0.95, 0.80, 0.91], [0.9, 0.901, 0.902, 0.9, 0.901], [0.9, 0.95, 0.97, 0.99,
                                                                                    1.0]):
        text = DISCUSSIONS["hw2526.q2.2c"]({"hw2526.q2.2a": _width_run([0.8] * 5, train)})
        assert q in text

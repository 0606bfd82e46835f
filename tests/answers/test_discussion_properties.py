"""Property tests of the generated discussions: many fabricated result records (Hypothesis),
every discussion rendered, and (1) no two contradictory readings in one discussion, (2) every
number a sentence quotes comes from the record (the number itself, a difference or a ratio of two
of its numbers, in the templates' formats) or is one of the templates' stated constants, and
(3) the headline numbers are quoted exactly."""

from __future__ import annotations

import contextlib
import math
import re
from itertools import permutations

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dlhw.answers.discussions import DISCUSSIONS
from dlhw.results import ExperimentResult

# Readings that must never appear together in one discussion.
CONTRADICTIONS = [
    ("no sign of over-fitting", "over-fits"),
    ("no sign of over-fitting", "under-fits"),
    ("no sign of over-fitting", "mild over-fitting at most"),
    ("under-fits", "over-fits"),
    ("mild over-fitting at most", "over-fits"),
    ("essentially converged", "not fully converged"),
    ("essentially converged", "not clearly converged"),
    ("generalises as validation predicted", "optimistic estimate"),
    ("collapsed into a constant predictor", "it over-fits"),  # the collapsed network itself
    ("over-fits more", "did not translate into more over-fitting"),
    ("also predicts the test set better", "does not predict the test set better"),
    ("fits the training set more closely than", "does not fit the training set more closely than"),
    ("rises monotonically", "falls monotonically"),
    ("Wider layers help", "barely matters"),
]
CONVERGENCE_ANSWERS = ("Yes, to "
                       "100%", "It appears to", "Not visibly", "Not in the measured series", "cannot show it",
                       "already levelled off")
# Numbers the templates state themselves (thresholds, the text's settings, a citation).
CONSTANTS = {"0", "1", "2", "5", "84", "90", "95", "100", "0.5", "0.1", "0.001", "2017", "32"}
NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")

acc = st.integers(0, 10000).map(lambda i: i / 10000)
rmse = st.integers(1, 100000).map(lambda i: i / 10000)


def _numbers(obj) -> list[float]:
    """Every number in a record's metrics (nested dicts and lists, numeric keys too)."""
    out: list[float] = []
    if isinstance(obj, bool):
        return out
    if isinstance(obj, (int, float)):
        return [float(obj)] if math.isfinite(obj) else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            with contextlib.suppress(ValueError):
                out.append(float(k))
            out += _numbers(v)
    if isinstance(obj, list):
        out.append(float(len(obj)))  # "over 3 seeds"
        for v in obj:
            out += _numbers(v)
    return out


def _formats(v: float) -> set[str]:
    out = {f"{v:.4g}", f"{abs(v):.4g}", f"{100 * v:.1f}", f"{100 * abs(v):.1f}", f"{100 * v:.2f}",
           f"{100 * v:.3g}", f"{v:.4g}".lstrip("-")}
    if float(v).is_integer():
        out.add(str(int(abs(v))))
    return out


def _allowed(records: list[ExperimentResult]) -> set[str]:
    values = sorted({1.0, *(x for r in records for x in _numbers(r.metrics))})  # 1: 100%
    allowed = set(CONSTANTS)
    for v in values:
        allowed |= _formats(v)
    for a, b in permutations(values, 2):
        allowed |= _formats(a - b)
        if b:
            allowed |= _formats(a / b) | _formats((b - a) / b)
    return allowed


def _check(text: str, allowed: set[str]) -> None:
    for a, b in CONTRADICTIONS:
        assert not (a in text and b in text), f"{a!r} and {b!r} together in: {text}"
    for token in NUMBER.findall(text.replace("\\", "")):  # Typst escapes (0\.001) removed
        assert token in allowed, f"{token} quoted but not in the record: {text}"


def _result(exp_id: str, metrics: dict, seed: int = 0) -> ExperimentResult:
    return ExperimentResult(experiment=exp_id, title=exp_id, dataset="fashion-mnist", seed=seed,
                            metrics=metrics, key_metric="test_accuracy_best")


@st.composite
def sweep(draw, exp_id: str, axis: str, values: tuple[int, ...]):
    xs = sorted(draw(st.sets(st.sampled_from(values), min_size=1, max_size=len(values))))
    per = {str(x): {"best_dev_accuracy": draw(acc), "final_train_accuracy": draw(acc),
                    "config": {"lr": draw(st.sampled_from([0.001, 0.01])),
                               "dropout": draw(st.sampled_from([0.0, 0.3]))}} for x in xs}
    best = max(xs, key=lambda x: per[str(x)]["best_dev_accuracy"])
    epochs = draw(st.integers(1, 40))
    loss = draw(st.lists(st.integers(1, 30000).map(lambda i: i / 10000), max_size=12))
    metrics = {f"per_{axis}": per, f"best_{axis}": best,
               "best_dev_accuracy": per[str(best)]["best_dev_accuracy"],
               "best_config": {axis: best, "lr": 0.001, "optimizer": "adam"},
               "test_accuracy_best": draw(acc), "best_epoch": draw(st.integers(1, epochs)),
               "epochs": epochs, "final_train_accuracy": draw(acc), "final_dev_accuracy": draw(acc),
               "best_history": {"train_loss": loss}}
    return _result(exp_id, metrics)


@st.composite
def regressions(draw):
    def rec(exp_id, extra):
        return _result(exp_id, {"train_rmse": draw(rmse), "test_rmse": draw(rmse),
                                "best_test_rmse": draw(rmse),
                                "epochs": 150, "best_epoch": 150, **extra})

    seeds = sorted(draw(st.sets(st.sampled_from([0, 1, 2, 3, 42]), min_size=1, max_size=5)))
    study = {"headline_seed": seeds[0], "seeds": seeds, "test_rmse_median": draw(rmse),
             "test_rmse_min": draw(rmse), "test_rmse_max": draw(rmse)}
    linear = rec("hw2122.q2.2a", {**study, "analytic_train_rmse": draw(rmse),
                                  "analytic_test_rmse": draw(rmse),
                                  "initial_distance_to_analytic": draw(rmse) * 10,
                                  "final_distance_to_analytic": draw(rmse)})
    bad = draw(st.integers(0, len(seeds)))
    net = rec("hw2122.q2.2b", {**study, "train_target_std": draw(rmse),
                               "active_hidden_fraction_train": draw(st.sampled_from([0.0, 3e-5, 0.004, 0.2,
                                                                                     0.6])),
                               "collapsed_runs": bad, "collapsed_seeds": seeds[:bad],
                               "train_rmse_median_healthy": draw(rmse) if bad < len(seeds) else float("nan"),
                               "test_rmse_median_healthy": draw(rmse) if bad < len(seeds) else float("nan")})
    return linear, net


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    phases=(Phase.explicit, Phase.reuse, Phase.generate))  # no shrinking: keeps it fast


@SETTINGS
@given(width=sweep("hw2526.q2.2a", "width", (16, 32, 64, 128, 256)),
       depth=sweep("hw2526.q2.3a", "depth", (1, 3, 5, 7, 9)), reg=regressions())
def test_every_discussion_reads_one_way_and_quotes_only_the_record(width, depth, reg):
    linear, net = reg
    results = {"hw2526.q2.2a": width, "hw2526.q2.3a": depth, "hw2122.q2.2a": linear, "hw2122.q2.2b": net}
    allowed = {"width": _allowed([width]), "depth": _allowed([depth]), "ames": _allowed([linear, net])}
    for key, discuss in DISCUSSIONS.items():
        source = {"hw2526.q2.2": "width", "hw2526.q2.3": "depth"}.get(key[:-1], "ames")
        _check(discuss(results), allowed[source])
    for key, res in (("hw2526.q2.2b", width), ("hw2526.q2.3b", depth)):
        text = DISCUSSIONS[key](results)
        assert f"Its test accuracy is {100 * res.metrics['test_accuracy_best']:.1f}%" in text
    c = DISCUSSIONS["hw2526.q2.2c"](results)
    assert "Is the training accuracy converging to a value as the width grows?" in c
    assert sum(a in c for a in CONVERGENCE_ANSWERS) == 1
    b = DISCUSSIONS["hw2122.q2.2b"](results)
    assert f"training RMSE is {net.metrics['train_rmse']:.4g} " in b
    assert f"{len(net.metrics['seeds'])} seeds" in b or len(net.metrics["seeds"]) < 2

"""The discussions of hw2122.q2.2a (train/test gap of linear regression) and q2.2b (network vs linear).

Metrics read (docs/results.md): ``train_rmse``, ``test_rmse`` (last epoch), ``best_test_rmse``,
``epochs``, and for q2.2a ``analytic_train_rmse``, ``analytic_test_rmse``,
``initial_distance_to_analytic``, ``final_distance_to_analytic``. A test RMSE more than
``ROSE`` (0.5%) above its minimum "rose after its minimum".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dlhw.answers._prose import is_number, missing, not_run, num, quick_note
from dlhw.markup import escape

LINEAR, NETWORK = "hw2122.q2.2a", "hw2122.q2.2b"
ROSE = 0.005
BASE_KEYS = ("train_rmse", "test_rmse")
LINEAR_KEYS = BASE_KEYS + ("analytic_train_rmse", "analytic_test_rmse", "initial_distance_to_analytic",
                           "final_distance_to_analytic")


def _numbers(res: Any, keys: tuple[str, ...]) -> dict[str, float] | None:
    m = res.metrics
    return {k: float(m[k]) for k in keys} if all(is_number(m.get(k)) for k in keys) else None


def _epochs(res: Any) -> str:
    e = res.metrics.get("epochs")
    return f"{int(e)} epochs" if is_number(e) else "training"


def _test_path(res: Any) -> str:
    """How the test RMSE ended relative to its minimum over the epochs ("" when unknown)."""
    m = res.metrics
    best, last = m.get("best_test_rmse"), m.get("test_rmse")
    if not (is_number(best) and is_number(last)):
        return ""
    if last > best * (1 + ROSE):
        return (f"The test RMSE reached its minimum, {num(best)}, before the last epoch and ended "
                f"{num(last - best)} above it: the test error stopped improving while training went on.")
    return f"The test RMSE was at (or within 0.5% of) its minimum, {num(best)}, at the last epoch."


def linear_gap(results: Mapping[str, Any]) -> str:
    """hw2122.q2.2a: the numbers behind the train/test gap of SGD linear regression."""
    res = results.get(LINEAR)
    if res is None:
        return not_run(LINEAR, "the train/test gap of linear regression")
    n = _numbers(res, LINEAR_KEYS)
    if n is None:
        return missing(LINEAR, ", ".join(LINEAR_KEYS), "the train/test gap")
    out = [f"After {_epochs(res)} of SGD the training RMSE is {num(n['train_rmse'])} and the test RMSE "
           f"{num(n['test_rmse'])}, a gap of {num(n['test_rmse'] - n['train_rmse'])}.{quick_note(res)}",
           _floor(n), _test_path(res), _analytic_vs_sgd(n), _distance(n)]
    return " ".join(p for p in out if p)


def _floor(n: dict[str, float]) -> str:
    excess = n["train_rmse"] - n["analytic_train_rmse"]
    head = (f"The analytic solution has training RMSE {num(n['analytic_train_rmse'])}, the floor for any "
            f"linear model on this training set, and test RMSE {num(n['analytic_test_rmse'])}.")
    if excess > 1e-9 * max(1.0, n["analytic_train_rmse"]):
        return head + f" SGD's training RMSE is {num(excess)} above that floor."
    return head + " SGD's training RMSE has reached that floor (up to rounding)."


def _analytic_vs_sgd(n: dict[str, float]) -> str:
    if n["analytic_test_rmse"] > n["test_rmse"]:
        return (f"The closed-form weights, which fit the training set best, do worse on the test set "
                f"than the SGD weights ({num(n['analytic_test_rmse'])} against {num(n['test_rmse'])}): "
                f"fitting the training set more closely hurts on new houses, and SGD's incomplete "
                f"convergence acts as a regulariser.")
    return (f"The closed-form weights also do at least as well on the test set as the SGD weights "
            f"({num(n['analytic_test_rmse'])} against {num(n['test_rmse'])}), so on this split getting "
            f"closer to the least-squares solution did not hurt on test data.")


def _distance(n: dict[str, float]) -> str:
    d0, d1 = n["initial_distance_to_analytic"], n["final_distance_to_analytic"]
    if d0 <= 0:
        return f"The final distance to the analytic weights is {num(d1)}."
    ratio = d1 / d0
    text = (f"The distance of the SGD weights to the analytic solution went from {num(d0)} to {num(d1)} "
            f"({100 * ratio:.1f}% of the initial distance).")
    if ratio > 0.2:
        text += (" Even where that distance stays large, the training error can be close to its floor: "
                 "by the identity above, only the distance weighted by the feature covariance counts, so "
                 "directions in which the training features hardly vary cost almost nothing.")
    return text


def network_vs_linear(results: Mapping[str, Any]) -> str:
    """hw2122.q2.2b: the network's train/test gap compared with the linear model's."""
    net = results.get(NETWORK)
    if net is None:
        return not_run(NETWORK, "the neural regressor")
    nn = _numbers(net, BASE_KEYS)
    if nn is None:
        return missing(NETWORK, ", ".join(BASE_KEYS), "the neural regressor")
    gap_n = nn["test_rmse"] - nn["train_rmse"]
    out = [f"After {_epochs(net)} the network's training RMSE is {num(nn['train_rmse'])} and its test RMSE "
           f"{num(nn['test_rmse'])}, a gap of {num(gap_n)}.{quick_note(net)}", _test_path(net)]
    lin = results.get(LINEAR)
    ln = _numbers(lin, BASE_KEYS) if lin is not None else None
    if ln is None:
        why = "was not run" if lin is None else "has no train_rmse and test_rmse"
        out.append(f"The linear model ({escape(LINEAR)}) {why}, so the two cannot be compared.")
        return " ".join(p for p in out if p)
    out.append(_compare(nn, ln))
    return " ".join(p for p in out if p)


def _compare(nn: dict[str, float], ln: dict[str, float]) -> str:
    gap_n, gap_l = nn["test_rmse"] - nn["train_rmse"], ln["test_rmse"] - ln["train_rmse"]
    fit = ("fits the training set more closely than" if nn["train_rmse"] < ln["train_rmse"]
           else "does not fit the training set more closely than")
    text = (f"The linear model has training RMSE {num(ln['train_rmse'])} and test RMSE {num(ln['test_rmse'])} "
            f"(gap {num(gap_l)}). The network {fit} the linear model ({num(nn['train_rmse'])} against "
            f"{num(ln['train_rmse'])}), ")
    text += ("and also predicts the test set better" if nn["test_rmse"] < ln["test_rmse"]
             else "but does not predict the test set better")
    text += f" ({num(nn['test_rmse'])} against {num(ln['test_rmse'])}). "
    if gap_n > gap_l:
        text += (f"Its train/test gap is larger ({num(gap_n)} against {num(gap_l)}): with many more "
                 f"parameters it memorises more of the training sample, so it over-fits more than the "
                 f"linear model.")
    else:
        text += (f"Its train/test gap is not larger ({num(gap_n)} against {num(gap_l)}): its extra "
                 f"capacity did not translate into more over-fitting here.")
    return text

"""The discussions of hw2122.q2.2a (train/test gap of linear regression) and q2.2b (network vs linear).

Metrics read (docs/results.md): ``train_rmse``, ``test_rmse`` (last epoch), ``best_test_rmse``,
``epochs``, and for q2.2a ``analytic_train_rmse``, ``analytic_test_rmse``,
``initial_distance_to_analytic``, ``final_distance_to_analytic``. A test RMSE more than
``ROSE`` (0.5%) above its minimum "rose after its minimum".

The multi-seed study (``per_seed``, ``seeds``, ``headline_seed``, ``test_rmse_median``,
``test_rmse_min``, ``test_rmse_max``; the network also ``collapsed_runs``, ``collapsed_seeds``,
``*_median_healthy``) is summarised in one sentence. The network at the headline seed is called
collapsed when :func:`dlhw.training.collapse.collapse_signs` finds a sign in its stored numbers
(``train_rmse`` against ``train_target_std``, ``active_hidden_fraction_train``); a collapsed
network is described as such, with its cause, and never read as over-fitting: the comparison with
the linear model then uses the median of the seeds that trained, or is not made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dlhw.answers._prose import is_number, missing, not_run, num, quick_note
from dlhw.markup import escape
from dlhw.training.collapse import MIN_ACTIVE, RMSE_RATIO, collapse_signs

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
    out = [f"After {_epochs(res)} of SGD{_at_seed(res)} the training RMSE is {num(n['train_rmse'])} and "
           f"the test RMSE {num(n['test_rmse'])}, a gap of {num(n['test_rmse'] - n['train_rmse'])}."
           f"{quick_note(res)}", _floor(n), _test_path(res), _analytic_vs_sgd(n), _distance(n),
           _seeds(res, "linear model")]
    return " ".join(p for p in out if p)


def _at_seed(res: Any) -> str:
    """" (headline seed 0)" when the record states its headline seed."""
    s = res.metrics.get("headline_seed")
    return f" (headline seed {int(s)})" if is_number(s) else ""


def _seeds(res: Any, what: str) -> str:
    """One sentence on the multi-seed study of ``res`` ("" when it has none)."""
    m = res.metrics
    seeds = m.get("seeds")
    keys = ("test_rmse_median", "test_rmse_min", "test_rmse_max")
    if not isinstance(seeds, list) or len(seeds) < 2 or not all(is_number(m.get(k)) for k in keys):
        return ""
    listed = ", ".join(str(int(s)) for s in seeds)
    text = (f"Over {len(seeds)} seeds ({listed}) the {what}'s final test RMSE has median "
            f"{num(m['test_rmse_median'])} and ranges from {num(m['test_rmse_min'])} to "
            f"{num(m['test_rmse_max'])} (the seeds table lists each).")
    k = m.get("collapsed_runs")
    if is_number(k):
        bad = m.get("collapsed_seeds") or []
        which = f" (seed{'s' * (len(bad) > 1)} {', '.join(str(int(s)) for s in bad)})" if bad else ""
        text += f" {int(k)} of {len(seeds)} runs collapsed{which}."
    return text


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
    out = [f"After {_epochs(net)}{_at_seed(net)} the network's training RMSE is {num(nn['train_rmse'])} "
           f"and its test RMSE {num(nn['test_rmse'])}, a gap of {num(gap_n)}.{quick_note(net)}"]
    collapsed = _collapse(net)
    if collapsed:
        out.append(collapsed)
    else:
        out.append(_test_path(net))
    out.append(_seeds(net, "network"))
    lin = results.get(LINEAR)
    ln = _numbers(lin, BASE_KEYS) if lin is not None else None
    if ln is None:
        why = "was not run" if lin is None else "has no train_rmse and test_rmse"
        out.append(f"The linear model ({escape(LINEAR)}) {why}, so the two cannot be compared.")
        return " ".join(p for p in out if p)
    if not collapsed:
        out.append(_compare(nn, ln))
        return " ".join(p for p in out if p)
    m = net.metrics
    healthy = {"train_rmse": m.get("train_rmse_median_healthy"),
               "test_rmse": m.get("test_rmse_median_healthy")}
    if all(is_number(v) for v in healthy.values()):
        n_ok = len(m.get("seeds") or []) - int(m.get("collapsed_runs") or 0)
        whose = (f"the {n_ok} seeds whose network trained" if n_ok != 1
                 else "the one seed whose network trained")
        out.append(f"A collapsed network says nothing about over-fitting, so the comparison uses the "
                   f"median over {whose} (training RMSE "
                   f"{num(healthy['train_rmse'])}, test RMSE {num(healthy['test_rmse'])}).")
        out.append(_compare({k: float(v) for k, v in healthy.items()}, ln, "median network"))
    else:
        out.append("No seed gave a network that trained, so its over-fitting cannot be compared with "
                   "the linear model's.")
    return " ".join(p for p in out if p)


def _collapse(net: Any) -> str:
    """The collapse of the headline network, its signs and its cause ("" when it trained)."""
    m = net.metrics
    train, std, active = m.get("train_rmse"), m.get("train_target_std"), m.get("active_hidden_fraction_train")
    signs = collapse_signs(train, std, active)
    if not signs:
        return ""
    said = []
    if "rmse" in signs:
        said.append(f"its training RMSE {num(train)} is {100 * train / std:.2f}% of the training targets' "
                    f"standard deviation {num(std)}, the RMSE of predicting their mean for every house "
                    f"(at least {100 * RMSE_RATIO:.0f}% counts as collapse)")
    if "active" in signs:
        said.append(f"only {100 * active:.3g}% of the (training example, hidden unit) pairs have an active "
                    f"ReLU (below {100 * MIN_ACTIVE:.0f}% counts as collapse)")
    return ("This network collapsed into a constant predictor: " + "; ".join(said) + ". The cause is the "
            "text's initialisation with the text's step: every weight is drawn from N(0.1, 0.1²), whose "
            "mean is one standard deviation above zero, so 84% of the weights are positive and each "
            "hidden unit's input sums hundreds of mostly positive terms. "
            "The initial predictions are therefore far from the targets, and the first updates at "
            "learning rate 0.001, proportional to those errors, push the hidden units' inputs below zero "
            "for every house. A ReLU with a negative input passes no gradient, so the dead units never "
            "recover and only the output bias keeps learning. Its train/test gap measures this failure, "
            "not over-fitting.")


def _compare(nn: dict[str, float], ln: dict[str, float], who: str = "network") -> str:
    gap_n, gap_l = nn["test_rmse"] - nn["train_rmse"], ln["test_rmse"] - ln["train_rmse"]
    fit = ("fits the training set more closely than" if nn["train_rmse"] < ln["train_rmse"]
           else "does not fit the training set more closely than")
    text = (f"The linear model has training RMSE {num(ln['train_rmse'])} and test RMSE "
            f"{num(ln['test_rmse'])} "
            f"(gap {num(gap_l)}). The {who} {fit} the linear model ({num(nn['train_rmse'])} against "
            f"{num(ln['train_rmse'])}), ")
    text += ("and also predicts the test set better" if nn["test_rmse"] < ln["test_rmse"]
             else "but does not predict the test set better")
    text += f" ({num(nn['test_rmse'])} against {num(ln['test_rmse'])}). "
    if gap_n > gap_l and nn["train_rmse"] < ln["train_rmse"]:
        subject = "it over-fits" if who == "network" else "the networks that trained over-fit"
        text += (f"Its train/test gap is larger ({num(gap_n)} against {num(gap_l)}): with many more "
                 f"parameters it fits more of the training sample's noise, so {subject} more than the "
                 f"linear model.")
    elif gap_n > gap_l:
        text += (f"Its train/test gap is larger ({num(gap_n)} against {num(gap_l)}), although it does not "
                 f"fit the training set better: it generalises worse without fitting more, which is a "
                 f"poorer fit rather than over-fitting.")
    else:
        text += (f"Its train/test gap is not larger ({num(gap_n)} against {num(gap_l)}): its extra "
                 f"capacity did not translate into more over-fitting here.")
    return text

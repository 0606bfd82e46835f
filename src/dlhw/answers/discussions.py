"""Discussion answers whose conclusions depend on the measured numbers: templates over the results.

``DISCUSSIONS[mission_id](results) -> str`` returns Typst markup, where ``results`` maps every
experiment id to its stored :class:`~dlhw.results.ExperimentResult` (None when not run). Each
template reads the metrics of ``docs/results.md``, decides from the numbers what they show
(monotone or not, the train/validation gap, whether the best epoch is the last) and says so; a
missing result gives a sentence saying the experiment was "not run". Thresholds, stated here
so the wording is predictable: a spread below 0.5 points is "flat" (``_prose.FLAT_SPREAD``); a
validation drop after the best epoch above 1 point is over-fitting; a final train/validation gap
above 5 points is large, below 2 small; a training loss that fell less than 2% over the last five
epochs has flattened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dlhw.answers import _regression
from dlhw.answers._prose import (
    config_text,
    is_number,
    listing,
    missing,
    not_run,
    pct,
    pts,
    quick_note,
    series,
    trend,
)
from dlhw.results import ExperimentResult

Results = Mapping[str, "ExperimentResult | None"]
Discussion = Callable[[Results], str]

WIDTH_RUN, DEPTH_RUN = "hw2526.q2.2a", "hw2526.q2.3a"
OVERFIT_DROP, LARGE_GAP, SMALL_GAP, FLAT_LOSS = 0.01, 0.05, 0.02, 0.02


def _per(result: ExperimentResult, axis: str) -> Any:
    return result.metrics.get(f"per_{axis}")


# --- q2.2a / q2.3a: validation accuracy along the width or the depth ---------------------------
def _validation_vs(axis: str, run: str) -> Discussion:
    def discuss(results: Results) -> str:
        res = results.get(run)
        if res is None:
            return not_run(run, f"the effect of the {axis} on validation accuracy")
        pairs = series(_per(res, axis), "best_dev_accuracy")
        if pairs is None:
            return missing(run, f"per_{axis} best_dev_accuracy", f"the effect of the {axis}")
        t = trend(pairs, "the best validation accuracy", axis)
        text = (f"Best validation accuracy per {axis}: {listing(pairs, axis)}.{quick_note(res)} "
                f"{t.sentence} The best {axis} is {t.argmax}. ")
        return text + _validation_reading(axis, t, pairs)
    return discuss


def _validation_reading(axis: str, t, pairs) -> str:
    if t.kind == "flat":
        return f"In this range the {axis} barely matters for validation accuracy."
    if axis == "width" and t.kind == "increasing":
        shrinking = len(t.gains) > 1 and t.gains[-1] < t.gains[0]
        return ("Wider layers help" + (f", with diminishing returns: the last step ({pairs[-2][0]} to "
                f"{pairs[-1][0]} units) adds {pts(t.gains[-1])}, the first ({pairs[0][0]} to {pairs[1][0]}) "
                f"{pts(t.gains[0])}." if shrinking else ", and the gains do not shrink over this range."))
    if axis == "depth" and t.kind == "decreasing":
        return ("Every added layer lowers validation accuracy: with 32 units per layer and the "
                "hyperparameters tuned for one hidden layer, deeper plain networks are harder to train.")
    if t.kind == "increasing":
        return f"More {axis} helps over the whole range tried."
    if t.kind == "decreasing":
        return f"More {axis} hurts over the whole range tried."
    return (f"Beyond {axis} {t.argmax}, the extra capacity is not turned into better validation "
            f"accuracy with this training budget and regularisation.")


# --- q2.2b / q2.3b: the training dynamics of the best model -------------------------------------
def _best_model(axis: str, run: str) -> Discussion:
    def discuss(results: Results) -> str:
        res = results.get(run)
        if res is None:
            return not_run(run, f"the training dynamics of the best {axis}")
        m = _best_metrics(res, axis)
        need = ("best_dev_accuracy", "test_accuracy_best", "best_epoch", "epochs")
        if not all(is_number(m.get(k)) for k in need):
            return missing(run, ", ".join(need), "the best model")
        cfg = res.metrics.get("best_config")
        cfg = config_text({k: v for k, v in cfg.items() if k != axis} if isinstance(cfg, Mapping) else None)
        head = (f"The best model ({axis} {m['best']}" + (f"; {cfg}" if cfg else "") +
                f") reaches {pct(m['best_dev_accuracy'])} validation accuracy.{quick_note(res)} ")
        parts = [_convergence(m), _fit_reading(m), _test_reading(m)]
        return head + " ".join(p for p in parts if p)
    return discuss


def _best_metrics(res: ExperimentResult, axis: str) -> dict[str, Any]:
    """The best configuration's metrics: its per-axis entry, overridden by the top-level ones."""
    met = res.metrics
    best = met.get(f"best_{axis}")
    per = _per(res, axis)
    entry = per.get(str(best), {}) if isinstance(per, Mapping) else {}
    out = {**(entry if isinstance(entry, Mapping) else {}), **met, "best": best}
    curves = met.get("best_history") or met.get("best_curves")
    if isinstance(curves, Mapping):
        out["train_loss_curve"] = curves.get("train_loss")
    return out


def _convergence(m: Mapping[str, Any]) -> str:
    """Has the training converged? From the training-loss curve (last five epochs) and whether
    validation accuracy was still at its best at the last epoch; one reading."""
    e, n = int(m["best_epoch"]), int(m["epochs"])
    at_end = e >= n
    loss = m.get("train_loss_curve")
    if not isinstance(loss, list) or len(loss) < 6 or not all(is_number(v) for v in loss[-6:]):
        if at_end:
            return (f"Validation accuracy was highest at the last epoch ({e} of {n}): training had not "
                    f"clearly converged, and more epochs might still help.")
        return ""
    before, after = float(loss[-6]), float(loss[-1])
    drop = (before - after) / abs(before) if before else 0.0
    if drop < FLAT_LOSS:
        tail = (f", although validation accuracy was still highest at the last epoch ({e} of {n})"
                if at_end else "")
        return (f"The training loss has flattened (it changed by {100 * drop:.1f}% over the last five "
                f"epochs, ending at {after:.4g}): the optimisation has essentially converged{tail}.")
    tail = (f", and validation accuracy was highest at the last epoch ({e} of {n}): more epochs might "
            f"still help" if at_end else "")
    return (f"The training loss was still falling ({100 * drop:.1f}% over the last five epochs, ending "
            f"at {after:.4g}): the model had not fully converged after {n} epochs{tail}.")


def _fit_reading(m: Mapping[str, Any]) -> str:
    """One verdict on under- or over-fitting (over-fits, mild at most, no sign, under-fits), with
    the numbers it rests on: the validation curve after its peak and the final train/validation gap."""
    e, n, best = int(m["best_epoch"]), int(m["epochs"]), float(m["best_dev_accuracy"])
    tr, dv = m.get("final_train_accuracy"), m.get("final_dev_accuracy")
    drop = best - dv if is_number(dv) and e < n else None
    gap = tr - dv if is_number(tr) and is_number(dv) else None
    if e >= n:
        curve = f"Validation accuracy rose until the last epoch ({e} of {n})"
    elif drop is None:
        curve = f"Validation accuracy peaked at epoch {e} of {n}"
    elif drop > OVERFIT_DROP:
        curve = f"Validation accuracy peaked at epoch {e} of {n} and then fell by {pts(drop)} to {pct(dv)}"
    else:
        curve = (f"Validation accuracy peaked at epoch {e} of {n} and stayed within {pts(drop)} of that "
                 f"afterwards (final {pct(dv)})")
    nums = f"final training accuracy {pct(tr)} against validation {pct(dv)}, a gap of {pts(gap)}" \
        if gap is not None else ""
    head = curve + (f"; {nums}." if nums else ".")
    fell = drop is not None and drop > OVERFIT_DROP
    if fell or (gap is not None and gap > LARGE_GAP):
        why = ([f"validation accuracy fell after epoch {e}"] if fell else []) + \
              (["it fits the training set much better than unseen "
                "data"] if gap is not None and gap > LARGE_GAP else [])
        guard = (f" The best-validation checkpoint (epoch {e}) guards against the later epochs."
                 if fell else "")
        return f"{head} Reading: the model over-fits the training data ({' and '.join(why)}).{guard}"
    if gap is not None and tr < 0.9:
        close = ("are close and both" if gap < SMALL_GAP
                 else "differ by a moderate gap, with training accuracy")
        return (f"{head} Reading: the model under-fits (training and validation accuracy {close} "
                f"below 90%, and validation accuracy fell by at most a point after its peak).")
    if gap is not None and gap >= SMALL_GAP:
        return (f"{head} Reading: mild over-fitting at most (a moderate gap, and validation accuracy "
                f"fell by at most a point after its peak).")
    why = "training and validation accuracy are close" if gap is not None else \
        ("validation accuracy was still at its best at the "
         "end" if e >= n else "validation accuracy plateaued")
    return f"{head} Reading: no sign of over-fitting ({why})."


def _test_reading(m: Mapping[str, Any]) -> str:
    test, dev = m["test_accuracy_best"], m["best_dev_accuracy"]
    d = test - dev
    head = f"Its test accuracy is {pct(test)}"
    if abs(d) <= 0.01:
        return (f"{head}, within {pts(d)} of the best validation accuracy: the validation estimate "
                f"carries over to unseen data, so the model generalises as validation predicted.")
    if d < 0:
        return (f"{head}, {pts(d)} below the best validation accuracy: part of the validation score "
                f"comes from selecting the best of many runs on the validation set, an optimistic estimate.")
    return f"{head}, {pts(d)} above the best validation accuracy."


# --- q2.2c / q2.3c: final training accuracy along the width or the depth -----------------------
def _train_vs(axis: str, run: str, reading: Callable[[Any, list, ExperimentResult], str]) -> Discussion:
    def discuss(results: Results) -> str:
        res = results.get(run)
        if res is None:
            return not_run(run, f"the training accuracy as a function of the {axis}")
        pairs = series(_per(res, axis), "final_train_accuracy")
        if pairs is None:
            return missing(run, f"per_{axis} final_train_accuracy", f"the training accuracy per {axis}")
        t = trend(pairs, "the final training accuracy", axis)
        return (f"Final-epoch training accuracy per {axis}: {listing(pairs, axis)}.{quick_note(res)} "
                f"{t.sentence} " + reading(t, pairs, res))
    return discuss


def _width_reading(t, pairs: list, res: ExperimentResult) -> str:
    top = pairs[-1]
    if t.kind == "increasing":
        consistent = "Increasing the width did consistently improve training accuracy here. "
    elif t.kind == "flat":
        consistent = "Width made little difference to the training accuracy in this range. "
    else:
        consistent = ("Increasing the width did not consistently improve training accuracy here. The "
                      "models compared are the best of each width by validation accuracy, not the ones "
                      "that fit the training set best" + _regularised(res) + ". ")
    conv = _converging(t, pairs)
    uat = ("The Universal Approximation Theorem says that one hidden layer with enough units can "
           "approximate any continuous function on a compact set arbitrarily well; on a finite "
           "training set of n distinct inputs, a single ReLU layer with n units can already fit any "
           "labelling exactly (Zhang et al., 2017, Theorem 1). The expected training accuracy of an "
           "infinitely wide one-layer FFN is therefore 100% (short only by inputs that appear with "
           "two different labels). The theorem is about existence: whether SGD or Adam finds those "
           f"weights in {_epochs_of(res)}, with regularisation chosen for validation accuracy, is "
           "another matter. ")
    uat += ("Here the widest layer already (nearly) interpolates the training set." if top[1] >= 0.995 else
            f"Here the widest layer (width {top[0]}) is still {pts(1 - top[1])} short of 100%.")
    return consistent + conv + uat


def _epochs_of(res: ExperimentResult) -> str:
    e = res.metrics.get("epochs")
    return f"{int(e)} epochs" if is_number(e) else "the epochs trained"


def _converging(t, pairs: list) -> str:
    """The answer to "is the training accuracy converging to any value as the width grows?"."""
    q = "Is the training accuracy converging to a value as the width grows? "
    (w0, a0), (w1, a1) = pairs[0], pairs[-1]
    lo, hi = min(v for _, v in pairs), max(v for _, v in pairs)
    if len(pairs) == 1:
        return q + f"One width (width {w0}) cannot show it; run the other widths to see the trend. "
    if a1 >= 0.995:
        return q + f"Yes, to 100%: the widest layer (width {w1}) reaches {pct(a1)}. "
    if t.kind == "flat":
        return q + (f"Over this range it has already levelled off, between {pct(lo)} and {pct(hi)}; "
                    f"the limit it settles at is below 100%, set by the training budget and the "
                    f"regularisation chosen for validation accuracy rather than by the width. ")
    if t.kind == "increasing" and len(t.gains) > 1 and t.gains[-1] < t.gains[0]:
        return q + (f"It appears to: the gains shrink ({pts(t.gains[0])} for the first step, "
                    f"{pts(t.gains[-1])} for the last), so the curve is levelling off at "
                    f"{pct(a1)} (width {w1}) or a little above. ")
    if t.kind == "increasing":
        return q + (f"Not visibly within this range: the gains do not shrink (the last step, to width "
                    f"{w1}, adds {pts(t.gains[-1])}), so the widths tried have not reached the limit. ")
    return q + (f"Not in the measured series: it does not change monotonically (from {pct(a0)} at width "
                f"{w0} to {pct(a1)} at width {w1}, between {pct(lo)} and {pct(hi)}), so these runs show no "
                f"limit; the selection by validation accuracy, not the width, decides where each lands. ")


def _regularised(res: ExperimentResult) -> str:
    """", and the ones at widths 32 and 128 use dropout or weight decay" from the stored configs."""
    per = _per(res, "width")
    if not isinstance(per, Mapping):
        return ""
    widths = []
    for w, entry in per.items():
        cfg = entry.get("config") if isinstance(entry, Mapping) else None
        if isinstance(cfg, Mapping) and any(is_number(v) and v > 0 for k, v in cfg.items()
                                            if "dropout" in k or k in ("l2", "weight_decay", "l2_decay")):
            widths.append(str(w))
    if not widths:
        return ""
    plural = "s" if len(widths) > 1 else ""
    listed = ", ".join(sorted(widths, key=int))
    return f"; the selected models at width{plural} {listed} use dropout or weight decay"


def _depth_reading(t, pairs: list, res: ExperimentResult) -> str:
    (d0, a0), (d1, a1) = pairs[0], pairs[-1]
    if t.kind == "flat":
        fit = "Depth barely changed the ability to fit the training data. "
    elif a1 < a0:
        who = "Deeper networks fit" if t.kind == "decreasing" else "The deepest network fits"
        fit = (f"{who} the training data worse: {pts(a0 - a1)} less at depth {d1} than at depth {d0}, "
               f"although the deeper network has more parameters. ")
    else:
        who = "Deeper networks fit" if t.kind == "increasing" else "The deepest network fits"
        fit = f"{who} the training data better: {pts(a1 - a0)} more at depth {d1} than at depth {d0}. "
    why = ("In principle depth adds capacity: compositions of layers can represent some functions with "
           "far fewer units than one layer. In practice, plain deep stacks without residual "
           "connections or normalisation are harder to optimise: gradients shrink or grow "
           "multiplicatively through many layers, every layer is a 32-unit bottleneck, dropout (if "
           "any) is applied again at every layer, and the learning rate and regularisation were "
           "tuned for a single hidden layer, not re-tuned for each depth. Whether deeper models reach "
           "higher interpolation therefore depends on the optimisation more than on capacity, and "
           "the curve above shows which effect dominated here.")
    return fit + why


DISCUSSIONS: dict[str, Discussion] = {
    "hw2526.q2.2a": _validation_vs("width", WIDTH_RUN),
    "hw2526.q2.2b": _best_model("width", WIDTH_RUN),
    "hw2526.q2.2c": _train_vs("width", WIDTH_RUN, _width_reading),
    "hw2526.q2.3a": _validation_vs("depth", DEPTH_RUN),
    "hw2526.q2.3b": _best_model("depth", DEPTH_RUN),
    "hw2526.q2.3c": _train_vs("depth", DEPTH_RUN, _depth_reading),
    "hw2122.q2.2a": _regression.linear_gap,
    "hw2122.q2.2b": _regression.network_vs_linear,
}

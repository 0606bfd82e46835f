"""hw2526.q3.3: softmax, sparsemax and relumax_b for K = 2, z = [0, t], and their derivatives.

The closed forms (:mod:`dlhw.activations.k2`) are plotted over a grid of t for several b and
checked on the same grid against the general K-class functions and their Jacobians (entry
[1, 1] is d p_2 / d t) and, away from the kinks, against central differences.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np

from dlhw.activations import (
    k2,
    relumax,
    relumax_jacobian,
    softmax,
    softmax_jacobian,
    sparsemax,
    sparsemax_jacobian,
)
from dlhw.experiments.base import Experiment, RunContext
from dlhw.results import ExperimentResult, Table
from dlhw.training.plots import plot_series
from dlhw.validation import check_positive

EXPERIMENT_ID = "hw2526.q3.3"
DEFAULT_B = (0.5, 1.0, 2.0)
TABLE_T = (-3.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0)
FD_STEP = 1e-6

Curve = tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray],
              Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray], tuple[float, ...]]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--b", type=float, nargs="+", default=None, help="relumax offsets b > 0 (default 0.5 1 2)")
    p.add_argument("--t-max", type=float, default=None, help="plot t in [-t_max, t_max] (default 3)")


def curves(b_values: tuple[float, ...]) -> dict[str, Curve]:
    """name -> (closed form, its derivative, general p_2, general dp_2/dt, non-smooth t).

    The non-smooth points are the kinks (support changes) and, for relumax, t = 0 where the
    argmax switches: there relumax_b,2 is C^1 but not C^2, and central differences are off by
    h / (8 b^2), so the finite-difference check skips it.
    """
    def general(fn, jac):
        def value(t):
            return fn(np.stack([np.zeros_like(t), t], axis=-1))[:, 1]  # z = [0, t]: (N, 2)

        def slope(t):
            return np.array([jac(np.array([0.0, ti]))[1, 1] for ti in t])

        return value, slope

    out: dict[str, Curve] = {"softmax": (k2.softmax2, k2.softmax2_derivative,
                                         *general(softmax, softmax_jacobian), ()),
                             "sparsemax": (k2.sparsemax2, k2.sparsemax2_derivative,
                                           *general(sparsemax, sparsemax_jacobian), (-1.0, 1.0))}
    for b in b_values:
        out[f"relumax "
            f"(b={b:g})"] = (lambda t, b=b: k2.relumax2(t, b), lambda t, b=b: k2.relumax2_derivative(t, b),
                                     *general(lambda z, b=b: relumax(z, b), lambda z,
                                              b=b: relumax_jacobian(z, b)),
                                     (-b, 0.0, b))
    return out


def compare(table: dict[str, Curve], t: np.ndarray) -> dict[str, float]:
    """Largest differences: closed form vs general, derivative vs Jacobian, vs finite differences."""
    errs = {"value": 0.0, "slope": 0.0, "fd": 0.0}
    for f, df, g, dg, kinks in table.values():
        errs["value"] = max(errs["value"], float(np.max(np.abs(f(t) - g(t)))))
        errs["slope"] = max(errs["slope"], float(np.max(np.abs(df(t) - dg(t)))))
        smooth = t[np.all(np.abs(t[:, None] - np.array(kinks + (np.inf,))) > 1e-3, axis=1)]
        fd = (f(smooth + FD_STEP) - f(smooth - FD_STEP)) / (2 * FD_STEP)
        errs["fd"] = max(errs["fd"], float(np.max(np.abs(fd - df(smooth)))))
    return errs


def run(ctx: RunContext) -> ExperimentResult:
    b_values = tuple(float(b) for b in ctx.option("b", DEFAULT_B))
    t_max = check_positive(ctx.option("t_max", 3.0), "--t-max")
    t = np.linspace(-t_max, t_max, 241 if ctx.quick else 1201)  # (N,)
    table = curves(b_values)
    errs = compare(table, t)
    figures = {}
    for name, idx, ylabel in (("functions", 0, r"$p_2 = f([0, t])_2$"),
                              ("derivatives", 1, r"$\mathrm{d}p_2 / \mathrm{d}t$")):
        files = plot_series({k: v[idx](t) for k, v in table.items()}, ctx.out_dir / name, x=t,
                            title=f"K = 2, z = [0, t]: {name}", xlabel="$t$", ylabel=ylabel)
        figures[name] = files[0]
    tt = np.array(TABLE_T)
    tables = {kind: Table(columns=["t", *table], caption=f"Closed-form {kind} at a few t (K = 2, z = [0, t])",
                          rows=[[float(ti), *(round(float(v[idx](np.array([ti]))[0]),
                                                    6) for v in table.values())]
                                for ti in tt])
              for kind, idx in (("values", 0), ("derivatives", 1))}
    metrics = {"max_abs_error_closed_form_vs_general": max(errs["value"], errs["slope"]),
               "max_abs_error_values": errs["value"], "max_abs_error_derivatives": errs["slope"],
               "max_abs_error_derivative_vs_finite_difference": errs["fd"],
               "n_grid_points": int(t.size), "b_values": list(b_values)}
    notes = ["The closed forms plotted: softmax₂(t) = 1/(1 + e⁻ᵗ); sparsemax₂(t) = clip((1 + t)/2, 0, 1); "
             "relumax_b([0, t])₂ = ½ + t/(2(2b − |t|)) for |t| < b, 0 for t ≤ −b, 1 for t ≥ b.",
             "Their derivatives: s(1 − s) with s = softmax₂(t); ½ for |t| < 1; b/(2b − |t|)² for |t| < b "
             "(slope 1/(4b) at t = 0)."]
    return ExperimentResult(experiment=EXPERIMENT_ID, title="K = 2 closed forms of softmax, sparsemax, "
                                                            "relumax",
                            dataset="none", seed=ctx.seed, metrics=metrics,
                            key_metric="max_abs_error_closed_form_vs_general",
                            config={"b_values": list(b_values), "t_max": t_max, "fd_step": FD_STEP},
                            figures=figures, tables=tables, notes=notes)


EXPERIMENTS = [Experiment(id=EXPERIMENT_ID, title="K = 2: softmax, sparsemax, relumax_b and derivatives",
                          homework="hw2526", run=run, add_arguments=add_arguments, datasets=())]

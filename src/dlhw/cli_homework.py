"""The homework skeletons' command lines, as thin fronts over ``dlhw`` experiments.

``python hw1-q2.py linear_regression|nn`` and ``python hw1-q3.py perceptron|logistic_regression|mlp``
(2021-22, single-dash flags), ``python hw1-perceptron.py``, ``hw1-logistic-regression.py`` and
``hw1-mlp.py`` (2025-26, double-dash flags) keep the skeletons' flags and printed lines, and run
the same experiment code as ``dlhw run <id>`` (so ``runs/<id>/<run name>/result.json`` is written too).
Data: ``-data_path`` / ``--data-path`` may name the data file or its folder; when it does not
exist, the usual search (``$DLHW_DATA_DIR``, the cache) applies.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dlhw.cli import guarded, seed_arg
from dlhw.errors import ConfigError
from dlhw.io import atomic_copy, atomic_write_bytes, save_json

Q2_IDS = {"linear_regression": "hw2122.q2.2a", "nn": "hw2122.q2.2b"}
Q3_IDS = {"perceptron": "hw2122.q3.1a", "logistic_regression": "hw2122.q3.1b", "mlp": "hw2122.q3.2b"}


def data_dir_of(path: str | None) -> str | None:
    """The folder to search first for ``path`` (a data file or folder), or None if it is absent."""
    if not path:
        return None
    p = Path(path)
    return str(p.parent if p.is_file() else p) if p.exists() else None


def _execute(exp_id: str, args: argparse.Namespace, options: dict[str, Any],
             printer: Callable[[int, dict], None], dataset: str | None = None):
    """Run experiment ``exp_id`` with the skeleton's options; print each epoch with ``printer``.

    A run that finished earlier with the same options is not repeated: its stored result is
    returned (see :func:`dlhw.experiments.execute.stored_result`).
    """
    from dlhw.experiments.base import RunContext
    from dlhw.experiments.catalog import find_entry
    from dlhw.experiments.execute import execute, stored_result
    from dlhw.experiments.layout import run_dir

    ctx = RunContext(out_dir=Path("."), seed=args.seed, data_dir=data_dir_of(args.data_path),
                     epochs=args.epochs, dataset=dataset, quick=args.quick, progress=False,
                     runs_root=Path("runs"), options={**options, "on_epoch": printer})
    # its own run folder (runs/<id>/seed42-...): never the one of `dlhw run <id>` (seed 0)
    out = ctx.out_dir = Path(args.out_dir) if args.out_dir else run_dir(ctx.runs_root, ctx.settings(exp_id))
    stored = stored_result(exp_id, ctx)
    if stored is not None:
        print(f"(finished earlier with the same options: the stored result of {out}; "
              f"delete that folder or pass another output folder to train again)")
        return stored, out
    return execute(find_entry(exp_id).load(), ctx), out


def _common_2122(p: argparse.ArgumentParser, epochs: int, hidden: int) -> None:
    p.add_argument("-epochs", default=epochs, type=int, help="number of epochs to train for")
    p.add_argument("-hidden_size", type=int, default=hidden, help="hidden units (neural models only)")
    p.add_argument("-learning_rate", type=float, default=None,
                   help="SGD learning rate (default 0.001; the perceptron has none, as in the text)")
    p.add_argument("-data_path", type=str, default=None, help="data file or folder")
    p.add_argument("-seed", type=seed_arg, default=42, help="random seed (the skeleton's 42)")
    p.add_argument("-out_dir", type=str, default=None, help="output folder (default runs/<id>/<run name>)")
    p.add_argument("-quick", action="store_true", help="small data slice (smoke test)")


def main_q2(argv: list[str] | None = None) -> int:
    """``hw1-q2.py linear_regression|nn``: prints ``Epoch i...`` and the train/test RMSE."""
    p = argparse.ArgumentParser(prog="hw1-q2.py", description="2021-22 Q2: Ames regression (numpy)")
    p.add_argument("model", choices=sorted(Q2_IDS))
    _common_2122(p, 150, 150)
    p.add_argument("-seeds", type=seed_arg, nargs="+", default=None,
                   help="also train these seeds and print their median and range (the report's study "
                        "is -seeds 0 1 2 3 42); default: -seed only, as the skeleton")
    args = p.parse_args(argv)

    def show(epoch: int, v: dict) -> None:
        print(f"Epoch {epoch}... ")
        extra = f" | dist to analytic: {v['distance_to_analytic']:.3f}" if "distance_to_analytic" in v else ""
        print(f"Loss - train: {v['train_rmse']:.3f} | test: {v['test_rmse']:.3f}{extra}")

    def run() -> int:
        opts = {"learning_rate": args.learning_rate, "hidden_size": args.hidden_size,
                "seeds": args.seeds or [args.seed]}
        result, out = _execute(Q2_IDS[args.model], args, opts, show)
        m = result.metrics
        if "analytic_test_rmse" in m:
            print(f"Analytic solution - train: {m['analytic_train_rmse']:.3f} | test: "
                  f"{m['analytic_test_rmse']:.3f}")
        print(f"Final loss - train: {m['train_rmse']:.3f} | test: {m['test_rmse']:.3f}")
        if len(m.get("seeds", [])) > 1 or m.get("collapsed_runs"):
            bad = f"; collapsed: {m['collapsed_runs']} of {m['n_seeds']}" if "collapsed_runs" in m else ""
            print(f"Seeds {', '.join(map(str, m['seeds']))} (this run: seed {m['headline_seed']}): test RMSE "
                  f"median {m['test_rmse_median']:.3f}, min {m['test_rmse_min']:.3f}, max "
                  f"{m['test_rmse_max']:.3f}{bad}")
        print(f"Plots and checkpoints in {out}")
        return 0

    return guarded("hw1-q2.py", run)


def main_q3(argv: list[str] | None = None) -> int:
    """``hw1-q3.py perceptron|logistic_regression|mlp``: per-epoch accuracies, final test accuracy."""
    p = argparse.ArgumentParser(prog="hw1-q3.py", description="2021-22 Q3: Fashion-MNIST (numpy)")
    p.add_argument("model", choices=sorted(Q3_IDS))
    _common_2122(p, 20, 200)
    p.add_argument("-layers", type=int, default=1, help="hidden layers (the numpy MLP has exactly 1)")
    args = p.parse_args(argv)

    def show(epoch: int, v: dict) -> None:
        print(f"Training epoch {epoch}")
        loss = f"train loss: {v['train_loss']:.4f} | " if "train_loss" in v else ""
        print(f"{loss}train acc: {v['train_accuracy']:.4f} | val acc: {v['dev_accuracy']:.4f} | "
              f"test acc: {v['test_accuracy']:.4f}")

    def run() -> int:
        if args.layers != 1:
            raise ConfigError(f"-layers must be 1 for the numpy MLP (one hidden layer, as Q3.2b asks), "
                              f"got {args.layers}; use hw1-q4.py for deeper networks")
        lr = args.learning_rate
        if args.model == "perceptron" and lr is not None:
            print("hw1-q3.py: note: the text's perceptron has no learning rate; -learning_rate is "
                  "ignored for it", file=sys.stderr)
            lr = None  # the perceptron's own step (1), which keeps it on the exact blocked kernel
        opts = {"learning_rate": lr, "hidden_size": args.hidden_size}
        result, out = _execute(Q3_IDS[args.model], args, opts, show)
        m = result.metrics
        print(f"Final test acc: {m['test_accuracy_final']:.4f}")
        print(f"Best checkpoint (epoch {m['best_epoch']}): val acc {m['best_dev_accuracy']:.4f} | "
              f"test acc {m['test_accuracy_best']:.4f}")
        print(f"Plots and checkpoints in {out}")
        return 0

    return guarded("hw1-q3.py", run)


# ---- 2025-26 ---------------------------------------------------------------------------------
SKELETONS_2526 = {
    "perceptron": ("hw1-perceptron.py", "hw2526.q1.1", "Q1-perceptron"),
    "logistic_regression": ("hw1-logistic-regression.py", "hw2526.q1.2a", "Q1-logistic-regression"),
    "mlp": ("hw1-mlp.py", "hw2526.q1.3", "Q1-mlp"),
}


def _parser_2526(kind: str) -> argparse.ArgumentParser:
    prog, exp_id, stem = SKELETONS_2526[kind]
    p = argparse.ArgumentParser(prog=prog, description=f"2025-26 {exp_id} (numpy)")
    p.add_argument("--epochs", default=20, type=int, help="number of epochs to train for")
    if kind != "perceptron":
        p.add_argument("--learning-rate", type=float,
                       default=0.0001 if kind == "logistic_regression" else 0.001)
    if kind == "logistic_regression":
        p.add_argument("--l2-penalty", type=float, default=0.00001)
    if kind == "mlp":
        p.add_argument("--hidden-size", type=int, default=100)
        p.add_argument("--loss-plot", default=f"{stem}-loss.pdf", help="training-loss plot (.pdf/.png)")
    p.add_argument("--data-path", type=str, default="emnist-letters.npz", help="data file or folder")
    p.add_argument("--dataset", choices=("emnist-letters", "fashion-mnist"), default="emnist-letters")
    p.add_argument("--seed", type=seed_arg, default=42)
    p.add_argument("--save-path", default=None, help="where to copy the best checkpoint (.npz)")
    p.add_argument("--accuracy-plot", default=f"{stem}-accs.pdf", help="accuracy plot (.pdf or .png)")
    p.add_argument("--scores", default=f"{stem}-scores.json", help="JSON with the key numbers")
    p.add_argument("--out-dir", default=None, help="output folder (default runs/<id>/<run name>)")
    p.add_argument("--quick", action="store_true", help="small data slice (smoke test)")
    return p


def _copy_figure(out: Path, name: str, target: str) -> None:
    suffix = Path(target).suffix.lower()
    if suffix not in (".pdf", ".png"):
        raise ConfigError(f"plot path {target!r} must end in .pdf or .png")
    atomic_write_bytes(target, (out / f"{name}{suffix}").read_bytes())


def _check_output_folders(*paths: str | None) -> None:
    """Every output path given must be in an existing folder (checked before training)."""
    for path in paths:
        if path and not Path(path).resolve().parent.is_dir():
            raise ConfigError(f"the folder of {path} does not exist; create it first "
                              f"(mkdir -p {Path(path).parent}) or choose another path")


def main_2526(kind: str, argv: list[str] | None = None) -> int:
    """The 2025-26 skeletons: per-epoch accuracies, the reloaded best checkpoint's test accuracy."""
    prog, exp_id, _ = SKELETONS_2526[kind]
    args = _parser_2526(kind).parse_args(argv)

    def show(epoch: int, v: dict) -> None:
        loss = f"train loss: {v['train_loss']:.4f} | " if "train_loss" in v else ""
        print(f"\nTraining epoch {epoch}\n{loss}train acc: {v['train_accuracy']:.4f} | "
              f"val acc: {v['dev_accuracy']:.4f}")

    def run() -> int:
        _check_output_folders(args.save_path, args.accuracy_plot, args.scores,
                              args.loss_plot if kind == "mlp" else None)  # before training, not after
        opts = {k: getattr(args, k, None) for k in ("learning_rate", "l2_penalty", "hidden_size")}
        result, out = _execute(exp_id, args, opts, show, dataset=args.dataset)
        m, secs = result.metrics, result.wall_time_s
        print(f"\nTraining took {int(secs // 60)} minutes and {int(secs % 60)} seconds")
        print("\nReloading best checkpoint")
        print(f"Best model test acc: {m['test_accuracy_best']:.4f}")
        if args.save_path:
            for suffix in (".npz", ".json"):
                atomic_copy(out / f"best{suffix}", Path(args.save_path).with_suffix(suffix))
        _copy_figure(out, "accuracy", args.accuracy_plot)
        if kind == "mlp":
            _copy_figure(out, "loss", args.loss_plot)
        save_json(args.scores, {"best_valid": m["best_dev_accuracy"], "selected_epoch": m["best_epoch"],
                                "test": m["test_accuracy_best"], "time": secs})
        return 0

    return guarded(prog, run)

"""The PyTorch skeletons' command lines: ``hw1-ffn.py`` (2025-26 Q2.1) and ``hw1-q4.py`` (2021-22 Q4).

Each trains one configuration with :func:`dlhw.training.torch_loop.train_torch` (best-validation
checkpoint, resumable: rerunning a finished command reuses its stored run), prints the training
loss and validation accuracy per epoch, then, as the skeletons do, ``Final test acc`` of the model
after the last epoch, and one more line with the best-validation checkpoint's; and saves the plots
(``loss``, ``accuracy``; PNG and PDF) in its output folder.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from dlhw.cli import guarded
from dlhw.cli_homework import data_dir_of
from dlhw.nets import NetConfig
from dlhw.nets.config import TRAIN_KERNELS as KERNELS


def _common(p: argparse.ArgumentParser, *, epochs: int, batch: int, lr: float, dropout: float) -> None:
    """The flags both skeletons share (single dash), with that skeleton's defaults."""
    p.add_argument("-epochs", default=epochs, type=int, help="number of epochs to train for")
    p.add_argument("-batch_size", default=batch, type=int, help="size of training batch")
    p.add_argument("-learning_rate", type=float, default=lr)
    p.add_argument("-l2_decay", type=float, default=0.0, help="weight decay (l2 penalty)")
    p.add_argument("-layers", type=int, default=1, help="number of hidden layers")
    p.add_argument("-dropout", type=float, default=dropout)
    p.add_argument("-activation", choices=["tanh", "relu"], default="relu")
    p.add_argument("-optimizer", choices=["sgd", "adam"], default="sgd")
    p.add_argument("-data_path", type=str, default=None, help="data file or its folder")
    p.add_argument("-device", default="cpu", help="cpu or cuda")
    p.add_argument("-kernel", "--kernel", choices=KERNELS, default="fast",
                   help="fast: the compiled twin of the training loop where it applies (CPU, "
                        "batch <= 16); autograd: always the plain loop (default fast)")
    p.add_argument("-seed", type=int, default=0, help="random seed (initialisation, order, dropout)")
    p.add_argument("-out_dir", default=None, help="output folder (default runs/<script>/<config>)")
    p.add_argument("-no_progress", action="store_true", help="no progress bar")
    p.add_argument("-quick", action="store_true", help="small data slice (smoke test)")


def _print_epoch(epoch: int, m: dict[str, float]) -> None:
    from tqdm.auto import tqdm

    tqdm.write(f"Training epoch {epoch}\nTraining loss: {m['train_loss']:.4f} | train acc: "
               f"{m['train_accuracy']:.4f} | valid loss: {m['dev_loss']:.4f} | valid acc: "
               f"{m['dev_accuracy']:.4f} ({m['epoch_seconds']:.1f} s)")


def _train(prog: str, cfg: NetConfig, dataset: str, args: argparse.Namespace) -> int:
    """Load ``dataset``, train ``cfg``, print the epochs and the final test accuracy."""
    from dlhw.data import load
    from dlhw.experiments.base import QUICK_EVAL_ROWS, QUICK_TRAIN_ROWS
    from dlhw.training.torch_loop import train_torch
    from dlhw.validation import check_device

    check_device(args.device)
    ds = load(dataset, data_dir=data_dir_of(args.data_path), dtype=np.float32)
    ds = ds.subset(QUICK_TRAIN_ROWS, QUICK_EVAL_ROWS) if args.quick else ds
    default = Path("runs") / prog.removesuffix(".py") / ds.name / f"{cfg.slug()}-s{args.seed}"
    out = Path(args.out_dir or default)
    print(f"{prog}: {cfg.slug()} on {ds.describe()}")
    shown: list[int] = []
    result = train_torch(cfg, ds, out_dir=out, seed=args.seed, device=args.device,
                         progress=not args.no_progress, kernel=args.kernel,
                         on_epoch=lambda e, m: (shown.append(e), _print_epoch(e, m)))
    if not shown:
        print(f"(finished run found in {out}; delete that folder to train again)")
    if math.isnan(result.test_accuracy_final):  # a run stored by an older version: score last.npz
        from dlhw.training.torch_loop import test_best

        result.test_accuracy_final = test_best(out, ds, args.device)["test_accuracy_final"]
    h = result.history
    for e in range(1, h.epochs + 1):
        if e not in shown:
            _print_epoch(e, {k: v[e - 1] for k, v in h.metrics.items()})
    print(f"Final test acc: {result.test_accuracy_final:.4f}")
    print(f"Best checkpoint (epoch {result.best_epoch}): valid acc {result.best_dev_accuracy:.4f} | "
          f"test acc {result.test_accuracy:.4f}")
    print(f"Plots ({', '.join(result.figures.values())}) and checkpoints in {out}")
    return 0


def main_ffn(argv: list[str] | None = None) -> int:
    """``hw1-ffn.py``: the 2025-26 feed-forward network (default EMNIST Letters)."""
    p = argparse.ArgumentParser(prog="hw1-ffn.py", description="2025-26 Q2: PyTorch FFN")
    _common(p, epochs=30, batch=64, lr=0.001, dropout=0.0)
    p.add_argument("-hidden_size", type=int, default=32)
    p.add_argument("-dataset", choices=["emnist-letters", "fashion-mnist"], default="emnist-letters")
    a = p.parse_args(argv)
    cfg = {"model": "mlp", "hidden_size": a.hidden_size}
    return guarded("hw1-ffn.py", lambda: _train("hw1-ffn.py", _config(a, cfg), a.dataset, a))


def main_q4(argv: list[str] | None = None) -> int:
    """``hw1-q4.py logistic_regression|mlp``: the 2021-22 Q4 models on Fashion-MNIST."""
    p = argparse.ArgumentParser(prog="hw1-q4.py", description="2021-22 Q4: PyTorch on Fashion-MNIST")
    p.add_argument("model", choices=["logistic_regression", "mlp"])
    _common(p, epochs=20, batch=1, lr=0.01, dropout=0.3)
    p.add_argument("-hidden_sizes", type=int, default=200, help="hidden units per layer")
    a = p.parse_args(argv)
    cfg = {"model": a.model, "hidden_size": a.hidden_sizes}
    return guarded("hw1-q4.py", lambda: _train("hw1-q4.py", _config(a, cfg), "fashion-mnist", a))


def _config(a: argparse.Namespace, extra: dict) -> NetConfig:
    """The :class:`NetConfig` of the parsed flags (logistic regression ignores the MLP flags)."""
    mlp = {"dropout": a.dropout, "layers": a.layers, "activation": a.activation}
    if extra["model"] == "logistic_regression":
        extra, mlp = {**extra, "hidden_size": 1}, {"dropout": 0.0, "layers": 1, "activation": "relu"}
    return NetConfig(lr=a.learning_rate, l2=a.l2_decay, **mlp, optimizer=a.optimizer, batch_size=a.batch_size,
                     epochs=a.epochs, **extra)

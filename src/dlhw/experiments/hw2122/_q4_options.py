"""The command-line options of the Q4 (PyTorch) experiments, importable without torch."""

from __future__ import annotations

import argparse

from dlhw.nets.config import TRAIN_KERNELS


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``--kernel``: the compiled batch-1 path (default) or the plain autograd loop."""
    p.add_argument("--kernel", choices=TRAIN_KERNELS, default=None,
                   help="fast: compiled twin of the training loop where it applies (default); "
                        "autograd: the plain loop")

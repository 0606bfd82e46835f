"""The command-line options of the q2 sweeps (width, depth), importable without torch."""

from __future__ import annotations

import argparse

from dlhw.grid.executors import BACKENDS


def add_backend_arguments(p: argparse.ArgumentParser) -> None:
    """``--backend``, ``--address``, ``--ship-data``, ``--budget-mb``: where and in how much memory
    ensembles run (:mod:`dlhw.grid.ray_backend`: no shared file system needed)."""
    p.add_argument("--backend", choices=BACKENDS, default=None, help="where the ensembles run (default "
                                                                     "local)")
    p.add_argument("--address", default=None, help="Ray cluster address (with --backend ray)")
    p.add_argument("--ship-data", action="store_true", default=None,
                   help="with --backend ray: send the data set to each node once through Ray's object "
                        "store (default: every node reads its own --data-dir)")
    p.add_argument("--num-gpus", type=float, default=None,
                   help="with --backend ray: GPUs each ensemble reserves (default 1 with --device cuda, "
                        "else 0; 0.5 puts two ensembles on one GPU)")
    p.add_argument("--budget-mb", type=int, default=None, help="memory per ensemble (default 2048)")


def add_width_arguments(p: argparse.ArgumentParser) -> None:
    """Options of hw2526.q2.2a: the backend ones and ``--widths``."""
    add_backend_arguments(p)
    p.add_argument("--widths", type=int, nargs="+", default=None, help="widths (default 16 32 64 128 256)")


def add_depth_arguments(p: argparse.ArgumentParser) -> None:
    """Options of hw2526.q2.3a: the backend ones and ``--depths``."""
    add_backend_arguments(p)
    p.add_argument("--depths", type=int, nargs="+", default=None, help="depths (default 1 3 5 7 9)")

"""Randomness enters only through here: no global RNG anywhere in dlhw.

A seed (int) becomes a :class:`numpy.random.Generator`; children for parallel work are spawned
from a :class:`numpy.random.SeedSequence` *before* dispatch so results do not depend on
scheduling.
"""

from __future__ import annotations

import numpy as np

SeedLike = int | np.random.Generator | np.random.SeedSequence | None


def as_generator(seed: SeedLike) -> np.random.Generator:
    """Return a Generator for ``seed`` (a Generator is passed through unchanged)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, float)):
        from dlhw.errors import ConfigError

        raise ConfigError(f"seed must be an int, got {seed!r}; pass e.g. --seed 0")
    return np.random.default_rng(seed)


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The row order (n,) of epoch ``epoch`` (1-based): a permutation of ``n`` from ``[seed, epoch]``.

    The one shuffle of every training loop (numpy protocol, torch loop, ensembles), so both stacks
    see the same rows in the same order for the same seed, and evaluation never consumes it.
    """
    return np.random.default_rng([int(seed), int(epoch)]).permutation(n)


def spawn(seed: int | np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent child seed sequences of ``seed``, stable across runs."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return ss.spawn(n)


def child_seed(seed: int, *keys: int) -> int:
    """A deterministic 32-bit seed derived from ``seed`` and integer ``keys``."""
    return int(np.random.SeedSequence([seed, *keys]).generate_state(1)[0])


def torch_generator(seed: int, device: str = "cpu"):
    """A seeded :class:`torch.Generator` (torch imported lazily)."""
    import torch

    g = torch.Generator(device=device)
    g.manual_seed(int(seed))
    return g

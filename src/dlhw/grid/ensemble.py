"""Grids of PyTorch configurations trained as vectorised ensembles (:mod:`dlhw.training.ensemble`).

>>> work = EnsembleWork(data=partial(load_ref, ref), config=net_config, data_seed=0)
>>> result = ensemble_runner("runs/x/grid", work, jobs=1).run(spec)        # doctest: +SKIP
>>> test = result.test_best(work.test)

The runner groups the unfinished configurations by :func:`~dlhw.training.ensemble.shape_key`
(architecture, optimiser, batch size, epochs), splits each group so that one ensemble fits
``budget_bytes`` of memory (and, with several workers, so that every worker gets a group), and
hands each group to :class:`EnsembleWork` as one task. Records are still written per member, so
resume, tables and the test of the best behave as for a grid of single runs. A member's run
files (the plain loop's files) live in ``<member folder>/run``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from dlhw.data import Dataset
from dlhw.grid.backends import Backend, local_backend
from dlhw.grid.results import diverged_record
from dlhw.grid.runner import GridRunner
from dlhw.grid.store import Member
from dlhw.nets import NetConfig
from dlhw.training.ensemble import EnsembleMember, shape_key, train_ensemble

DEFAULT_BUDGET = 2 << 30  # bytes one ensemble may use (parameters, optimiser state, activations)
FLOAT_BYTES = 4


def config_from_params(params: dict[str, Any]) -> NetConfig:
    """The :class:`NetConfig` of grid parameters: keys that are not NetConfig fields are ignored."""
    names = {f.name for f in fields(NetConfig)}
    return NetConfig.from_dict({k: v for k, v in params.items() if k in names})


def member_bytes(cfg: NetConfig, n_features: int, n_classes: int) -> int:
    """Memory one member needs in an ensemble (an estimate, in bytes).

    Parameters x 10 (weights, gradients, two Adam moments, an update buffer, the member's own
    model and optimiser copies used for checkpoints) plus the activations of a training batch
    x 8 (pre-activations, activations, masks, their gradients).
    """
    sizes = layer_sizes(cfg, n_features, n_classes)
    params = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    return FLOAT_BYTES * (10 * params + 8 * cfg.batch_size * sum(sizes[1:]))


def layer_sizes(cfg: NetConfig, n_features: int, n_classes: int) -> list[int]:
    """``[n_features, hidden..., n_classes]``: the widths a member's layers map between."""
    return [n_features, *[cfg.hidden_size] * (cfg.layers if cfg.model == "mlp" else 0), n_classes]


@dataclass(frozen=True)
class EnsembleWork:
    """The grid's group function (picklable): train a group of members as one ensemble.

    Attributes
    ----------
    data : ``data() -> Dataset`` (picklable, e.g. a ``functools.partial`` of a cached loader):
        each worker loads the data itself.
    config : grid parameters -> :class:`NetConfig` (a module-level function).
    data_seed : the seed of the batch order, shared by every member (the grid seed).
    device, progress : where to train; per-epoch progress bars.
    train_accuracy : ``"every"`` epoch or ``"final"`` only (:func:`~dlhw.training.ensemble.train_ensemble`).
    """

    data: Callable[[], Dataset]
    config: Callable[[dict[str, Any]], NetConfig] = config_from_params
    data_seed: int = 0
    device: str = "cpu"
    progress: bool = False
    train_accuracy: str = "every"

    def key(self, params: dict[str, Any]) -> Hashable:
        """Members with equal keys can share an ensemble."""
        return shape_key(self.config(params))

    def __call__(self, members: list[Member]) -> list[dict[str, Any]]:
        group = [EnsembleMember(self.config(m.params), m.seed, m.run_dir) for m in members]
        outcomes = train_ensemble(group, self.data(), data_seed=self.data_seed, device=self.device,
                                  progress=self.progress, plots=False, test=False,
                                  train_accuracy=self.train_accuracy)
        return [diverged_record(out) if isinstance(out, Exception)
                else {k: v for k, v in out.metrics().items() if not k.startswith("test_")}
                for out in outcomes]

    def test(self, member: Member) -> dict[str, float]:
        """Test scores of ``member``'s reloaded best checkpoint (the best configuration only)."""
        from dlhw.training.torch_loop import test_best

        return test_best(member.run_dir, self.data(), self.device)


@dataclass(frozen=True)
class GroupCap:
    """``max_group`` of the runner: members per ensemble within ``budget_bytes``, and at most
    ``ceil(size / share)`` so that ``jobs`` workers all get work when there are few groups."""

    work: EnsembleWork
    n_features: int
    n_classes: int
    budget_bytes: int
    share: int = 1

    def __call__(self, key: Hashable, members: list[Member]) -> int:
        need = member_bytes(self.work.config(members[0].params), self.n_features, self.n_classes)
        by_memory = max(1, self.budget_bytes // need)
        by_workers = math.ceil(len(members) / self.share)
        return min(by_memory, by_workers)


@dataclass(frozen=True)
class GroupCost:
    """``cost`` of the runner: a group's work, members x parameters per member x epochs
    (training is a few passes over every parameter per example)."""

    work: EnsembleWork
    n_features: int
    n_classes: int

    def __call__(self, members: list[Member]) -> float:
        total = 0.0
        for m in members:
            cfg = self.work.config(m.params)
            sizes = layer_sizes(cfg, self.n_features, self.n_classes)
            total += cfg.epochs * sum((a + 1) * b for a, b in itertools.pairwise(sizes))
        return total


def ensemble_runner(root: str | Path, work: EnsembleWork, *, n_features: int, n_classes: int,
                    spec_groups: int = 1, backend: Backend | None = None, jobs: int | None = 1,
                    budget_bytes: int = DEFAULT_BUDGET, **options: Any) -> GridRunner:
    """A :class:`GridRunner` that trains same-shape configurations of a grid as ensembles.

    ``spec_groups`` (the number of distinct shapes) and the backend's ``jobs`` decide how far
    groups are split for parallelism; ``options`` go to the runner (seed, progress, name, ...).
    """
    backend = backend or local_backend(jobs)
    share = max(1, math.ceil(backend.jobs / max(spec_groups, 1)))
    cap = GroupCap(work, n_features, n_classes, int(budget_bytes), share)
    cost = GroupCost(work, n_features, n_classes)  # longest first, the largest split across workers
    return GridRunner(Path(root), group_fn=work, group_by=work.key, max_group=cap, backend=backend,
                      cost=cost, **options)

"""Run one experiment: build its context, time it, store its result."""

from __future__ import annotations

import time

from dlhw.experiments.base import Experiment, RunContext
from dlhw.results import ExperimentResult, save_result
from dlhw.validation import check_device


def execute(exp: Experiment, ctx: RunContext) -> ExperimentResult:
    """Run ``exp`` in ``ctx``, then write ``result.json`` (last, atomically) and return it."""
    check_device(ctx.device)  # before any data is loaded or folder made
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    result = exp.run(ctx)
    result.wall_time_s = round(time.perf_counter() - start, 3)
    result.quick = ctx.quick
    save_result(ctx.out_dir, result)
    return result

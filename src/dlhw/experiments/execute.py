"""Run one experiment: build its context, time it, store its result.

A finished run is not repeated: :func:`execute` writes the request it ran (seed, quick flag,
data set, epochs, the experiment's own options) into ``result.json``, and
:func:`stored_result` returns that record when the same request comes again, before anything
heavy is imported or loaded (``dlhw run ID`` a second time prints the stored result in well
under a second). ``--no-resume`` (option ``no_resume``) always runs again.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from dlhw.experiments.base import Experiment, RunContext
from dlhw.results import ExperimentResult, flag_chance_level, load_result, save_result
from dlhw.validation import check_device

log = logging.getLogger("dlhw.experiments")
REQUEST = "request"  # key of ``result.meta`` holding the request a result answers


def request_of(exp_id: str, ctx: RunContext) -> dict[str, Any]:
    """What a run of ``exp_id`` in ``ctx`` was asked for, as JSON values (callbacks left out)."""
    options = {k: v for k, v in sorted(ctx.options.items()) if v is not None and _is_json(v)}
    return {"experiment": exp_id, "seed": ctx.seed, "quick": ctx.quick, "dataset": ctx.dataset,
            "epochs": ctx.epochs, "options": options}


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def stored_result(exp_id: str, ctx: RunContext) -> ExperimentResult | None:
    """The result in ``ctx.out_dir`` if it finished for this very request, else None."""
    if ctx.option("no_resume") or ctx.overwrite:
        return None
    try:
        res = load_result(ctx.out_dir)
    except (OSError, ValueError, TypeError, KeyError):  # unreadable: run again, overwrite it
        return None
    if res is None or res.meta.get(REQUEST) != json.loads(json.dumps(request_of(exp_id, ctx))):
        return None
    return res


def execute(exp: Experiment, ctx: RunContext) -> ExperimentResult:
    """Run ``exp`` in ``ctx``, then write ``result.json`` (last, atomically) and return it.

    The run folder is locked for the whole run (a second process gets "already running (pid
    N)") and claimed first (:func:`dlhw.experiments.layout.claim`): a folder of another
    experiment or of other settings is refused unless ``ctx.overwrite``. A classifier whose
    accuracy is at chance level is flagged (:func:`dlhw.results.flag_chance_level`).
    """
    from dlhw.experiments.layout import claim
    from dlhw.training.run_folder import FolderLock

    check_device(ctx.device)  # before any data is loaded or folder made
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    with FolderLock(ctx.out_dir):
        claim(ctx.out_dir, ctx.settings(exp.id), overwrite=ctx.overwrite)
        start = time.perf_counter()
        result = exp.run(ctx)
        result.wall_time_s = round(time.perf_counter() - start, 3)
        result.quick = ctx.quick
        result.meta[REQUEST] = request_of(exp.id, ctx)
        if flag_chance_level(result):
            log.warning("%s: %s", exp.id, result.notes[-1])
        save_result(ctx.out_dir, result)
    return result

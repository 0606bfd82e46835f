"""The written answers: static Typst files and discussions computed from results.

The interface (shared with the helpers that write the answers):

- static answers: ``src/dlhw/answers/<homework>/<key>.typ`` where ``key`` is the mission id's
  question part with dots replaced by underscores (:func:`dlhw.answers.answer_key`);
- discussions: ``dlhw.answers.discussions.DISCUSSIONS[mission_id](results) -> str`` (Typst
  markup), ``results`` mapping every experiment id to its ``ExperimentResult`` or ``None``.

A missing file or key is simply absent from the report; a discussion that raises becomes an error
note in the report and a logged warning, never a crash.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from dlhw.answers import ANSWERS_DIR
from dlhw.io import atomic_copy
from dlhw.results import ExperimentResult

log = logging.getLogger("dlhw.report")

# Files an answer may use besides Typst sources (images, bibliographies).
ANSWER_ASSET_SUFFIXES = (".typ", ".png", ".svg", ".jpg", ".jpeg", ".bib", ".yml", ".yaml")

Discussion = Callable[[Mapping[str, "ExperimentResult | None"]], str]


def answers_root() -> Path:
    """``src/dlhw/answers`` (the installed package's folder; it may not exist yet)."""
    return ANSWERS_DIR


def copy_answer_tree(dest: Path, root: Path | None = None) -> None:
    """Copy the answers' Typst files and assets under ``dest`` (Typst reads only inside its root),
    keeping the folder structure so that their relative imports keep working."""
    src = root or answers_root()
    if not src.is_dir():
        return
    for path in src.rglob("*"):
        if path.is_file() and path.suffix.lower() in ANSWER_ASSET_SUFFIXES \
                and "__pycache__" not in path.parts:
            target = dest / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_copy(path, target)


def load_discussions() -> tuple[Mapping[str, Discussion], str | None]:
    """``(DISCUSSIONS, problem)``: the registry, or ``{}`` and why it could not be imported."""
    try:
        module = importlib.import_module("dlhw.answers.discussions")
    except ModuleNotFoundError as exc:
        if exc.name in ("dlhw.answers", "dlhw.answers.discussions"):
            return {}, None  # not written yet: nothing to show, nothing wrong
        log.warning("dlhw.answers.discussions failed to import: %s", exc)
        return {}, f"the discussions module failed to import: {exc}"
    except Exception as exc:  # a bug in the answers must not stop the report
        log.warning("dlhw.answers.discussions failed to import: %r", exc)
        return {}, f"the discussions module failed to import: {type(exc).__name__}: {exc}"
    found = getattr(module, "DISCUSSIONS", None)
    if not isinstance(found, Mapping):
        return {}, "dlhw.answers.discussions has no DISCUSSIONS mapping"
    return found, None


def run_discussion(discussions: Mapping[str, Discussion], mission_id: str,
                   results: Mapping[str, ExperimentResult | None]) -> tuple[str | None, str | None]:
    """``(markup, error)`` of the discussion of ``mission_id``; both None when there is none."""
    try:
        fn = discussions[mission_id]
    except KeyError:
        return None, None
    try:
        markup = fn(results)
    except Exception as exc:  # reported in the document, logged here
        log.warning("discussion %s failed: %r", mission_id, exc)
        return None, f"the discussion of {mission_id} failed: {type(exc).__name__}: {exc}"
    if not isinstance(markup, str):
        return None, f"the discussion of {mission_id} returned {type(markup).__name__}, not Typst text"
    return markup, None

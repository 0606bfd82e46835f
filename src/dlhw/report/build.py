"""``build_reports``: the PDF (Typst) and Markdown reports of each homework from stored results."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from dlhw.errors import DlhwError
from dlhw.io import atomic_copy, atomic_write_bytes, atomic_write_text
from dlhw.report import answers, markdown_render, typst_render
from dlhw.report.assemble import Sources, body_blocks
from dlhw.report.blocks import Block, Figure, Paragraph, TypstSource
from dlhw.report.contributions import contribution_blocks, find_contributions
from dlhw.report.frontmatter import runs_appendix, title_page
from dlhw.report.outline import OUTLINES, get_outline
from dlhw.report.timing import timing_appendix
from dlhw.results import ExperimentResult

log = logging.getLogger("dlhw.report")
TEMPLATE = Path(__file__).with_name("templates") / "report.typ"
# Everything build_reports writes in reports/<homework>/ (removed first, so nothing stale stays).
_OWNED = ("figures", "answers", "discussions", "report.typ", "report.pdf", "report.md",
          typst_render.TEMPLATE_NAME, "_probe.typ")


class ReportError(DlhwError):
    """The report could not be compiled."""


def _registered() -> dict[str, tuple[str, ...]]:
    from dlhw.experiments import all_experiments

    try:
        return {e.id: tuple(e.covers) for e in all_experiments()}
    except Exception as exc:  # a broken experiment module must not hide the other results
        log.warning("could not list the experiments (%r); reporting stored results only", exc)
        return {}


def load_sources(runs_root: Path, out_dir: Path, *, seed: int | None = None,
                 quick: bool | None = None, dataset: str | None = None) -> Sources:
    """Read, per experiment that the registry or an outline names, the run that fits the
    wanted settings (:func:`dlhw.experiments.layout.find_result`; None: prefer full seed-0
    runs). A result of another experiment, or with a non-numeric metric, is a problem, never
    a number."""
    from dlhw.experiments.layout import find_result

    registered = _registered()
    ids = list(registered) + [e for o in OUTLINES.values() for s in o.sections()
                              for e in s.experiments]
    if runs_root.is_dir():
        ids += sorted({p.parent.name for p in runs_root.glob("*/result.json")}
                      | {p.parent.parent.name for p in runs_root.glob("*/*/result.json")})
    results: dict[str, ExperimentResult | None] = {}
    problems: dict[str, str] = {}
    folders: dict[str, Path] = {}
    for exp_id in dict.fromkeys(ids):
        try:
            found = find_result(runs_root, exp_id, seed=seed, quick=quick, dataset=dataset)
            if found is not None:
                check_metrics(found[0], found[1])
            folders[exp_id], results[exp_id] = found if found else (runs_root / exp_id, None)
        except Exception as exc:  # unreadable JSON: reported, never shown as a number
            results[exp_id], problems[exp_id] = None, f"{type(exc).__name__}: {exc}"
    discussions, problem = answers.load_discussions()
    if problem:
        problems["dlhw.answers.discussions"] = problem
    return Sources(results, problems, registered, runs_root, out_dir, discussions, folders=folders)


def check_metrics(folder: Path, result: ExperimentResult) -> None:
    """Refuse a result whose key metric, or any accuracy/loss/RMSE/time metric, is not a number."""
    from dlhw.errors import CheckpointError

    numeric = ("accuracy", "loss", "rmse", "seconds", "epoch", "epochs")
    for name, value in result.metrics.items():
        if name != result.key_metric and not name.endswith(numeric):
            continue
        if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            continue
        raise CheckpointError(f"{folder / 'result.json'}: metric {name} is {value!r}, not a "
                              f"number; rerun the experiment")


def _clean(out_dir: Path) -> None:
    for name in _OWNED:
        path = out_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _compile(out_dir: Path, blocks: Sequence[Block]) -> Path:
    import typst

    for b in blocks:
        if isinstance(b, TypstSource) and b.kind == "discussion":
            (out_dir / b.path).parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(out_dir / b.path, b.source)
    source = out_dir / "report.typ"
    atomic_write_text(source, typst_render.render(blocks))
    pdf = out_dir / "report.pdf"
    data = typst.compile(str(source), root=str(out_dir), ignore_system_fonts=True)
    return atomic_write_bytes(pdf, data)  # never a truncated PDF, even on a full disk


def _compiles(out_dir: Path, b: TypstSource | Figure) -> str | None:
    """None when the answer (``#include``) or image of ``b`` compiles alone, else the message."""
    import typst

    probe = out_dir / "_probe.typ"
    call = "include" if isinstance(b, TypstSource) else "image"
    path = b.path if isinstance(b, TypstSource) else (b.vector or b.path)
    atomic_write_text(probe, f"#{call}({typst_render.typst_string(path)})\n")
    try:
        typst.compile(str(probe), root=str(out_dir), ignore_system_fonts=True)
        return None
    except Exception as exc:  # typst.TypstError, with the compiler's message
        return " ".join(str(exc).split())[:300]
    finally:
        probe.unlink(missing_ok=True)


def _without_broken_sources(out_dir: Path, blocks: list[Block]) -> list[Block]:
    """Replace every answer, discussion or figure that does not compile by an error note."""
    out: list[Block] = []
    for b in blocks:
        error = _compiles(out_dir, b) if isinstance(b, (TypstSource, Figure)) else None
        if error is not None and isinstance(b, Figure) and b.vector:
            b = replace(b, vector=None)  # an unreadable vector twin: embed the raster instead
            error = _compiles(out_dir, b)
        if error is None:
            out.append(b)
        elif isinstance(b, Figure):
            log.warning("figure %s cannot be embedded: %s", b.path, error)
            out.append(Paragraph(f"Figure {b.path} cannot be embedded: {error}.", "error"))
        else:
            log.warning("%s %s does not compile: %s", b.kind, b.path, error)
            out.append(Paragraph(f"The {b.kind} of {b.label} ({b.path}) does not compile: "
                                 f"{error}. Its source is in report.md.", "error"))
    return out


def build_one(homework: str, src: Sources) -> list[Path]:
    """Write ``report.pdf`` and ``report.md`` of ``homework`` into ``src.out_dir``."""
    outline = get_outline(homework)
    out_dir = src.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    _clean(out_dir)
    answers.copy_answer_tree(out_dir / "answers", src.answers_root)
    atomic_copy(TEMPLATE, out_dir / typst_render.TEMPLATE_NAME)
    blocks: list[Block] = [title_page(outline, src), *contribution_blocks(homework, src.contributions),
                           *body_blocks(outline, src), *runs_appendix(outline, src),
                           *timing_appendix(outline, src)]
    if "dlhw.answers.discussions" in src.problems:
        blocks.insert(1, Paragraph(src.problems["dlhw.answers.discussions"], "error"))
    md = out_dir / "report.md"
    atomic_write_text(md, markdown_render.render(blocks))
    try:
        pdf = _compile(out_dir, blocks)
    except Exception as first:
        log.warning("report of %s did not compile (%s); checking the answers one by one",
                    homework, " ".join(str(first).split())[:200])
        try:
            pdf = _compile(out_dir, _without_broken_sources(out_dir, blocks))
        except Exception as exc:
            raise ReportError(f"the {homework} report does not compile: {exc}; see "
                              f"{out_dir / 'report.typ'}") from exc
    return [pdf, md]


def build_reports(homework: str, runs_root: Path, out_root: Path, *, seed: int | None = None,
                  quick: bool | None = None, dataset: str | None = None,
                  contributions: str | Path | None = None) -> list[Path]:
    """Build ``out_root/<hw>/report.pdf`` and ``report.md`` for ``homework`` (or ``"all"``).

    Every figure and number is read from ``runs_root/<experiment>/<run>/result.json``, the run
    that fits ``seed``/``quick``/``dataset`` (None: any, full seed-0 runs preferred); a missing
    result reads "not run". Returns the written paths (PDF, Markdown) per homework.
    ``contributions``: the file with the members' contribution paragraph (hw2526; default
    ``contributions.md`` beside ``runs_root``, see :mod:`dlhw.report.contributions`).
    """
    homeworks = list(OUTLINES) if homework == "all" else [get_outline(homework).homework]
    runs_root, out_root = Path(runs_root), Path(out_root)
    members = find_contributions(contributions, runs_root)
    paths: list[Path] = []
    for hw in sorted(homeworks, key=lambda h: h != "hw2122"):
        src = load_sources(runs_root, out_root / hw, seed=seed, quick=quick, dataset=dataset)
        paths += build_one(hw, replace(src, out_dir=out_root / hw, contributions=members))
    return paths

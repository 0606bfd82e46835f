"""What the report says: the outline's sections filled with the stored results, as blocks.

Every number comes from ``runs/<id>/result.json`` through :class:`Sources`; an experiment without
a result shows "not run". Outputs of a run that no section asks for by name are shown in the last
section that shows that run, so nothing a run produced is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dlhw.answers import answer_path
from dlhw.io import atomic_copy
from dlhw.labels import DATASET_LABELS, config_label, figure_label, metric_label
from dlhw.markup import fmt_seconds, fmt_value, is_displayable
from dlhw.report import answers
from dlhw.report.blocks import (
    Block,
    Figure,
    Heading,
    Metrics,
    Paragraph,
    TableBlock,
    TypstSource,
)
from dlhw.report.outline import ALL, Outline, Section, View
from dlhw.results import TEST_BEST, TEST_FINAL, ExperimentResult, Table

_IMAGE_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg")
_VECTOR_SUFFIXES = (".pdf", ".svg")  # Typst (>= 0.14) embeds both as vector graphics


@dataclass
class Sources:
    """Everything the report reads: results by experiment id (None = not run), unreadable
    results' messages, registered experiment ids (with what they cover), and the folders."""

    results: Mapping[str, ExperimentResult | None]
    problems: Mapping[str, str]
    registered: Mapping[str, tuple[str, ...]]
    runs_root: Path
    out_dir: Path
    discussions: Mapping = field(default_factory=dict)
    answers_root: Path | None = None
    folders: Mapping[str, Path] = field(default_factory=dict)  # experiment id -> its run folder

    def folder(self, exp_id: str) -> Path:
        """The run folder the result of ``exp_id`` was read from."""
        return self.folders.get(exp_id, self.runs_root / exp_id)
    contributions: Path | None = None  # the members' contribution paragraph (hw2526)


def section_experiments(section: Section, registered: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The outline's experiment ids of ``section`` plus registered experiments that cover it."""
    ids = list(section.experiments)
    for exp_id, covers in registered.items():
        if (exp_id == section.mission_id or section.mission_id in covers) and exp_id not in ids:
            ids.append(exp_id)
    return ids


def _names(result: ExperimentResult) -> dict[str, list[str]]:
    return {"figures": list(result.figures), "tables": list(result.tables),
            "metrics": [k for k, v in result.metrics.items() if is_displayable(v)]}


def effective_views(views: list[View], result: ExperimentResult | None) -> list[dict[str, list[str]]]:
    """Per section showing one run, the names it shows; leftovers go to the last section."""
    if result is None:
        return [{} for _ in views]
    names = _names(result)
    if result.key_metric in names["metrics"]:  # the key number first
        names["metrics"].remove(result.key_metric)
        names["metrics"].insert(0, result.key_metric)
        other = {TEST_FINAL: TEST_BEST, TEST_BEST: TEST_FINAL}.get(result.key_metric)
        if other in names["metrics"]:  # the other test accuracy right beside it
            names["metrics"].remove(other)
            names["metrics"].insert(1, other)
    out = [{kind: [n for n in avail if getattr(v, kind) is None or n in getattr(v, kind)]
            for kind, avail in names.items()} for v in views]
    for kind, avail in names.items():
        shown = {n for view in out for n in view[kind]}
        out[-1][kind] += [n for n in avail if n not in shown]
    return out


def headline_label(name: str, key_metric: str) -> str:
    """The label of metric ``name``; a test accuracy also says whether it is the one the text asks
    for (the run's headline, ``key_metric``) or shown for comparison (docs/results.md)."""
    label = metric_label(name)
    if name not in (TEST_FINAL, TEST_BEST) or key_metric not in (TEST_FINAL, TEST_BEST):
        return label
    return f"{label}: {'the number the text asks for' if name == key_metric else 'for comparison'}"


def run_line(exp_id: str, r: ExperimentResult) -> str:
    """One line of run facts: data set, seed, mode, wall time, version, commit, hardware."""
    m = r.meta
    mode = "quick mode (small slice, few epochs)" if r.quick else "full run"
    data = "none" if r.dataset == "none" else DATASET_LABELS.get(r.dataset, r.dataset)
    return (f"Run {exp_id} ({r.title}): data set {data}, seed {r.seed}, {mode}, wall time "
            f"{fmt_seconds(r.wall_time_s)}; dlhw {m.get('dlhw_version', '?')}, commit "
            f"{m.get('git_commit', '?')}, {m.get('machine', 'unknown hardware')}.")


def not_run_line(exp_id: str, src: Sources) -> Paragraph:
    """The note for an experiment without a (readable) result."""
    if exp_id in src.problems:
        return Paragraph(f"{exp_id}: result unreadable ({src.problems[exp_id]}); rerun "
                         f"dlhw run {exp_id}.", "error")
    if exp_id not in src.registered:
        return Paragraph(f"{exp_id}: not run (no experiment is registered under this id yet).",
                         "notrun")
    return Paragraph(f"{exp_id}: not run. Run it with: dlhw run {exp_id} (or dlhw reproduce).",
                     "notrun")


def place_figure(exp_id: str, rel: str, src: Sources) -> str | None:
    """Copy a run's figure next to the report; its path relative to the report, or None.

    A PDF figure is replaced by its PNG (or SVG) twin, for the Markdown report; its vector twin
    (PDF or SVG, see :func:`vector_twin`) is copied beside it for the PDF report."""
    path = src.folder(exp_id) / rel
    if path.suffix.lower() not in _IMAGE_SUFFIXES:
        twins = [path.with_suffix(s) for s in _IMAGE_SUFFIXES if path.with_suffix(s).is_file()]
        path = twins[0] if twins else path
    if not path.is_file() or path.suffix.lower() not in _IMAGE_SUFFIXES:
        return None
    run_dir = src.folder(exp_id).resolve()
    inside = path.resolve().is_relative_to(run_dir)
    dest = src.out_dir / "figures" / exp_id / (path.resolve().relative_to(run_dir) if inside
                                                else Path(path.name))
    dest.parent.mkdir(parents=True, exist_ok=True)
    atomic_copy(path, dest)
    for suffix in _VECTOR_SUFFIXES:
        if path.with_suffix(suffix).is_file() and suffix != path.suffix.lower():
            atomic_copy(path.with_suffix(suffix), dest.with_suffix(suffix))
    return dest.relative_to(src.out_dir).as_posix()


def vector_twin(placed: str, src: Sources) -> str | None:
    """The vector version (PDF, then SVG) of a placed figure, if the run wrote one: Typst embeds
    it as vector graphics, so the PDF report's curves and labels stay sharp at any zoom."""
    for suffix in _VECTOR_SUFFIXES:
        twin = Path(placed).with_suffix(suffix)
        if (src.out_dir / twin).is_file():
            return twin.as_posix()
    return None


def labelled_value(v: object) -> str:
    """A metric's value as report text, its keys as human labels: a grid's ``{config id: value}``
    reads ``learning rate 0.001: 0.7260; ...``, a configuration ``learning rate = 0.001, ...``."""
    if not isinstance(v, Mapping):
        return fmt_value(v)
    ids = [str(k) for k in v if config_label(str(k)) != str(k)]
    if ids:
        return "; ".join(f"{config_label(str(k))}: {fmt_value(x)}" for k, x in v.items())
    return ", ".join(f"{metric_label(str(k))} ({labelled_value(x)})" if isinstance(x, Mapping)
                     else f"{metric_label(str(k))} = {fmt_value(x)}" for k, x in v.items())


def labelled_table(t: Table) -> Table:
    """``t`` with human column labels (``best_dev_accuracy`` -> ``best validation accuracy``)."""
    return Table(columns=[metric_label(c) for c in t.columns], rows=t.rows, highlight=t.highlight,
                 caption=t.caption)


def run_blocks(exp_id: str, show: dict[str, list[str]], src: Sources, first: bool) -> list[Block]:
    """The blocks of one run in one section: facts, numbers, tables, figures, notes."""
    r = src.results.get(exp_id)
    if r is None:
        return [not_run_line(exp_id, src)]
    blocks: list[Block] = [Paragraph(run_line(exp_id, r), "meta")]
    config = {k: v for k, v in r.config.items() if is_displayable(v)}
    if first and config:
        blocks.append(Paragraph(f"Configuration: {labelled_value(config)}.", "meta"))
    rows = [(headline_label(k, r.key_metric), labelled_value(r.metrics[k])) for k in show["metrics"]]
    if rows:
        blocks.append(Metrics(rows))
    for name in show["tables"]:
        t = r.tables[name]
        blocks.append(TableBlock(labelled_table(t), t.caption or f"{r.title}: {figure_label(name)}"))
    for name in show["figures"]:
        placed = place_figure(exp_id, r.figures[name], src)
        caption = f"{figure_label(name)[:1].upper()}{figure_label(name)[1:]} ({r.title})."
        blocks.append(Figure(placed, caption, vector_twin(placed, src)) if placed else
                      Paragraph(f"figure {name} of {exp_id}: file {r.figures[name]} is missing "
                                f"from {src.folder(exp_id)}.", "error"))
    if first:
        blocks += [Paragraph(f"Note: {n}", "plain") for n in r.notes]
    return blocks


def answer_blocks(homework: str, section: Section, src: Sources) -> list[Block]:
    """The static answer and the discussion of ``section`` (either may be absent)."""
    out: list[Block] = []
    static = answer_path(section.mission_id, src.answers_root or answers.answers_root())
    if static is not None:
        out.append(TypstSource(section.mission_id, f"answers/{homework}/{section.answer}.typ",
                               static.read_text(encoding="utf-8"), "answer"))
    markup, error = answers.run_discussion(src.discussions, section.mission_id, src.results)
    if markup is not None:
        out.append(TypstSource(section.mission_id, f"discussions/{section.answer}.typ", markup,
                               "discussion"))
    if error is not None:
        out.append(Paragraph(error, "error"))
    return out


def body_blocks(outline: Outline, src: Sources) -> list[Block]:
    """Every part and section of ``outline``, in order, then unassigned runs of the homework."""
    sections = outline.sections()
    plan = {s.mission_id: section_experiments(s, src.registered) for s in sections}
    views: dict[tuple[str, str], dict[str, list[str]]] = {}
    for exp_id in dict.fromkeys(e for ids in plan.values() for e in ids):
        users = [s for s in sections if exp_id in plan[s.mission_id]]
        for s, v in zip(users, effective_views([s.view for s in users], src.results.get(exp_id))):
            views[(s.mission_id, exp_id)] = v
    blocks: list[Block] = []
    seen: set[str] = set()
    for part in outline.parts:
        blocks.append(Heading(1, f"Question {part.number}: {part.title}"))
        for s in part.sections:
            blocks += [Heading(2, f"{s.mission_id}: {s.heading}"), Paragraph(s.question, "question")]
            for exp_id in plan[s.mission_id]:
                blocks += run_blocks(exp_id, views[(s.mission_id, exp_id)], src, exp_id not in seen)
                seen.add(exp_id)
            extra = answer_blocks(outline.homework, s, src)
            if not extra and not plan[s.mission_id]:
                extra = [Paragraph(f"No written answer yet (expected in src/dlhw/answers/"
                                   f"{outline.homework}/{s.answer}.typ).", "pending")]
            blocks += extra
    return blocks + _other_runs(outline, src, seen)


def _other_runs(outline: Outline, src: Sources, seen: set[str]) -> list[Block]:
    """Registered runs of this homework that no section names."""
    others = [e for e in src.registered if e.startswith(outline.homework + ".") and e not in seen]
    blocks: list[Block] = [Heading(1, "Other experiments")] if others else []
    for exp_id in others:
        r = src.results.get(exp_id)
        blocks.append(Heading(2, exp_id))
        blocks += run_blocks(exp_id, effective_views([ALL], r)[0] if r else {}, src, True)
    return blocks

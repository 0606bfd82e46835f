"""The paragraph on each group member's contribution that the 2025-26 text requires.

"Please write 1 paragraph indicating clearly what was the contribution of each member of the
group in this project. A penalization of 10 points will be applied if this information is
missing." The report cannot know it, so it reads it from a file: ``--contributions FILE`` of
``dlhw report``, else ``contributions.md`` (or ``.txt``) beside the runs folder (the working
directory with the default ``runs/``). Without one, the report shows a visible placeholder that
says how to add it, so a missing paragraph cannot go unnoticed.
"""

from __future__ import annotations

from pathlib import Path

from dlhw.errors import ConfigError
from dlhw.report.blocks import Block, Heading, Paragraph

FILE_NAMES = ("contributions.md", "contributions.txt")
HOMEWORKS = ("hw2526",)  # the texts that ask for the paragraph
HEADING = "Contribution of each group member"


def find_contributions(explicit: str | Path | None, runs_root: Path) -> Path | None:
    """``explicit`` (which must exist), else the first of :data:`FILE_NAMES` beside ``runs_root``."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"contributions file {path} does not exist; write the paragraph there "
                              f"or leave out --contributions")
        return path
    for name in FILE_NAMES:
        path = Path(runs_root).parent / name
        if path.is_file():
            return path
    return None


def contribution_blocks(homework: str, path: Path | None) -> list[Block]:
    """The heading and the paragraph(s) of ``path`` for a homework that asks for them, else []."""
    if homework not in HOMEWORKS:
        return []
    text = path.read_text(encoding="utf-8").strip() if path is not None else ""
    if not text:
        where = f"{path} is empty" if path is not None else "no contributions file was found"
        return [Heading(1, HEADING),
                Paragraph(f"MISSING: the text requires one paragraph stating what each group member "
                          f"contributed (10 points are deducted without it), and {where}. Write it in "
                          f"contributions.md beside the runs folder, or pass dlhw report "
                          f"--contributions FILE, and rebuild the report.", "pending")]
    return [Heading(1, HEADING), *[Paragraph(" ".join(p.split()), "plain")
                                   for p in text.split("\n\n") if p.strip()]]

"""Where data sets are looked for, in order.

1. the ``data_dir`` argument (``--data-dir``),
2. ``$DLHW_DATA_DIR``,
3. the user cache, ``$DLHW_CACHE_DIR`` or ``$XDG_CACHE_HOME/dlhw`` (default ``~/.cache/dlhw``),
   where ``dlhw data fetch NAME`` downloads to,
4. known system folders (Debian's ``dataset-fashion-mnist`` installs to
   ``/usr/share/datasets/fashion-mnist/``).

Inside each root a data set lives in a subfolder named after it (``<root>/fashion-mnist/``);
a root that *is* that folder is accepted too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

SYSTEM_DIRS = {"fashion-mnist": (Path("/usr/share/datasets/fashion-mnist"),)}


def cache_dir() -> Path:
    """The user cache folder of dlhw (created on demand by the fetchers)."""
    if os.environ.get("DLHW_CACHE_DIR"):
        return Path(os.environ["DLHW_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dlhw"


def search_roots(data_dir: str | os.PathLike | None) -> list[Path]:
    """The roots in search order (duplicates removed); a given ``data_dir`` must exist (it is
    never skipped silently in favour of ``$DLHW_DATA_DIR``)."""
    roots: list[Path] = []
    if data_dir is not None:
        if not Path(data_dir).is_dir():
            from dlhw.errors import DataError

            raise DataError(f"--data-dir {data_dir} does not exist or is not a folder; give the "
                            f"folder that holds the data sets, or leave the option out")
        roots.append(Path(data_dir))
    if os.environ.get("DLHW_DATA_DIR"):
        roots.append(Path(os.environ["DLHW_DATA_DIR"]))
    roots.append(cache_dir())
    return list(dict.fromkeys(roots))


def candidate_dirs(name: str, data_dir: str | os.PathLike | None) -> list[Path]:
    """Every folder that may hold data set ``name``, in search order."""
    dirs: list[Path] = []
    for root in search_roots(data_dir):
        dirs += [root / name, root]
    dirs += list(SYSTEM_DIRS.get(name, ()))
    return list(dict.fromkeys(dirs))


def find_first(name: str, data_dir: str | os.PathLike | None,
               filesets: Iterable[tuple[str, ...]]) -> tuple[Path, tuple[str, ...]] | None:
    """The first folder (in search order) holding every file of one of ``filesets``.

    Returns ``(folder, fileset)`` or None. Each fileset lists alternatives tried in order,
    e.g. the gzipped IDX files, then the raw ones.
    """
    filesets = list(filesets)
    for folder in candidate_dirs(name, data_dir):
        for files in filesets:
            if all((folder / f).is_file() for f in files):
                return folder, files
    return None


def require(name: str, data_dir: str | os.PathLike | None, filesets: Iterable[tuple[str, ...]],
            what: str, fix: str) -> tuple[Path, tuple[str, ...]]:
    """Like :func:`find_first`, but a missing data set raises a DataError listing where it looked."""
    from dlhw.errors import DataError

    found = find_first(name, data_dir, filesets)
    if found is None:
        looked = ", ".join(str(d) for d in candidate_dirs(name, data_dir))
        raise DataError(f"{what} not found (looked in {looked}); {fix}")
    return found

"""Downloads into the user cache (``dlhw data fetch NAME``); never called by the tests' loaders.

Each data set has one or more *sources* (tried in order, or one chosen with ``source=``), and
each source names the official URL and, where one is known, the file's checksum, which pooch
verifies; on top of that every file is checked by its loader (the decompressed sha256 of the IDX
files, the content digest of the Ames table, the structure of the others). A failed or corrupt
download is deleted and raises a :class:`~dlhw.errors.DataError` whose one line names the source
and what to do. ``base_url`` points at a mirror (or a test server) holding the files under their
names; with a mirror, the file-level hash is skipped (mirrors such as Debian's re-compress the
files) and the content check alone decides.

EMNIST Letters: the course's ``emnist-letters.npz`` (Google Drive; Drive often refuses with its
download quota), then the official NIST archive ``gzip.zip`` (about 536 MB; sha256 as published
by several independent mirrors and tensorflow-datasets' registry, md5 as in torchvision), of which
only the four letters files are kept.
"""

from __future__ import annotations

import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from dlhw.data.locate import cache_dir
from dlhw.errors import ConfigError, DataError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Remote:
    """One downloadable file: its name in the cache, URL and pooch hash (or None).

    ``members``: for an archive, the members extracted (flat) into the folder; the archive itself
    is deleted afterwards.
    """

    fname: str
    url: str
    known_hash: str | None
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    """One way to get a data set: a name for ``--source``, a description, its files."""

    name: str
    what: str
    remotes: tuple[Remote, ...]


FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
EMNIST_DRIVE_ID = "1HiWdETnSyHR1VeHu_000th2Zip5WuLq3"  # the 2025-26 course's emnist-letters.npz
NIST_URL = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
NIST_SHA256 = "fb9bb67e33772a9cc0b895e4ecf36d2cf35be8b709693c3564cea2a019fcda8e"
NIST_LETTERS = tuple(f"emnist-letters-{s}-{k}-idx{d}-ubyte.gz"
                     for s in ("train", "test") for k, d in (("images", 3), ("labels", 1)))
AMES_URL = "https://jse.amstat.org/v19n3/decock/AmesHousing.txt"

SOURCES: dict[str, tuple[Source, ...]] = {
    "fashion-mnist": (Source("official", "Zalando's Fashion-MNIST files", tuple(
        Remote(f, FASHION_URL + f, "md5:" + md5) for f, md5 in (
            ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
            ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
            ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
        ))),),
    "emnist-letters": (
        # The course shares no checksum for its Drive file: the loader checks keys, shapes, labels.
        Source("course", "the course's emnist-letters.npz on Google Drive",
               (Remote("emnist-letters.npz", f"gdrive:{EMNIST_DRIVE_ID}", None),)),
        Source("nist", "the official NIST EMNIST archive",
               (Remote("gzip.zip", NIST_URL, "sha256:" + NIST_SHA256, members=NIST_LETTERS),)),
    ),
    # The raw table (tab-separated); the course's ames.npz is not public, so `prepare` builds it.
    # JSE publishes no checksum: the parsed table's content digest is pinned (ames.TABLE_SHA256).
    "ames": (Source("official", "the Journal of Statistics Education's Ames table",
                    (Remote("AmesHousing.txt", AMES_URL, None),)),),
}


def source_names(name: str) -> tuple[str, ...]:
    """The ``--source`` choices of data set ``name``."""
    return tuple(s.name for s in SOURCES[name])


def _brief(exc: BaseException) -> str:
    """``Type: first line of the message`` (at most 160 characters)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text if len(text) <= 160 else text[:157] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _download_gdrive(file_id: str, dest: Path, progress: bool) -> None:
    """Google Drive via gdown; every failure (network, quota, HTML page) becomes one DataError."""
    import gdown

    tmp = dest.with_suffix(dest.suffix + ".part")
    url = f"https://drive.google.com/uc?id={file_id}"
    try:
        out = gdown.download(id=file_id, output=str(tmp), quiet=not progress)
    except Exception as exc:  # gdown raises requests errors, FileURLRetrievalError, OSError...
        tmp.unlink(missing_ok=True)
        raise DataError(f"Google Drive refused or failed ({_brief(exc)}); Drive often hits its "
                        f"download quota: wait and rerun, or open {url} in a browser and save the "
                        f"file into {dest.parent}") from None
    if out is None or not tmp.exists():
        raise DataError(f"Google Drive sent no file; open {url} in a browser and save the file "
                        f"into {dest.parent}")
    os.replace(tmp, dest)


def _retrieve(remote: Remote, folder: Path, base_url: str | None, progress: bool) -> None:
    """Download one remote into ``folder`` (pooch; skipped if present with the right hash)."""
    import pooch

    target = folder / remote.fname
    if remote.members and all((folder / m).is_file() for m in remote.members):
        return  # extracted before
    if base_url is None and remote.url.startswith("gdrive:"):
        if not target.exists():
            _download_gdrive(remote.url.split(":", 1)[1], target, progress)
        return
    url = remote.url if base_url is None else base_url.rstrip("/") + "/" + remote.fname
    known_hash = remote.known_hash if base_url is None else None
    if not log.isEnabledFor(logging.WARNING):  # -q: pooch's "Downloading ..." lines too
        pooch.get_logger().setLevel(logging.ERROR)
    try:
        pooch.retrieve(url, known_hash=known_hash, fname=remote.fname, path=folder,
                       progressbar=progress)
    except ValueError as exc:  # pooch: hash mismatch (it deletes the file)
        raise DataError(f"{url} failed its checksum ({_brief(exc)}); the download is corrupt or "
                        f"the file changed: rerun the command, or try another source") from None
    except Exception as exc:  # network errors come in many types (requests, OSError)
        raise DataError(f"downloading {url} failed ({_brief(exc)}); check the network and rerun, "
                        f"or download it by hand into {folder}") from None
    if remote.members:
        _extract(target, remote.members, folder)


def _extract(archive: Path, members: tuple[str, ...], folder: Path) -> None:
    """Extract ``members`` (matched by base name) flat into ``folder``, then delete the archive."""
    try:
        with zipfile.ZipFile(archive) as zf:
            names = {Path(n).name: n for n in zf.namelist()}
            missing = [m for m in members if m not in names]
            if missing:
                raise DataError(f"{archive} lacks {missing}: not the expected archive; delete it "
                                f"and try another source")
            for m in members:
                tmp = folder / (m + ".part")
                tmp.write_bytes(zf.read(names[m]))
                os.replace(tmp, folder / m)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"{archive} is not a readable zip archive ({_brief(exc)}); the download "
                        f"is corrupt: rerun the command") from None
    finally:
        archive.unlink(missing_ok=True)


def fetch(name: str, *, source: str | None = None, base_url: str | None = None,
          dest_dir: str | os.PathLike | None = None, progress: bool = True) -> Path:
    """Download data set ``name`` into ``dest_dir`` (default: the user cache) and verify it.

    ``source``: one of :func:`source_names` (default: each in turn until one works). Returns the
    folder holding the files. Files already present and valid are not downloaded again. Raises
    DataError with one line naming each source tried and what to do.
    """
    from dlhw.logs import bars_shown

    if name not in SOURCES:
        raise ConfigError(f"unknown data set {name!r}; choose one of {', '.join(SOURCES)}")
    progress = bars_shown(progress)  # tqdm's rules: no bar when stderr is not a terminal
    sources = SOURCES[name]
    if source is not None:
        sources = tuple(s for s in sources if s.name == source)
        if not sources:
            raise ConfigError(f"unknown source {source!r} for {name}; choose one of "
                              f"{', '.join(source_names(name))}")
    folder = Path(dest_dir) if dest_dir is not None else cache_dir() / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create {folder} ({exc.strerror}); choose another folder with "
                        f"--dest or DLHW_CACHE_DIR") from None
    failures = []
    for i, src in enumerate(sources):
        try:
            for remote in src.remotes:
                _retrieve(remote, folder, base_url, progress)
            _verify(name, folder, src)
            return folder
        except DataError as exc:
            failures.append(f"{src.what} ({src.name}): {exc}")
            if i + 1 < len(sources):
                log.warning("%s: %s failed (%s); trying %s", name, src.what, exc, sources[i + 1].what)
    if len(failures) == 1:
        raise DataError(f"{name}: {failures[0]}")
    raise DataError(f"{name}: every source failed: " + " | ".join(failures))


def _verify(name: str, folder: Path, src: Source) -> None:
    """Load what was downloaded; on failure delete this source's files so a retry starts clean."""
    from dlhw.data import load

    try:
        if name == "ames":
            from dlhw.data.ames import check_table

            for remote in src.remotes:
                check_table(folder / remote.fname)
        load(name, data_dir=folder)
    except DataError:
        for remote in src.remotes:
            for f in (remote.fname, *remote.members):
                (folder / f).unlink(missing_ok=True)
        raise

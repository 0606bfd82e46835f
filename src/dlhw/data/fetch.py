"""Downloads into the user cache (``dlhw data fetch NAME``); never called by the tests' loaders.

Each source names the official URL and, where one is published, the file's checksum, which
pooch verifies; on top of that every file is checked by its loader (the decompressed sha256 of
the IDX files, the structure of the others). A failed or corrupt download is deleted and raises
a :class:`~dlhw.errors.DataError`. ``base_url`` points at a mirror (or a test server); with a
mirror, the file-level hash is skipped (mirrors such as Debian's re-compress the files) and the
content check alone decides.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dlhw.data.locate import cache_dir
from dlhw.errors import ConfigError, DataError


@dataclass(frozen=True)
class Remote:
    """One downloadable file: its name in the cache, official URL and pooch hash (or None)."""

    fname: str
    url: str
    known_hash: str | None


FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
EMNIST_DRIVE_ID = "1HiWdETnSyHR1VeHu_000th2Zip5WuLq3"  # the 2025-26 course's emnist-letters.npz
AMES_URL = "https://jse.amstat.org/v19n3/decock/AmesHousing.txt"

SOURCES: dict[str, tuple[Remote, ...]] = {
    "fashion-mnist": tuple(
        Remote(f, FASHION_URL + f, "md5:" + md5) for f, md5 in (
            ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
            ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
            ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
        )),
    # The course shares no checksum for its Google Drive file: the loader checks keys, shapes and labels.
    "emnist-letters": (Remote("emnist-letters.npz", f"gdrive:{EMNIST_DRIVE_ID}", None),),
    # The raw table (tab-separated); the course's ames.npz is not public, so `prepare` builds it.
    "ames": (Remote("AmesHousing.txt", AMES_URL, None),),
}


def _download_gdrive(file_id: str, dest: Path) -> None:
    import gdown

    tmp = dest.with_suffix(dest.suffix + ".part")
    out = gdown.download(id=file_id, output=str(tmp), quiet=False)
    if out is None or not tmp.exists():
        raise DataError(f"download of Google Drive file {file_id} failed; check the network or "
                        f"download it by hand into {dest.parent}")
    os.replace(tmp, dest)


def fetch(name: str, *, base_url: str | None = None, dest_dir: str | os.PathLike | None = None,
          progress: bool = True) -> Path:
    """Download data set ``name`` into ``dest_dir`` (default: the user cache) and verify it.

    Returns the folder holding the files. Files already present and valid are not downloaded again.
    """
    import pooch

    if name not in SOURCES:
        raise ConfigError(f"unknown data set {name!r}; choose one of {', '.join(SOURCES)}")
    folder = Path(dest_dir) if dest_dir is not None else cache_dir() / name
    folder.mkdir(parents=True, exist_ok=True)
    for remote in SOURCES[name]:
        target = folder / remote.fname
        if base_url is None and remote.url.startswith("gdrive:"):
            if not target.exists():
                _download_gdrive(remote.url.split(":", 1)[1], target)
            continue
        url = remote.url if base_url is None else base_url.rstrip("/") + "/" + remote.fname
        known_hash = remote.known_hash if base_url is None else None
        try:
            pooch.retrieve(url, known_hash=known_hash, fname=remote.fname, path=folder,
                           progressbar=progress)
        except ValueError as exc:  # pooch: hash mismatch (it deletes the file)
            raise DataError(f"{url} failed its checksum ({exc}); the download is corrupt, try again "
                            f"or use another mirror (--base-url)") from None
        except Exception as exc:  # network errors come in many types (requests, OSError)
            raise DataError(f"downloading {url} failed ({type(exc).__name__}: {exc}); check the "
                            f"network, or copy the file into {folder} by hand") from None
    _verify(name, folder)
    return folder


def _verify(name: str, folder: Path) -> None:
    """Load what was downloaded; on failure delete the files so a retry starts clean."""
    from dlhw.data import load

    try:
        load(name, data_dir=folder)
    except DataError:
        for remote in SOURCES[name]:
            (folder / remote.fname).unlink(missing_ok=True)
        raise

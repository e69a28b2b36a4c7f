"""Read files from a folder, a single file, or a .tar/.tar.gz/.tgz/.zip archive, by path.

Data sets stay where they are (``../shared/datasets``); nothing is extracted into the project.
"""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path
from typing import Iterator

from .errors import DatasetError

ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".zip")


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def iter_archive_files(path: str | Path, suffixes: tuple[str, ...] = ()) -> Iterator[tuple[str, bytes]]:
    """Yield ``(relative name, bytes)`` for every regular file whose name ends with one of ``suffixes``."""
    path = Path(path)
    wanted = tuple(s.lower() for s in suffixes)

    def keep(name: str) -> bool:
        base = name.rsplit("/", 1)[-1]
        return not base.startswith(".") and (not wanted or name.lower().endswith(wanted))

    if not path.exists():
        raise DatasetError(f"No file or folder at '{path}': check the path.")
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            rel = file.relative_to(path).as_posix()
            if keep(rel):
                yield rel, file.read_bytes()
    elif path.name.lower().endswith(".zip"):
        try:
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if not info.is_dir() and keep(info.filename):
                        yield info.filename, zf.read(info)
        except zipfile.BadZipFile as exc:
            raise DatasetError(f"'{path}' is not a readable zip archive ({exc}).") from exc
    elif is_archive(path):
        try:
            with tarfile.open(path) as tf:
                for member in tf:
                    if member.isfile() and keep(member.name):
                        handle = tf.extractfile(member)
                        if handle is not None:
                            yield member.name, handle.read()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise DatasetError(f"'{path}' is not a readable tar archive ({exc}).") from exc
    elif keep(path.name):
        yield path.name, path.read_bytes()

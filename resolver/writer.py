"""The one module that writes files: all-or-nothing, crash-safe replacement of a set of files.

Every file of a set is first written to a temporary file in its target folder, flushed and
fsynced; only when all of them exist are they renamed over their targets (``os.replace`` is atomic
on POSIX and Windows), then the folders are fsynced. A failure before the renames leaves every old
file as it was and removes the temporaries.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection
from pathlib import Path

from .errors import InputError


class WriteError(InputError):
    """A file set could not be written; nothing was replaced."""


def write_files(files: dict[Path, bytes], *, inside: Path | None = None, mode: dict[Path, int] | None = None) -> None:
    """Replace every path in ``files`` with its bytes, or none of them.

    ``inside``: refuse any path that does not resolve inside that folder, and any target that is
    a symbolic link. ``mode``: permissions to set on some files (set on the temporary before the
    rename, so a script is never visible half-written or without its mode).
    """
    mode = mode or {}
    if inside is not None:
        base = inside.resolve()
        for path in files:
            if path.is_symlink():
                raise WriteError(f"{path}: refusing to write through a symbolic link")
            if not path.resolve().is_relative_to(base):
                raise WriteError(f"{path}: outside {inside}")
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            staged.append((tmp, path))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode.get(path, 0o644))
        for tmp, path in staged:
            os.replace(tmp, path)
    except OSError as exc:
        for tmp, _ in staged:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
        raise WriteError(f"{exc.filename or 'output'}: {exc.strerror or exc}") from None
    for folder in {path.parent for path in files}:
        _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def replace_set(folder: Path, documents: dict[str, bytes], *, inside: Path,
                executable: Collection[str] = frozenset()) -> None:
    """Replace the file set in ``folder`` with ``documents``: all new files land (atomically, each
    renamed into place only once every one is staged), then files of the old set that the new one
    lacks are removed. Refuses a folder outside ``inside`` or reached through a symbolic link."""
    inside.mkdir(parents=True, exist_ok=True)
    if folder.is_symlink() or inside.is_symlink():
        raise WriteError(f"{folder}: refusing to write through a symbolic link")
    if not folder.resolve().is_relative_to(inside.resolve()):
        raise WriteError(f"{folder}: outside {inside}")
    old = {p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")} if folder.is_dir() else set()
    write_files({folder / name: data for name, data in documents.items()}, inside=inside,
                mode={folder / name: 0o755 for name in executable if name in documents})
    for name in sorted(old - set(documents)):
        (folder / name).unlink(missing_ok=True)

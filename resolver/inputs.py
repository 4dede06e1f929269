"""Reading input files that may come from someone else's repository: regular files only, a size
bound checked before reading, and no symbolic link (or linked folder) leading out of the tree the
user named.

A FIFO would block the read forever, ``/dev/zero`` never ends, and a link to ``/etc/passwd``
inside a repository would have its content quoted in error messages; :func:`read_bytes` refuses
all of them with an :class:`UnsafeInput` (exit code 2) that names the file and the reason.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from .errors import InputError

MiB = 1024 * 1024
# Control characters and line breaks (YAML also breaks lines at U+0085, U+2028 and U+2029): never
# allowed in a value that reaches a generated file or a message line.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_UNPRINTABLE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """``text`` for a terminal: control characters (an escape sequence in a hostile file would
    reach the screen) shown as ``?``; line breaks kept."""
    return _UNPRINTABLE.sub("?", text)


class UnsafeInput(InputError):
    """An input path that is not a regular file, is too large, or leads out of its tree."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


def tree_of(path: Path) -> Path:
    """The tree a path named on the command line belongs to: the folder named, or for a file the
    current folder when the file lies inside it (a repository checked from its root), else the
    file's own folder. Computed without following links."""
    absolute = Path(os.path.abspath(path))
    if os.path.isdir(absolute) and not os.path.islink(absolute):
        return absolute
    here = Path(os.path.abspath(os.curdir))
    return here if absolute.is_relative_to(here) else absolute.parent


def check_inside(path: Path, tree: Path) -> None:
    """Raise :class:`UnsafeInput` when ``path``, with every link followed, is not inside ``tree``."""
    try:
        real = Path(os.path.realpath(path))
        base = Path(os.path.realpath(tree))
    except (OSError, ValueError) as exc:
        raise UnsafeInput(str(path), f"cannot resolve: {exc}") from None
    if not real.is_relative_to(base):
        raise UnsafeInput(str(path), f"a symbolic link leading out of {tree} (to {real}); not read")


def read_bytes(path: Path, limit: int, *, tree: Path | None = None, head: bool = False) -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``limit`` bytes (and, with
    ``tree``, inside it once links are followed); with ``head``, the first ``limit`` bytes of a
    larger one. Never blocks on a FIFO or a device."""
    name = str(path)
    if tree is not None:
        check_inside(path, tree)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnsafeInput(name, f"cannot read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeInput(name, f"not a regular file ({_kind(info.st_mode)}); not read")
        if head:
            return os.read(fd, limit)
        if info.st_size > limit:
            raise UnsafeInput(name, f"{info.st_size} bytes, more than the {_size(limit)} envsolve reads")
        chunks, total = [], 0
        want = info.st_size + 1 if info.st_size else 1 << 16  # one read for a file that keeps its size
        while True:  # bounded even if the file grows while it is read
            chunk = os.read(fd, min(want, limit + 1 - total))
            want = 1 << 20
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise UnsafeInput(name, f"more than the {_size(limit)} envsolve reads")
        return b"".join(chunks)
    except OSError as exc:
        raise UnsafeInput(name, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    for test, word in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return word
    return "not a plain file"


def _size(limit: int) -> str:
    return f"{limit // MiB} MiB" if limit >= MiB else f"{limit} bytes"

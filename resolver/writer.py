"""The one module that writes files: all-or-nothing, crash-safe replacement of files and of whole
lock sets.

:func:`write_files` replaces single files: each is written to a temporary file in its folder,
flushed and fsynced; only when all of them exist are they renamed over their targets
(``os.replace`` is atomic on POSIX and Windows), then the folders are fsynced. A failure before the
renames leaves every old file as it was and removes the temporaries; temporaries a killed run left
behind are swept by a later write of the same file.

:func:`replace_set` replaces a lock set's folder as a whole, so that a kill at any instant leaves
the old set or the new one, never a mix:

1. an exclusive lock on the parent folder (concurrent writers take turns);
2. a sweep of what a killed writer left (its staging folder; a swap cut in half is completed);
3. the new set is written into a sibling staging folder ``.<name>.new-<token>``, every file
   fsynced, with the files the previous set did not own (the user's own, anything its
   ``envsolve.json`` did not list) carried over as hard links;
4. the staging folder and the set's folder are exchanged in one atomic ``renameat2(RENAME_EXCHANGE)``
   (Linux; ``renamex_np(RENAME_SWAP)`` on macOS). Where neither exists, two renames through
   ``.<name>.old-<token>``; a kill between them leaves both complete folders, and the next write
   (step 2) finishes the swap before anything else;
5. the old set, now in the staging folder's place, is removed.

Only files the previous ``envsolve.json`` listed are ever dropped; a file of the new set whose name
is taken by a file the previous set did not own is refused, and nothing is written.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError

STALE_TEMPORARY_S = 3600  # a temporary file this old belongs to a writer that died
MANIFEST = "envsolve.json"
_OLD_TMP = re.compile(r"^\.[A-Za-z0-9][A-Za-z0-9._-]*\.[a-z0-9_]{8}\.tmp$")  # write_files' temporaries


class WriteError(InputError):
    """A file set could not be written; nothing was replaced."""


def _step(name: str) -> None:
    """Called between the steps of a write (a no-op); tests replace it to kill the process there."""


def _error(exc: OSError, what: str = "output") -> WriteError:
    return WriteError(f"{exc.filename or what}: {exc.strerror or exc}")


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
            _sweep_temporaries(path)
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
            except OSError:
                pass
        raise _error(exc) from None
    for folder in {path.parent for path in files}:
        _fsync_dir(folder)


def _sweep_temporaries(path: Path) -> None:
    """Remove temporaries of ``path`` that a killed writer left (older than an hour: a live
    writer's are seconds old)."""
    prefix = f".{path.name}."
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        if entry.name.startswith(prefix) and _OLD_TMP.match(entry.name) and len(entry.name) == len(prefix) + 12:
            try:
                if entry.is_file(follow_symlinks=False) and now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMPORARY_S:
                    os.unlink(entry.path)
            except OSError:
                pass


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


# ---- whole lock sets ----------------------------------------------------------------------------

def replace_set(folder: Path, documents: dict[str, bytes], *, inside: Path,
                executable: Collection[str] = frozenset()) -> None:
    """Replace the lock set in ``folder`` with ``documents`` (file name -> bytes) as a whole.

    Files of the previous set (those its ``envsolve.json`` listed, and that manifest) are replaced
    or dropped; every other file in the folder is kept. Raises :class:`WriteError`, with nothing
    changed, for a folder outside ``inside`` or reached through a symbolic link, a document name
    taken by a file the previous set did not own, or a failed write."""
    for name in documents:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}", name):
            raise WriteError(f"{name!r}: not a file name a lock set may hold")
    try:
        inside.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _error(exc, str(inside)) from None
    if folder.is_symlink() or inside.is_symlink():
        raise WriteError(f"{folder}: refusing to write through a symbolic link")
    if not inside.is_dir():
        raise WriteError(f"{inside}: not a folder")
    parent = folder.parent
    if not folder.resolve().is_relative_to(inside.resolve()) or folder.name in ("", ".", ".."):
        raise WriteError(f"{folder}: outside {inside}")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        with _locked(parent):
            _step("locked")
            recover(parent, folder.name)
            _step("swept")
            _replace_locked(folder, documents, executable)
    except OSError as exc:
        raise _error(exc) from None


def _replace_locked(folder: Path, documents: dict[str, bytes], executable: Collection[str]) -> None:
    parent, name = folder.parent, folder.name
    exists = os.path.lexists(folder)
    if exists and not folder.is_dir():
        raise WriteError(f"{folder}: exists and is not a folder")
    owned = previous_files(folder) if exists else frozenset()
    keep: list[str] = []
    if exists:
        for entry in sorted(os.listdir(folder)):
            if entry in owned or _OLD_TMP.match(entry):
                continue  # the previous set's own files, and temporaries a killed run left
            if entry in documents:
                raise WriteError(f"{folder / entry}: not part of the previous lock set (its {MANIFEST} does not "
                                 "list it); move it away, or remove the folder, to write the set")
            keep.append(entry)
    token = secrets.token_hex(6)
    stage = parent / f".{name}.new-{token}"
    os.mkdir(stage)
    _step("staging")
    try:
        if exists:
            os.chmod(stage, stat.S_IMODE(os.stat(folder).st_mode))
        for doc, data in sorted(documents.items(), key=lambda kv: kv[0] == MANIFEST):  # the manifest last
            path = stage / doc
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o755 if doc in executable else 0o644)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(path, 0o755 if doc in executable else 0o644)
            _step("staged-file")
        for entry in keep:
            _carry(folder / entry, stage / entry)
            _step("carried")
        _fsync_dir(stage)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    _step("staged")
    if not exists:
        os.rename(stage, folder)
        _fsync_dir(parent)
        _step("renamed")
        return
    old = parent / f".{name}.old-{token}"
    if _exchange(stage, folder):
        _fsync_dir(parent)
        _step("exchanged")
        shutil.rmtree(stage, ignore_errors=True)  # the old set, now where the staging folder was
    else:
        os.rename(folder, old)
        _step("moved-old")
        os.rename(stage, folder)
        _fsync_dir(parent)
        _step("renamed")
        shutil.rmtree(old, ignore_errors=True)
    _step("removed-old")


def previous_files(folder: Path) -> frozenset[str]:
    """The files of the lock set in ``folder``: its manifest and every file the manifest lists.
    Empty when there is no manifest; an unreadable manifest is an error (whose files are whose
    cannot be told)."""
    from .lockread import LockParseError, read_envsolve

    manifest = folder / MANIFEST
    if not os.path.lexists(manifest):
        return frozenset()
    try:
        meta = read_envsolve(manifest, tree=folder).meta or {}
    except LockParseError as exc:
        raise WriteError(f"{exc}; cannot tell the previous set's files from others: move the folder away, or "
                         "remove it, to write the set") from None
    return frozenset(meta["lock"]["files"]) | {MANIFEST}


def _carry(source: Path, dest: Path) -> None:
    """Put a file the previous set did not own into the new folder: a hard link (a copy where links
    are refused), links as links, folders entry by entry."""
    info = os.lstat(source)
    if stat.S_ISDIR(info.st_mode):
        os.mkdir(dest)
        for entry in sorted(os.listdir(source)):
            _carry(source / entry, dest / entry)
        shutil.copystat(source, dest, follow_symlinks=False)
        return
    try:
        os.link(source, dest, follow_symlinks=False)
    except OSError:
        if stat.S_ISLNK(info.st_mode):
            os.symlink(os.readlink(source), dest)
        elif stat.S_ISREG(info.st_mode):
            shutil.copy2(source, dest, follow_symlinks=False)
        else:
            raise


def recover(parent: Path, name: str) -> None:
    """Finish or undo what a killed writer of ``parent/name`` left (call it holding the lock): a
    swap cut between its two renames is completed (the new set was whole before the old one moved),
    then every staging and old folder is removed."""
    pattern = re.compile(rf"^\.{re.escape(name)}\.(new|old)-([0-9a-f]{{12}})$")
    try:
        entries = [(m.group(1), m.group(2), e) for e in sorted(os.listdir(parent)) for m in [pattern.match(e)] if m]
    except FileNotFoundError:
        return
    if not entries:
        return
    if not os.path.lexists(parent / name):
        olds = {token for kind, token, _ in entries if kind == "old"}
        news = {token for kind, token, _ in entries if kind == "new"}
        for token in sorted(olds):
            if token in news:
                os.rename(parent / f".{name}.new-{token}", parent / name)  # roll forward
            else:
                os.rename(parent / f".{name}.old-{token}", parent / name)  # roll back
            _fsync_dir(parent)
            break
    for _, _, entry in entries:
        path = parent / entry
        if os.path.lexists(path):
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock held on ``folder`` (flock on the folder itself, so nothing is left behind;
    a lock file where there is no flock)."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        path = folder / ".envsolve.lock"
        fh = open(path, "a+b")
        try:
            while True:
                try:
                    msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
                    break
                except OSError:
                    continue
            yield
        finally:
            fh.close()
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # linux/fs.h
_RENAME_SWAP = 2  # macOS sys/stdio.h
EXCHANGE = True  # tests set it False to exercise the two-rename path


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders atomically; False where the system offers no such call."""
    if not EXCHANGE:
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        call = libc.renameat2
        call.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        result = call(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    elif sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        call = libc.renamex_np
        call.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_uint]
        result = call(os.fsencode(a), os.fsencode(b), _RENAME_SWAP)
    else:
        return False
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in {errno.EINVAL, errno.ENOSYS, getattr(errno, "EOPNOTSUPP", -1), getattr(errno, "ENOTSUP", -1)}:
        return False  # this file system cannot exchange: fall back to two renames
    raise OSError(err, os.strerror(err), str(b))

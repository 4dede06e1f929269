"""Readers for lockfiles envsolve checks: requirements*.txt, pylock*.toml, conda-lock.yml,
envsolve.json. Each returns a :class:`LockedFile` or raises :class:`LockParseError` naming the
file and line; nothing else escapes, whatever the bytes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .errors import InputError

_OPTION = re.compile(r"^(-[a-zA-Z]|--[a-z][a-z-]*)(?:[ =]\s*(.*))?$")
_CONFLICT = ("<<<<<<< ", ">>>>>>> ", "=======")


class LockParseError(InputError):
    def __init__(self, file: str, line: int | None, message: str):
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")
        self.file, self.line, self.message = file, line, message


class Pin(NamedTuple):
    name: str  # canonical
    version: str | None  # None: not pinned with ==
    extras: tuple[str, ...]
    hashes: tuple[str, ...]  # "sha256:..." as written
    line: int | None
    url: str | None  # a direct artifact URL, where the format has one
    wheels: tuple[str, ...] = ()  # the wheel file names the lock names for it, where the format has them


class LockedFile(NamedTuple):
    path: str
    kind: str  # requirements | pylock | conda-lock | envsolve
    pins: tuple[Pin, ...]
    options: tuple[tuple[str, str, int], ...]  # (option, value, line): --index-url, --extra-index-url...
    platform: str | None  # linux-x86_64..., when the file says
    python: str | None
    meta: dict | None  # envsolve.json's content


def _text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LockParseError(str(path), None, f"cannot read: {exc.strerror}") from None
    if not data.strip():
        raise LockParseError(str(path), None, "file is empty")
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise LockParseError(str(path), data[: exc.start].count(b"\n") + 1, "not UTF-8") from None
    if "\x00" in text:
        raise LockParseError(str(path), text[: text.index("\x00")].count("\n") + 1, "file contains a NUL byte")
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.startswith(_CONFLICT[:2]) or raw == _CONFLICT[2]:
            raise LockParseError(str(path), number, "unresolved git merge conflict marker")
    return text.replace("\r\n", "\n")


def read_requirements(path: Path) -> LockedFile:
    text = _text(path)
    pins, options = [], []
    logical: list[tuple[int, str]] = []
    buf, start = "", None
    raw_lines = text.split("\n")
    if raw_lines and raw_lines[-1] == "":
        raw_lines.pop()  # the newline that ends the last line
    for number, raw in enumerate(raw_lines, 1):
        line = raw.split(" #")[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if start is None:
            start = number
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        if buf.strip():
            logical.append((start, buf.strip()))
        buf, start = "", None
    if buf.strip():
        raise LockParseError(str(path), start, "file ends inside a line continuation (truncated?)")
    for number, line in logical:
        if "${" in line:
            raise LockParseError(str(path), number, "environment-variable expansion '${...}' is not allowed in a lockfile")
        if line.startswith("-"):
            m = _OPTION.match(line)
            if not m:
                raise LockParseError(str(path), number, f"cannot read option {line[:60]!r}")
            options.append((m.group(1), (m.group(2) or "").strip(), number))
            continue
        parts = line.split(" --hash")
        try:
            req = Requirement(parts[0].strip())
        except InvalidRequirement as exc:
            raise LockParseError(str(path), number, f"not a requirement: {exc}") from None
        hashes = []
        for h in parts[1:]:
            value = h.lstrip("=").strip()
            if not re.fullmatch(r"[a-z0-9]+:[0-9a-fA-F]+", value):
                raise LockParseError(str(path), number, f"malformed --hash {value[:40]!r}")
            hashes.append(value.lower())
        pins_eq = [s.version for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
        pins.append(Pin(canonicalize_name(req.name), pins_eq[0] if len(req.specifier) == 1 and pins_eq else None,
                        tuple(sorted(req.extras)), tuple(hashes), number, req.url))
    return LockedFile(str(path), "requirements", tuple(pins), tuple(options), None, None, None)


def read_pylock(path: Path) -> LockedFile:
    from .compat import tomllib

    from packaging.pylock import Pylock, PylockUnsupportedVersionError, PylockValidationError

    text = _text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise LockParseError(str(path), line, f"not valid TOML: {str(exc).split(' (at line')[0]}") from None
    try:
        lock = Pylock.from_dict(data)
        lock.validate()
    except PylockUnsupportedVersionError as exc:
        raise LockParseError(str(path), None, f"unsupported lock-version: {exc}") from None
    except (PylockValidationError, TypeError, ValueError, KeyError) as exc:
        raise LockParseError(str(path), None, f"not a valid PEP 751 lock: {exc}") from None
    pins = []
    for p in lock.packages:
        hashes = tuple(f"{algo}:{digest}" for w in (p.wheels or ()) for algo, digest in sorted(w.hashes.items()))
        url = next((w.url for w in (p.wheels or ()) if w.url), None)
        names = tuple(w.name or (w.url or "").rsplit("/", 1)[-1] for w in (p.wheels or ()))
        pins.append(Pin(canonicalize_name(p.name), str(p.version) if p.version else None, (), hashes, None, url,
                        tuple(n for n in names if n.endswith(".whl"))))
    tool = (lock.tool or {}).get("envsolve", {})
    options = tuple(("--index", p.index, 0) for p in lock.packages if p.index)
    return LockedFile(str(path), "pylock", tuple(pins), options, tool.get("platform"), tool.get("python"), None)


def read_conda_lock(path: Path) -> LockedFile:
    import yaml

    text = _text(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LockParseError(str(path), mark.line + 1 if mark else None, "not valid YAML") from None
    if not isinstance(data, dict) or "version" not in data:
        raise LockParseError(str(path), None, "not a conda-lock file: no 'version'")
    from conda_lock.lockfile import parse_conda_lock_file

    try:
        lock = parse_conda_lock_file(path)
    except Exception as exc:  # conda-lock raises pydantic and its own errors; all mean "unreadable"
        raise LockParseError(str(path), None, f"conda-lock cannot read it: {str(exc).splitlines()[0]}") from None
    pins = [Pin(canonicalize_name(p.name), p.version, (), tuple(f"sha256:{p.hash.sha256}" for _ in [0] if p.hash.sha256),
                None, p.url, tuple(n for n in [str(p.url or "").rsplit("/", 1)[-1]] if n.endswith(".whl")))
            for p in lock.package]
    return LockedFile(str(path), "conda-lock", tuple(pins), (), None, None, None)


def read_envsolve(path: Path) -> LockedFile:
    text = _text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockParseError(str(path), exc.lineno, f"not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("schema") != "envsolve.solution/1" or not isinstance(data.get("lock"), dict):
        raise LockParseError(str(path), None, "not an envsolve lock set manifest (schema envsolve.solution/1 with 'lock')")
    try:
        artifacts = data["lock"].get("artifacts") or {}
        pins = tuple(Pin(canonicalize_name(p["name"]), p["version"], tuple(p.get("extras", ())), (), None, None,
                         tuple(str(a.get("filename", "")) for a in artifacts.get(p["name"], ()) if isinstance(a, dict)))
                     for p in data["packages"])
        target = data["target"]
    except (KeyError, TypeError, AttributeError) as exc:
        raise LockParseError(str(path), None, f"manifest field missing or malformed: {exc}") from None
    return LockedFile(str(path), "envsolve", pins, (), target.get("platform"), target.get("python"), data)


def read(path: Path) -> LockedFile:
    name = path.name
    if name == "envsolve.json":
        return read_envsolve(path)
    if name.startswith("pylock") and name.endswith(".toml"):
        return read_pylock(path)
    if name.endswith((".yml", ".yaml")) and "conda-lock" in name:
        return read_conda_lock(path)
    if name.endswith(".txt"):
        return read_requirements(path)
    raise LockParseError(str(path), None, "not a lockfile envsolve reads (requirements*.txt, pylock*.toml, "
                                          "conda-lock.yml, envsolve.json)")

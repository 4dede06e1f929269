"""Readers for lockfiles envsolve checks: requirements and constraints files (pip's syntax,
per-line options included), PEP 751 pylock files, uv.lock, conda-lock.yml, envsolve.json. Each
returns a :class:`LockedFile` or raises :class:`LockParseError` naming the file and line; nothing
else escapes, whatever the bytes.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any, NamedTuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .errors import InputError
from .inputs import MiB, UnsafeInput, printable, read_bytes

MAX_LOCKFILE = 32 * MiB  # a 5,000-package lock with hashes is under 5 MiB
_OPTION = re.compile(r"^(-[a-zA-Z]|--[a-z][a-z-]*)(?:=(.*))?$")
# pip options that take no value; every other option in a requirements file takes one.
_FLAGS = frozenset({"--pre", "--prefer-binary", "--require-hashes", "--no-index"})
_CONFLICT = ("<<<<<<< ", ">>>>>>> ", "=======")
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")  # a file of a lock set: no folder, no "..", no dot-file
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class LockParseError(InputError):
    def __init__(self, file: str, line: int | None, message: str):
        message = printable(message).replace("\n", " ")  # text quoted from a hostile file stays one inert line
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
    local: bool = False  # the project itself or a folder of it (".", "-e .", a pylock/uv.lock directory entry)
    index: str | None = None  # type: ignore[assignment]  # the index the lock names for it (pylock, uv.lock)
    file: str | None = None  # the file it is in, when that is an included file (-r) rather than the one checked


class LockedFile(NamedTuple):
    path: str
    kind: str  # requirements | pylock | conda-lock | envsolve
    pins: tuple[Pin, ...]
    options: tuple[tuple[str, str, int], ...]  # (option, value, line): --index-url, --extra-index-url...
    platform: str | None  # linux-x86_64..., when the file says
    python: str | None
    meta: dict | None  # envsolve.json's content
    unsafe_strategy: bool = False  # the text names uv's index strategy unsafe-best-match (comments included)
    problems: tuple[Problem, ...] = ()  # what the reader found wrong at one place, short of an unreadable file


class Problem(NamedTuple):
    """A finding the reader makes itself: an option pip ignores, a PEP 751 entry that breaks the spec."""

    line: int | None
    severity: str  # error | warning
    kind: str  # ignored-option | invalid | unhashed
    message: str


def _text(path: Path, tree: Path | None = None) -> str:
    try:
        data = read_bytes(path, MAX_LOCKFILE, tree=tree)
    except UnsafeInput as exc:
        raise LockParseError(str(path), None, exc.reason) from None
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


def read_requirements(path: Path, tree: Path | None = None) -> LockedFile:
    text = _text(path, tree)
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
    problems: list[Problem] = []
    for number, line in logical:
        if "${" in line:
            raise LockParseError(str(path), number, "environment-variable expansion '${...}' is not allowed in a lockfile")
        if line.startswith("-"):
            options += _options(str(path), number, line)
            continue
        # As pip splits a requirement line: the requirement ends at the first word that starts with
        # "-"; the rest are per-requirement options (pip applies --hash and --config-settings, and
        # parses but ignores the others).
        words = line.split(" ")
        cut = next((i for i, w in enumerate(words) if w.startswith("-")), len(words))
        text_req, hashes = " ".join(words[:cut]).strip(), []
        for option, value, _ in _options(str(path), number, " ".join(words[cut:])) if cut < len(words) else ():
            if option == "--hash":
                if not re.fullmatch(r"[a-z0-9]+:[0-9a-fA-F]+", value):
                    raise LockParseError(str(path), number, f"malformed --hash {value[:40]!r}")
                hashes.append(value.lower())
            elif option not in ("--config-settings", "-C", "--global-option"):
                problems.append(Problem(number, "warning", "ignored-option",
                                        f"pip ignores {option}{' ' + value if value else ''} on a requirement line; "
                                        "give it a line of its own"))
        pins.append(_requirement(str(path), number, text_req, tuple(hashes)))
    # An input (.in) pins nothing by design; a constraints file installs nothing (the requirements
    # file that names it chooses the index).
    kind = "requirements-in" if path.name.endswith(".in") else "constraints" if "constraints" in path.name \
        else "requirements"
    return LockedFile(str(path), kind, tuple(pins), tuple(options), None, None, None,
                      "unsafe-best-match" in text, tuple(problems))


_LOCAL = re.compile(r"^(\.{1,2}(/|$)|/|~|file:)")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://")


def _requirement(file: str, number: int, text: str, hashes: tuple[str, ...]) -> Pin:
    """One requirement as pip reads it: ``name==1.0``, ``name @ URL``, a local path (``.``,
    ``./pkg``, ``file:...``: the project itself) or a bare URL to an archive."""
    if _LOCAL.match(text):
        return Pin(text, None, (), hashes, number, text, local=True)
    if _URL.match(text):
        base = text.split("#")[0].rsplit("/", 1)[-1]
        name = canonicalize_name(re.split(r"-[0-9]", base, maxsplit=1)[0]) if base else text
        return Pin(name, None, (), hashes, number, text)
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        raise LockParseError(file, number, f"not a requirement: {exc}") from None
    pins_eq = [s.version for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
    return Pin(canonicalize_name(req.name), pins_eq[0] if len(req.specifier) == 1 and pins_eq else None,
               tuple(sorted(req.extras)), hashes, number, req.url,
               local=bool(req.url and _LOCAL.match(req.url)))


def _options(file: str, number: int, line: str) -> list[tuple[str, str, int]]:
    """Every option on a requirements-file option line, as pip reads it (shell words; one line
    may hold several: ``--index-url A --extra-index-url B``)."""
    try:
        words = shlex.split(line, posix=True)
    except ValueError as exc:
        raise LockParseError(file, number, f"cannot read option line: {exc}") from None
    out = []
    i = 0
    while i < len(words):
        word = words[i]
        m = _OPTION.match(word)
        if not m:
            raise LockParseError(file, number, f"cannot read option {word[:60]!r}")
        option, value = m.group(1), m.group(2)
        if value is None and option not in _FLAGS:
            if len(option) == 2 and len(word) > 2:  # -ihttps://... : a short option glued to its value
                value = word[2:]
            elif i + 1 < len(words):
                i += 1
                value = words[i]
            else:
                raise LockParseError(file, number, f"option {option} has no value")
        out.append((option, value or "", number))
        i += 1
    return out


def read_pylock(path: Path, tree: Path | None = None) -> LockedFile:
    """A PEP 751 lock. It is validated with :mod:`packaging.pylock`; a violation inside one
    ``[[packages]]`` entry (``hashes = {}``) is a finding at that entry, not an unreadable file.
    Hashes come from every artifact table (``wheels``, ``sdist``, ``archive``); a ``directory``
    entry is the project itself (no version, no hash, by design); a ``vcs`` entry is pinned by its
    ``commit-id``."""
    from .compat import tomllib

    from packaging.pylock import Pylock, PylockUnsupportedVersionError, PylockValidationError

    text = _text(path, tree)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        raise LockParseError(str(path), line, f"not valid TOML: {str(exc).split(' (at line')[0]}") from None
    except RecursionError:
        raise LockParseError(str(path), None, "not valid TOML: nested too deeply") from None
    entries = [n for n, raw in enumerate(text.split("\n"), 1) if re.match(r"^\s*\[\[\s*packages\s*\]\]", raw)]
    problems: list[Problem] = []
    try:
        Pylock.from_dict(data).validate()
    except PylockUnsupportedVersionError as exc:
        raise LockParseError(str(path), None, f"unsupported lock-version: {exc}") from None
    except (PylockValidationError, TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        m = re.search(r"'packages\[(\d+)\]", str(exc))
        if m is None or not isinstance(data.get("packages"), list):
            raise LockParseError(str(path), None, f"not a valid PEP 751 lock: {exc}") from None
        index = int(m.group(1))
        problems.append(Problem(entries[index] if index < len(entries) else None, "error", "invalid",
                                f"not valid PEP 751 here: {exc}"))
    pins, options = _pylock_packages(str(path), data.get("packages"), entries)
    tool = data.get("tool", {}).get("envsolve", {}) if isinstance(data.get("tool"), dict) else {}
    tool = tool if isinstance(tool, dict) else {}
    platform, python = tool.get("platform"), tool.get("python")
    return LockedFile(str(path), "pylock", tuple(pins), tuple(options), platform if isinstance(platform, str) else None,
                      python if isinstance(python, str) else None, None, "unsafe-best-match" in text, tuple(problems))


def _pylock_packages(file: str, packages: object, entries: list[int]) -> tuple[list[Pin], list[tuple[str, str, int]]]:
    """Pins from the ``[[packages]]`` tables, read field by field (types checked: the file may be
    hostile, and an entry may break the spec)."""
    pins: list[Pin] = []
    options: list[tuple[str, str, int]] = []
    if not isinstance(packages, list):
        raise LockParseError(file, None, "not a valid PEP 751 lock: no [[packages]] list")
    for i, raw in enumerate(packages):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise LockParseError(file, entries[i] if i < len(entries) else None, "a [[packages]] entry without a name")
        line = entries[i] if i < len(entries) else None
        name = canonicalize_name(raw["name"])
        version = raw.get("version") if isinstance(raw.get("version"), str) else None

        def table(key: str) -> dict:
            value = raw.get(key)
            return value if isinstance(value, dict) else {}

        artifacts = [w for w in raw.get("wheels") or [] if isinstance(w, dict)] if isinstance(raw.get("wheels"), list) else []
        artifacts += [t for t in (table("sdist"), table("archive")) if t]
        hashes = tuple(f"{algo}:{digest}" for a in artifacts for algo, digest in sorted(
            (a.get("hashes") or {}).items() if isinstance(a.get("hashes"), dict) else ()) if isinstance(digest, str))
        names = tuple(str(w.get("name") or str(w.get("url") or "").rsplit("/", 1)[-1])
                      for w in raw.get("wheels") or [] if isinstance(w, dict)) if isinstance(raw.get("wheels"), list) else ()
        url = next((str(a["url"]) for a in artifacts if isinstance(a.get("url"), str)), None)
        vcs, directory = table("vcs"), table("directory")
        if vcs:
            where = vcs.get("url") or vcs.get("path") or ""
            commit = vcs.get("commit-id") if isinstance(vcs.get("commit-id"), str) else ""
            url = f"{vcs.get('type', 'git')}+{where}@{commit}" if commit else f"{vcs.get('type', 'git')}+{where}"
        index = raw.get("index") if isinstance(raw.get("index"), str) else None
        if index:
            options.append(("--index", index, line or 0))
        pins.append(Pin(name, version, (), hashes, line, url, tuple(n for n in names if n.endswith(".whl")),
                        local=bool(directory), index=index))
    return pins, options


def read_uv_lock(path: Path, tree: Path | None = None) -> LockedFile:
    """uv's own lockfile (``uv.lock``, TOML): a ``[[package]]`` table per package, its ``source``
    (``registry`` index URL, ``git``, ``url``, or the project itself: ``editable``, ``virtual``,
    ``directory``, ``path``), its ``wheels`` and ``sdist`` with their hashes. It is universal: the
    packages of every platform it was resolved for are in it."""
    from .compat import tomllib

    text = _text(path, tree)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LockParseError(str(path), getattr(exc, "lineno", None),
                             f"not valid TOML: {str(exc).split(' (at line')[0]}") from None
    except RecursionError:
        raise LockParseError(str(path), None, "not valid TOML: nested too deeply") from None
    packages = data.get("package")
    if not isinstance(data.get("version"), int) or not isinstance(packages, list):
        raise LockParseError(str(path), None, "not a uv.lock: no 'version' and [[package]] tables")
    entries = [n for n, raw in enumerate(text.split("\n"), 1) if re.match(r"^\s*\[\[\s*package\s*\]\]", raw)]
    pins: list[Pin] = []
    options: list[tuple[str, str, int]] = []
    for i, raw in enumerate(packages):
        line = entries[i] if i < len(entries) else None
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise LockParseError(str(path), line, "a [[package]] entry without a name")
        source: dict = raw["source"] if isinstance(raw.get("source"), dict) else {}
        artifacts = [w for w in raw.get("wheels") or [] if isinstance(w, dict)] if isinstance(raw.get("wheels"), list) else []
        if isinstance(raw.get("sdist"), dict):
            artifacts.append(raw["sdist"])
        hashes = tuple(a["hash"] for a in artifacts if isinstance(a.get("hash"), str))
        names = tuple(str(w.get("url", "")).rsplit("/", 1)[-1] for w in artifacts if isinstance(w.get("url"), str))
        index = source.get("registry") if isinstance(source.get("registry"), str) else None
        url = None
        if isinstance(source.get("git"), str):  # git+URL?rev=...#<commit>: the fragment pins the commit
            where, _, commit = source["git"].partition("#")
            url = f"git+{where.split('?')[0]}" + (f"@{commit}" if commit else "")
        elif isinstance(source.get("url"), str):
            url = source["url"]
        if index and _URL.match(index):
            options.append(("--index", index, line or 0))
        local = any(key in source for key in ("editable", "virtual", "directory", "path"))
        version = raw.get("version") if isinstance(raw.get("version"), str) else None
        pins.append(Pin(canonicalize_name(raw["name"]), version, (), hashes, line, url,
                        tuple(n for n in names if n.endswith(".whl")), local=local, index=index))
    return LockedFile(str(path), "uv-lock", tuple(pins), tuple(options), None, None, None, False)


def read_conda_lock(path: Path, tree: Path | None = None) -> LockedFile:
    import yaml

    from .strictyaml import YamlError, load

    text = _text(path, tree)
    try:  # aliases, tags, duplicate keys and deep nesting are refused as in catalogs (no alias bomb)
        load(text)
    except YamlError as exc:
        raise LockParseError(str(path), exc.line, f"not valid YAML for a lockfile ({exc.message})") from None
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise LockParseError(str(path), mark.line + 1 if mark else None, "not valid YAML") from None
    if not isinstance(data, dict) or "version" not in data:
        raise LockParseError(str(path), None, "not a conda-lock file: no 'version'")
    from conda_lock.lockfile import Lockfile, LockfileV1, lockfile_v1_to_v2

    version = data.pop("version")
    try:
        if version == 1:
            lock = lockfile_v1_to_v2(LockfileV1.model_validate(data))
        elif version == 2:
            lock = Lockfile.model_validate(data)
        else:
            raise LockParseError(str(path), None, f"unsupported conda-lock version {version!r} (1 and 2 are read)")
    except LockParseError:
        raise
    except Exception as exc:  # conda-lock raises pydantic and its own errors; all mean "unreadable"
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise LockParseError(str(path), None, f"conda-lock cannot read it: {first}") from None
    pins = [Pin(canonicalize_name(p.name), p.version, (), tuple(f"sha256:{p.hash.sha256}" for _ in [0] if p.hash.sha256),
                None, p.url, tuple(n for n in [str(p.url or "").rsplit("/", 1)[-1]] if n.endswith(".whl")))
            for p in lock.package]
    return LockedFile(str(path), "conda-lock", tuple(pins), (), None, None, None, "unsafe-best-match" in text)


def read_envsolve(path: Path, tree: Path | None = None) -> LockedFile:
    text = _text(path, tree)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockParseError(str(path), exc.lineno, f"not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise LockParseError(str(path), None, "not valid JSON: nested too deeply") from None
    if not isinstance(data, dict) or data.get("schema") != "envsolve.solution/1" or not isinstance(data.get("lock"), dict):
        raise LockParseError(str(path), None, "not an envsolve lock set manifest (schema envsolve.solution/1 with 'lock')")
    fields = _Fields(str(path))
    fields.manifest(data)
    artifacts = data["lock"].get("artifacts")
    artifacts = artifacts if isinstance(artifacts, dict) else {}

    def wheel_names(name: str) -> tuple[str, ...]:
        listed = artifacts.get(name)
        return tuple(str(a["filename"]) for a in listed if isinstance(a, dict) and isinstance(a.get("filename"), str)) \
            if isinstance(listed, list) else ()

    pins = tuple(Pin(canonicalize_name(p["name"]), p["version"], tuple(p.get("extras", ())), (), None, None,
                     wheel_names(p["name"])) for p in data["packages"])
    target = data["target"]
    return LockedFile(str(path), "envsolve", pins, (), target["platform"], target["python"], data)


class _Fields:
    """Checks the fields of an envsolve.json that envsolve reads; each problem is a
    :class:`LockParseError` naming the file and the field (``lock.files``, ``target.gpus[0].name``)."""

    def __init__(self, file: str):
        self.file = file

    def fail(self, field: str, problem: str) -> LockParseError:
        return LockParseError(self.file, None, f"field {field}: {problem}")

    def get(self, data: dict, key: str, field: str, kinds: tuple, optional: bool = False) -> Any:
        if key not in data:
            if optional:
                return None
            raise self.fail(field, "missing")
        value = data[key]
        if value is None and optional:
            return None
        if not isinstance(value, kinds) or isinstance(value, bool) and bool not in kinds:
            names = " or ".join({str: "a string", dict: "an object", list: "a list", bool: "true or false"}[k]
                                for k in kinds)
            raise self.fail(field, f"must be {names}" + (" or null" if optional else ""))
        if isinstance(value, str) and (len(value) > 4096 or any(ord(c) < 32 or ord(c) == 127 for c in value)):
            raise self.fail(field, "holds control characters or is too long")
        return value

    def strings(self, data: dict, key: str, field: str) -> list[str]:
        values = self.get(data, key, field, (list,), optional=True) or []
        for i, value in enumerate(values):
            if not isinstance(value, str):
                raise self.fail(f"{field}[{i}]", "must be a string")
        return values

    def manifest(self, data: dict) -> None:
        g = self.get
        g(data, "catalog_digest", "catalog_digest", (str,), optional=True)
        request = g(data, "request", "request", (dict,))
        for i, item in enumerate(g(request, "stack", "request.stack", (list,))):
            if not isinstance(item, dict):
                raise self.fail(f"request.stack[{i}]", "must be an object")
            g(item, "framework", f"request.stack[{i}].framework", (str,))
            g(item, "specifier", f"request.stack[{i}].specifier", (str,))
        g(request, "accelerator", "request.accelerator", (str,))
        for key in ("cuda", "rocm"):
            g(request, key, f"request.{key}", (str,), optional=True)
        g(request, "strict", "request.strict", (bool,), optional=True)
        target = g(data, "target", "target", (dict,))
        for key in ("os", "arch", "platform", "python"):
            g(target, key, f"target.{key}", (str,))
        g(target, "driver", "target.driver", (str,), optional=True)
        for i, gpu in enumerate(g(target, "gpus", "target.gpus", (list,), optional=True) or []):
            if not isinstance(gpu, dict):
                raise self.fail(f"target.gpus[{i}]", "must be an object")
            g(gpu, "name", f"target.gpus[{i}].name", (str,))
            g(gpu, "compute_capability", f"target.gpus[{i}].compute_capability", (str,))
        for i, p in enumerate(g(data, "packages", "packages", (list,))):
            if not isinstance(p, dict):
                raise self.fail(f"packages[{i}]", "must be an object")
            g(p, "name", f"packages[{i}].name", (str,))
            g(p, "version", f"packages[{i}].version", (str,))
            self.strings(p, "extras", f"packages[{i}].extras")
        system = g(data, "system", "system", (dict,), optional=True)
        if system is not None:
            for family, floor in (g(system, "driver_min", "system.driver_min", (dict,), optional=True) or {}).items():
                if not isinstance(floor, dict):
                    raise self.fail(f"system.driver_min.{family}", "must be an object")
                for key in ("full", "minor_compat"):
                    g(floor, key, f"system.driver_min.{family}.{key}", (str,), optional=True)
            support = g(system, "gpu_support", "system.gpu_support", (dict,), optional=True)
            if support is not None:
                for key in ("sass", "ptx"):
                    self.strings(support, key, f"system.gpu_support.{key}")
            for key in ("compute_capabilities", "ptx"):
                self.strings(system, key, f"system.{key}")
        lock = g(data, "lock", "lock", (dict,))
        g(lock, "name", "lock.name", (str,), optional=True)
        g(lock, "command", "lock.command", (str,), optional=True)
        g(lock, "transitive", "lock.transitive", (bool,), optional=True)
        self.strings(lock, "unhashed", "lock.unhashed")
        for name, digest in g(lock, "files", "lock.files", (dict,)).items():
            if not FILE_NAME.match(name) or name == "envsolve.json":
                raise self.fail("lock.files", f"{name[:80]!r} is not the name of a file inside the lock set")
            if not isinstance(digest, str) or not _SHA256.match(digest):
                raise self.fail(f"lock.files.{name}", "must be a sha256 (64 lowercase hex digits)")


def read(path: Path, tree: Path | None = None) -> LockedFile:
    """Read one lockfile; with ``tree``, refuse a path that leads out of it through a link. The
    format comes from the name where a standard fixes it (PEP 751's ``pylock.toml`` and
    ``pylock.<name>.toml``, ``uv.lock``, ``envsolve.json``, ``*conda-lock.yml``), else from the
    content: a ``.toml`` that is requirements text (``uv export`` output saved as
    ``pylock_cu128.toml``) is read as requirements."""
    from packaging.pylock import is_valid_pylock_path

    name = path.name
    if name == "envsolve.json":
        return read_envsolve(path, tree)
    if name == "uv.lock":
        return read_uv_lock(path, tree)
    if name.endswith((".yml", ".yaml")) and "conda-lock" in name:
        return read_conda_lock(path, tree)
    if is_valid_pylock_path(path):
        return read_pylock(path, tree)
    if name.endswith(".toml") and name.startswith("pylock"):
        text = _text(path, tree)
        if re.search(r"^\s*(\[\[\s*packages\s*\]\]|lock-version\s*=)", text, re.M):
            return read_pylock(path, tree)
        return read_requirements(path, tree)
    if name.endswith((".txt", ".in")):
        return read_requirements(path, tree)
    raise LockParseError(str(path), None, "not a lockfile envsolve reads (requirements and constraints files, "
                                          "pylock.toml, uv.lock, conda-lock.yml, envsolve.json)")

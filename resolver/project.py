"""The user's own requirements: ``--with REQ``, ``-r FILE`` (requirements.in style) and ``--project
PATH`` (a ``pyproject.toml``), read into :class:`~resolver.rules.requirements.ProjectRequirement`
values that remember where each came from.

Reading is bounded and never executes anything: only regular files (no devices or FIFOs, no link
leading out of the project) under the current folder or beside the file named, at most :data:`MAX_BYTES` each,
``-r`` includes at most :data:`MAX_DEPTH` deep. Every mistake is a :class:`ProjectError` naming the
file and line. Options pip knows in requirement files (``--index-url``, ``-c`` ...) are refused with
a reason: a project's requirements name packages; indexes are envsolve's to choose.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from .errors import InputError
from .inputs import UnsafeInput, read_bytes
from .rules.requirements import ProjectRequirement

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 8
MAX_REQUIREMENTS = 2000


class ProjectError(InputError):
    """A requirement or requirements file that cannot be read (exit 2)."""


class Project(NamedTuple):
    requirements: tuple[ProjectRequirement, ...]
    files: tuple[tuple[str, str], ...]  # (path as given, sha256) of every file read: the lock set's input hash


OPTIONS = ("--with", "-r", "--project", "--extra", "--group")  # the command-line words that name a project


def text_digest(text: str) -> str:
    """The sha256 a lock set records for a requirement file: of its text as read (UTF-8, no BOM)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def as_words(with_reqs: Iterable[str] = (), requirement_files: Iterable[str] = (), project: str | None = None,
             extras: Iterable[str] = (), groups: Iterable[str] = ()) -> tuple[str, ...]:
    """The command-line words of :func:`read`'s arguments (a regenerate command, the manifest)."""
    return tuple(w for r in with_reqs for w in ("--with", r)) + tuple(w for f in requirement_files for w in ("-r", f)) \
        + (("--project", project) if project else ()) + tuple(w for e in extras for w in ("--extra", e)) \
        + tuple(w for g in groups for w in ("--group", g))


def read_words(words: tuple[str, ...]) -> Project:
    """:func:`read` of the option/value pairs :func:`as_words` writes."""
    pairs = list(zip(words[::2], words[1::2]))
    return read([v for o, v in pairs if o == "--with"], [v for o, v in pairs if o == "-r"],
                next((v for o, v in pairs if o == "--project"), None),
                [v for o, v in pairs if o == "--extra"], [v for o, v in pairs if o == "--group"])


def parse_requirement(text: str, origin: str) -> ProjectRequirement:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(text.strip())
    except InvalidRequirement as exc:
        raise ProjectError(f"{origin}: not a requirement: {exc}") from None
    if req.url:
        raise ProjectError(f"{origin}: {req.name} @ {req.url}: direct URLs are not supported (envsolve locks "
                           "packages from indexes, with hashes)")
    return ProjectRequirement.of(req, origin)


def read(with_reqs: Iterable[str] = (), requirement_files: Iterable[str] = (), project: str | None = None,
         extras: Iterable[str] = (), groups: Iterable[str] = ()) -> Project:
    """Every requirement the options name, in order, with its origin."""
    out: list[ProjectRequirement] = []
    files: list[tuple[str, str]] = []
    for text in with_reqs:
        out.append(parse_requirement(text, "--with"))
    for name in requirement_files:
        path = Path(name)
        inside = path.resolve().is_relative_to(Path.cwd().resolve())
        _requirements_file(path, Path.cwd() if inside else path.resolve().parent, 0, out, files)
    extras, groups = list(extras), list(groups)
    if project is not None:
        _pyproject(Path(project), extras, groups, out, files)
    elif extras or groups:
        raise ProjectError("--extra and --group need --project PATH (a pyproject.toml)")
    if len(out) > MAX_REQUIREMENTS:
        raise ProjectError(f"more than {MAX_REQUIREMENTS} requirements; refusing")
    return Project(tuple(out), tuple(files))


def _read_text(path: Path, root: Path) -> str:
    """A regular file's text, inside ``root`` (links may not lead out of it), bounded
    (:mod:`resolver.inputs`); ProjectError otherwise."""
    try:
        data = read_bytes(path, MAX_BYTES, tree=root)
    except UnsafeInput as exc:
        raise ProjectError(str(exc)) from None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise ProjectError(f"{path}: not UTF-8") from None


_REFUSED = {
    "-i": "index options", "--index-url": "index options", "--extra-index-url": "index options",
    "-f": "index options", "--find-links": "index options", "--no-index": "index options",
    "-c": "constraint files", "--constraint": "constraint files", "-e": "editable installs",
    "--editable": "editable installs", "--trusted-host": "index options", "--pre": "pip options",
}


def _requirements_file(path: Path, root: Path, depth: int, out: list[ProjectRequirement],
                       files: list[tuple[str, str]]) -> None:
    if depth > MAX_DEPTH:
        raise ProjectError(f"{path}: -r includes nest deeper than {MAX_DEPTH}")
    if any(path.resolve() == Path(f).resolve() for f, _ in files):
        raise ProjectError(f"{path}: included twice (a -r cycle)")
    text = _read_text(path, root)
    files.append((str(path), text_digest(text)))
    logical: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append((start, (pending + line).strip()))
        pending = ""
    if pending:
        logical.append((start, pending.strip()))
    for number, line in logical:
        if not line:
            continue
        origin = f"{path}:{number}"
        if line.startswith("-"):
            m = re.match(r"^(-{1,2}[A-Za-z][\w-]*)(?:[ =]\s*(.*))?$", line)
            option, value = (m.group(1), m.group(2) or "") if m else (line.split()[0], "")
            if option in ("-r", "--requirement"):
                include = value.strip()
                if not include:
                    raise ProjectError(f"{origin}: -r needs a file")
                _requirements_file(path.parent / include, root, depth + 1, out, files)
                continue
            why = _REFUSED.get(option, "pip options")
            raise ProjectError(f"{origin}: {option} is not supported in a project's requirements ({why} are "
                               "envsolve's to choose); list packages only")
        out.append(parse_requirement(line, origin))


def _pyproject(path: Path, extras: list[str], groups: list[str], out: list[ProjectRequirement],
               files: list[tuple[str, str]]) -> None:
    from .compat import tomllib

    if path.is_dir():
        path = path / "pyproject.toml"
    inside = path.resolve().is_relative_to(Path.cwd().resolve())
    text = _read_text(path, Path.cwd() if inside else path.resolve().parent)
    files.append((str(path), text_digest(text)))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(f"{path}: not valid TOML: {exc}") from None
    project = data.get("project")
    if not isinstance(project, dict):
        raise ProjectError(f"{path}: no [project] table")
    deps = project.get("dependencies", [])
    _strings(deps, f"{path} [project].dependencies", out)
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        if not isinstance(optional, dict) or extra not in optional:
            known = ", ".join(sorted(optional)) if isinstance(optional, dict) else ""
            raise ProjectError(f"{path}: no optional dependencies {extra!r} (known: {known or 'none'})")
        _strings(optional[extra], f"{path} [project.optional-dependencies].{extra}", out)
    table = data.get("dependency-groups", {})
    for group in groups:
        _group(path, table, group, out, [])


def _group(path: Path, table: object, name: str, out: list[ProjectRequirement], seen: list[str]) -> None:
    """A PEP 735 dependency group, with its ``{include-group = ...}`` entries."""
    if not isinstance(table, dict) or name not in table:
        known = ", ".join(sorted(table)) if isinstance(table, dict) else ""
        raise ProjectError(f"{path}: no dependency group {name!r} (known: {known or 'none'})")
    if name in seen:
        raise ProjectError(f"{path}: dependency group {name!r} includes itself")
    entries = table[name]
    if not isinstance(entries, list):
        raise ProjectError(f"{path} [dependency-groups].{name}: not a list")
    for entry in entries:
        if isinstance(entry, dict) and set(entry) == {"include-group"}:
            _group(path, table, str(entry["include-group"]), out, seen + [name])
        elif isinstance(entry, str):
            out.append(parse_requirement(entry, f"{path} [dependency-groups].{name}"))
        else:
            raise ProjectError(f"{path} [dependency-groups].{name}: {entry!r} is neither a requirement nor an include-group")


def _strings(value: object, origin: str, out: list[ProjectRequirement]) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProjectError(f"{origin}: not a list of requirement strings")
    out.extend(parse_requirement(v, origin) for v in value)

"""Field types of the catalog schema, and a validator that collects every problem in one pass.

A spec is a small tree of :class:`Spec` objects. :func:`check` walks a :mod:`strictyaml` document
against a spec and returns plain Python data (str, list, dict, bool), with every problem appended
to a list as a :class:`Problem` that knows its raw path (for the line) and its display path
(``releases[14].variants[cu128].archs[3]``). Nothing here knows catalog semantics beyond the
shape and the syntax of single values.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import urllib.parse
from typing import Any, Callable

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from .platforms import PLATFORMS
from .strictyaml import Scalar

INVALID = object()  # returned for a value that failed; the problem is already recorded

ACCELERATORS = ("cpu", "cuda", "rocm", "mps", "metal")
OS_NAMES = ("linux", "wsl2", "windows", "macos")

NAME_RE = re.compile(r"^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$")
CUDA_RE = re.compile(r"^\d{1,2}\.\d{1,2}$")
DRIVER_RE = re.compile(r"^\d{2,4}(\.\d{1,3}){0,2}$")  # "580" names a driver branch (R580): any 580.x
CC_RE = re.compile(r"^\d{1,2}\.\d$")
ARCH_RE = re.compile(r"^sm_\d{2,3}[af]?$")
GITHUB_RE = re.compile(r"^github:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^\s@]*)?(@[A-Za-z0-9_./-]+)?$")
_CONTROL = re.compile(r"[\x00-\x20\x7f`$\\<>\"'{}|^]")
ALLOWED_HOSTS = (
    "pypi.org",
    "files.pythonhosted.org",
    "download.pytorch.org",
    "github.com",
    "raw.githubusercontent.com",
)


@dataclasses.dataclass(frozen=True)
class Problem:
    path: tuple  # raw path into the document: keys and list indices
    label: str  # display path
    message: str


class _Ctx:
    def __init__(self, problems: list[Problem], sources: frozenset[str] = frozenset()):
        self.problems = problems
        self.sources = sources

    def fail(self, path: tuple, label: str, message: str) -> object:
        self.problems.append(Problem(path, label, message))
        return INVALID


def _join(label: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{label}[{key}]"
    return f"{label}.{key}" if label else key


def _quote_hint(value: Scalar) -> str:
    if value.yaml_type in ("number", "integer"):
        shown = value.value()
        if str(shown) != value.text:
            return f"YAML reads {value.text} as the number {shown}; quote it: '{value.text}'"
        return f"write it as a quoted string: '{value.text}'"
    if value.yaml_type == "boolean":
        return f"YAML reads {value.text} as {value.value()}; quote it: '{value.text}'"
    if value.yaml_type == "null":
        return "it is empty (null); give a quoted string"
    return f"quote it: '{value.text}'"


class Spec:
    def check(self, node: Any, path: tuple, label: str, ctx: _Ctx) -> Any:
        raise NotImplementedError


class Text(Spec):
    """A string scalar, optionally matched by ``test`` (returns an error message or None)."""

    def __init__(self, what: str = "a string", test: Callable[[str], str | None] | None = None):
        self.what = what
        self.test = test

    def check(self, node, path, label, ctx):
        if not isinstance(node, Scalar):
            kind = "a list" if isinstance(node, list) else "a mapping"
            return ctx.fail(path, label, f"expected {self.what}, got {kind}")
        if node.yaml_type != "string":
            return ctx.fail(path, label, f"expected {self.what}: {_quote_hint(node)}")
        if self.test is not None:
            error = self.test(node.text)
            if error:
                return ctx.fail(path, label, error)
        return node.text


class Bool(Spec):
    def check(self, node, path, label, ctx):
        if isinstance(node, Scalar) and node.yaml_type == "boolean":
            return node.value()
        return ctx.fail(path, label, "expected true or false")


class ListOf(Spec):
    """A list; ``key`` names the field whose value labels each item in paths (``variants[cu128]``)."""

    def __init__(self, item: Spec, key: str | None = None, unique: bool = False):
        self.item = item
        self.key = key
        self.unique = unique

    def check(self, node, path, label, ctx):
        if not isinstance(node, list):
            return ctx.fail(path, label, "expected a list")
        out = []
        seen: dict[Any, int] = {}
        for i, item in enumerate(node):
            item_label = _join(label, i)
            if self.key and isinstance(item, dict):
                key_node = item.get(self.key)
                if isinstance(key_node, Scalar) and key_node.yaml_type == "string":
                    item_label = f"{label}[{key_node.text}]"
            value = self.item.check(item, path + (i,), item_label, ctx)
            if value is INVALID:
                continue
            ident = value.get(self.key) if self.key and isinstance(value, dict) else value
            if self.unique or self.key:
                if isinstance(ident, str) and ident in seen:
                    ctx.fail(path + (i,), item_label, f"duplicate {ident!r} (first at [{seen[ident]}])")
                    continue
                if isinstance(ident, str):
                    seen[ident] = i
            out.append(value)
        return out


class Obj(Spec):
    """A mapping with known fields; unknown fields are errors with a did-you-mean hint."""

    def __init__(self, fields: dict[str, Spec], required: tuple[str, ...] = ()):
        self.fields = fields
        self.required = required

    def check(self, node, path, label, ctx):
        if not isinstance(node, dict):
            return ctx.fail(path, label, "expected a mapping")
        out: dict[str, Any] = {}
        for key, value in node.items():
            spec = self.fields.get(key)
            if spec is None:
                close = difflib.get_close_matches(key, self.fields, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                ctx.fail(path + (key,), _join(label, key), f"unknown field {key!r}{hint}")
                continue
            checked = spec.check(value, path + (key,), _join(label, key), ctx)
            if checked is not INVALID:
                out[key] = checked
        missing = [k for k in self.required if k not in node]
        for key in missing:
            ctx.fail(path, label or "(top level)", f"missing required field {key!r}")
        return out


class MapOf(Spec):
    """A mapping from checked keys to checked values."""

    def __init__(self, key: Callable[[str], str | None], value: Spec, what: str = "key"):
        self.key = key
        self.value = value
        self.what = what

    def check(self, node, path, label, ctx):
        if not isinstance(node, dict):
            return ctx.fail(path, label, "expected a mapping")
        out = {}
        for key, value in node.items():
            error = self.key(key)
            if error:
                ctx.fail(path + (key,), _join(label, key), f"bad {self.what} {key!r}: {error}")
                continue
            checked = self.value.check(value, path + (key,), _join(label, key), ctx)
            if checked is not INVALID:
                out[key] = checked
        return out


class OneOrMany(Spec):
    """A single value or a list of them; always returns a list."""

    def __init__(self, item: Spec):
        self.item = item

    def check(self, node, path, label, ctx):
        if isinstance(node, list):
            return ListOf(self.item).check(node, path, label, ctx)
        value = self.item.check(node, path, label, ctx)
        return INVALID if value is INVALID else [value]


# ---- single-value tests: each returns an error message or None ----------------------------------

def name_error(text: str) -> str | None:
    if not NAME_RE.match(text):
        return f"{text!r} is not a valid distribution name (PEP 508: ASCII letters, digits, '.', '_', '-')"
    return None


def version_error(text: str) -> str | None:
    if not text.isascii():
        return f"{text!r} is not a valid version (non-ASCII characters)"
    try:
        Version(text)
    except InvalidVersion:
        return f"{text!r} is not a valid PEP 440 version"
    return None


def specifier_error(text: str) -> str | None:
    if text == "none":
        return None
    try:
        SpecifierSet(text)
    except InvalidSpecifier:
        return f"{text!r} is not a valid version specifier"
    return None


def version_or_specifier_error(text: str) -> str | None:
    if text and text[0].isdigit():
        return version_error(text)
    return specifier_error(text)


def requirement_error(text: str) -> str | None:
    if any(ch in text for ch in "\r\n\x00") or "${" in text:
        return "requirement holds a line break, NUL or '${'"
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        return f"not a valid PEP 508 requirement: {exc}"
    if req.url:
        return "direct URL requirements are not allowed"
    return name_error(req.name)


def url_error(text: str) -> str | None:
    if _CONTROL.search(text) or not text.isascii():
        return "URL holds whitespace, quotes, control or shell characters, or non-ASCII text"
    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme != "https":
        return f"only https URLs are allowed, not {parsed.scheme or 'a relative URL'!r}"
    if parsed.username or parsed.password or "@" in parsed.netloc:
        return "URL must not carry credentials"
    if not parsed.hostname or "." not in parsed.hostname:
        return "URL has no host"
    if urllib.parse.urlunsplit(parsed) != text:
        return "URL does not survive a parse round trip"
    return None


def index_url_error(text: str) -> str | None:
    """Package index URLs: https and one of the known hosts, so a lookalike is caught."""
    error = url_error(text)
    if error:
        return error
    host = urllib.parse.urlsplit(text).hostname or ""
    if host not in ALLOWED_HOSTS:
        return f"index host {host!r} is not one envsolve trusts ({', '.join(ALLOWED_HOSTS)})"
    return None


def regex_error(pattern: re.Pattern, what: str) -> Callable[[str], str | None]:
    def test(text: str) -> str | None:
        return None if pattern.match(text) else f"{text!r} is not {what}"

    return test


def choice_error(choices: tuple[str, ...]) -> Callable[[str], str | None]:
    def test(text: str) -> str | None:
        if text in choices:
            return None
        close = difflib.get_close_matches(text, choices, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"{text!r} is not one of {', '.join(choices)}{hint}"

    return test


class SourceRef(Spec):
    """A source: an id from the file's ``sources:``, an https URL, or ``github:OWNER/REPO/PATH@REF``."""

    def check(self, node, path, label, ctx):
        text = Text("a source").check(node, path, label, ctx)
        if text is INVALID:
            return INVALID
        if text in ctx.sources:
            return text
        if text.startswith("github:"):
            if GITHUB_RE.match(text):
                return text
            return ctx.fail(path, label, f"{text!r} is not github:OWNER/REPO/PATH[@REF]")
        if text.startswith("https://"):
            error = url_error(text)
            return ctx.fail(path, label, error) if error else text
        return ctx.fail(path, label, f"{text!r} is neither a URL, a github: path nor an id in 'sources'")


def check(spec: Spec, data: Any, sources: frozenset[str] = frozenset()) -> tuple[Any, list[Problem]]:
    """Validate ``data`` (from :func:`strictyaml.load`) against ``spec``; collect every problem."""
    problems: list[Problem] = []
    value = spec.check(data, (), "", _Ctx(problems, sources))
    return value, problems


# ---- the catalog schema ---------------------------------------------------------------------------

NAME = Text("a distribution name", name_error)
VERSION = Text("a version string", version_error)
CUDA = Text("a CUDA version 'X.Y'", regex_error(CUDA_RE, "a CUDA version like '12.8'"))
DRIVER = Text("a driver version", regex_error(DRIVER_RE, "a driver version like '570.26' or '550.54.15', or a branch like '580'"))
CC = Text("a compute capability 'X.Y'", regex_error(CC_RE, "a compute capability like '8.6'"))
ARCH = Text("a GPU architecture", regex_error(ARCH_RE, "a GPU architecture like 'sm_86' or 'sm_90a'"))
PLATFORM = Text("a platform", choice_error(PLATFORMS))
URL = Text("an https URL", url_error)
NOTE = Text("a note")
SOURCE = OneOrMany(SourceRef())
DRIVERS = Obj({"linux": DRIVER, "windows": DRIVER})
HEADER = {
    "schema": Text("the schema id", choice_error(("envsolve.catalog/1",))),
    "kind": Text("the file kind", choice_error(("cuda", "gpus", "os", "framework", "pypi", "index", "kernels"))),
    "sources": MapOf(lambda k: None if NAME_RE.match(k) else "ids are letters, digits, '.', '_', '-'",
                     Text("a URL or github: path", lambda t: None if GITHUB_RE.match(t) else url_error(t)), "source id"),
    "note": NOTE,
}
_REQUIRED_HEADER = ("schema", "kind")

SPEC = Text("a version specifier", specifier_error)


def _pattern_error(value: str) -> str | None:
    """A regular expression of at most 120 characters with one capture group (the CUDA major or
    label digits), anchored at both ends."""
    if len(value) > 120 or not (value.startswith("^") and value.endswith("$")):
        return "an anchored pattern (^...$) of at most 120 characters"
    try:
        compiled = re.compile(value)
    except re.error as exc:
        return f"not a regular expression: {exc}"
    return None if compiled.groups == 1 else "exactly one capture group (the CUDA digits)"


PATTERN = Text("a name pattern", _pattern_error)
PYTHON = Text("a Python version", regex_error(re.compile(r"^3\.\d{1,2}$"), "a Python version like '3.12'"))
GLIBC = Text("a glibc version", regex_error(re.compile(r"^2\.\d+$"), "a glibc version like '2.35'"))
EDITION = Text("an edition name", regex_error(re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9.]+)+$"), "a name like 'ubuntu-22.04'"))
MAJOR = Text("a CUDA major", regex_error(re.compile(r"^\d{1,2}$"), "a CUDA major like '12'"))
GLIBC_FLOOR = Obj({"platforms": ListOf(PLATFORM, unique=True), "glibc": GLIBC, "note": NOTE, "source": SOURCE},
                  ("platforms", "glibc", "source"))
KERNELS = Obj({"platforms": ListOf(PLATFORM, unique=True), "sass": ListOf(ARCH, unique=True), "ptx": ListOf(ARCH, unique=True),
               "note": NOTE, "source": SOURCE},
              ("platforms", "sass", "ptx"))  # source: the variant's, unless given

CUDA_FILE = Obj(
    {
        **HEADER,
        "libraries": Obj(
            {
                "suffix": Text("a suffix pattern", regex_error(re.compile(r"^-[a-z]*\{major\}$"), "a suffix like '-cu{major}'")),
                "versioned_by_cuda": ListOf(NAME, unique=True),
                "note": NOTE,
                "source": SOURCE,
            },
            ("suffix", "versioned_by_cuda", "source"),
        ),
        "majors": ListOf(
            Obj(
                {
                    "major": MAJOR,
                    "libraries": Text("a naming", choice_error(("suffixed", "unsuffixed"))),
                    "minor_compat_driver": DRIVERS,
                    "archs": ListOf(ARCH, unique=True),
                    "note": NOTE,
                    "source": SOURCE,
                },
                ("major", "libraries", "minor_compat_driver", "archs", "source"),
            ),
            key="major",
        ),
        "toolkits": ListOf(
            Obj(
                {"version": CUDA, "driver_min": DRIVERS, "archs": ListOf(ARCH, unique=True),
                 "note": NOTE, "source": SOURCE},
                ("version", "driver_min", "archs", "source"),
            ),
            key="version",
        ),
        "cudnn": ListOf(
            Obj(
                {"versions": SPEC, "cuda_majors": ListOf(MAJOR, unique=True), "min_compute_capability": CC,
                 "note": NOTE, "source": SOURCE},
                ("versions", "cuda_majors", "min_compute_capability", "source"),
            ),
        ),
        # Packages besides the nvidia-* libraries that carry one CUDA major (check's one-major rule).
        "cuda_packages": Obj(
            {
                "placeholders": ListOf(Obj({"pattern": PATTERN, "versions": SPEC, "note": NOTE, "source": SOURCE},
                                           ("pattern", "versions", "source"))),
                "labels": ListOf(Obj({"pattern": PATTERN, "note": NOTE, "source": SOURCE}, ("pattern", "source"))),
                "names": ListOf(Obj({"pattern": PATTERN, "major": MAJOR, "note": NOTE, "source": SOURCE},
                                    ("pattern", "source"))),
                "versions": ListOf(Obj({"name": NAME, "versions": SPEC, "major": MAJOR, "note": NOTE, "source": SOURCE},
                                       ("name", "versions", "major", "source"))),
                "collisions": ListOf(Obj({"family": NAME, "files": ListOf(Text("a path inside a wheel")),
                                          "note": NOTE, "source": SOURCE}, ("family", "files", "source"))),
                "note": NOTE,
            },
            ("placeholders", "labels", "names", "versions", "collisions"),
        ),
    },
    _REQUIRED_HEADER + ("libraries", "majors", "toolkits"),
)

GPUS_FILE = Obj(
    {
        **HEADER,
        "architectures": ListOf(
            Obj({"name": Text("an architecture name", regex_error(re.compile(r"^[A-Z][A-Za-z0-9 -]*$"), "a name like 'Hopper'")),
                 "note": NOTE, "source": SOURCE},
                ("name", "source")),
            key="name",
        ),
        "gpus": ListOf(
            Obj(
                {
                    "name": Text("a GPU name"),
                    "compute_capability": CC,
                    "architecture": Text("an architecture name"),  # one of `architectures` (checked on load)
                    "segment": Text("a segment", choice_error(("datacenter", "workstation", "consumer", "embedded"))),
                    "aliases": ListOf(Text("a GPU name"), unique=True),
                    "note": NOTE,
                    "source": SOURCE,
                },
                ("name", "compute_capability", "architecture", "segment", "source"),
            ),
            key="name",
        ),
    },
    _REQUIRED_HEADER + ("architectures", "gpus"),
)

OS_FILE = Obj(
    {
        **HEADER,
        "pythons": Obj({"versions": ListOf(PYTHON, unique=True), "note": NOTE, "source": SOURCE},
                       ("versions", "source")),
        "matrix": Obj(
            {"pythons": ListOf(PYTHON, unique=True),
             "targets": ListOf(Obj({"os": Text("an OS", choice_error(OS_NAMES)),
                                    "arch": Text("a CPU architecture", choice_error(("x86_64", "aarch64"))),
                                    "accelerators": ListOf(Text("an accelerator", choice_error(ACCELERATORS)), unique=True)},
                                   ("os", "arch", "accelerators"))),
             "explore_editions": ListOf(EDITION, unique=True),
             "note": NOTE},
            ("pythons", "targets"),
        ),
        "manylinux": Obj(
            {"legacy": MapOf(lambda k: None if k.startswith("manylinux") else "not a manylinux tag",
                             Text("a glibc version", regex_error(re.compile(r"^2\.\d+$"), "a glibc version like '2.17'")),
                             "tag"),
             "note": NOTE, "source": SOURCE},
            ("legacy", "source"),
        ),
        "distributions": ListOf(
            Obj({"name": EDITION,
                 "glibc": GLIBC,
                 "arches": ListOf(Text("a CPU architecture", choice_error(("x86_64", "aarch64"))), unique=True),
                 "os_release": Obj({"id": Text("an os-release ID", regex_error(re.compile(r"^[a-z0-9._-]+$"), "an ID like 'ubuntu'")),
                                    "version": Text("an os-release VERSION_ID", regex_error(re.compile(r"^[0-9][0-9.]*$"), "a version like '22.04'"))},
                                   ("id", "version")),
                 "image": Text("a container image", regex_error(re.compile(r"^[a-z0-9][a-z0-9./:_-]*$"), "an image like 'ubuntu:22.04'")),
                 "pythons": ListOf(Obj({"python": PYTHON,
                                        "manager": Text("a package manager", choice_error(("apt", "dnf"))),
                                        "packages": ListOf(Text("a distribution package", regex_error(re.compile(r"^[a-z0-9][a-z0-9.+-]{0,63}$"), "a package name like 'python3.11'")), unique=True),
                                        "executable": Text("a command name", regex_error(re.compile(r"^python3(\.\d{1,2})?$"), "python3 or python3.X"))},
                                       ("python", "manager", "packages", "executable"))),
                 "note": NOTE, "source": SOURCE},
                ("name", "glibc", "os_release", "source")),
            key="name",
        ),
        "windows_editions": ListOf(
            Obj({"name": EDITION, "note": NOTE, "source": SOURCE}, ("name", "note", "source")),
            key="name",
        ),
        "oses": ListOf(
            Obj({"name": Text("an OS", choice_error(OS_NAMES)),
                 "arches": ListOf(Text("a CPU architecture", choice_error(("x86_64", "aarch64", "amd64", "arm64"))), unique=True),
                 "driver_side": Text("an OS", choice_error(("linux", "windows", "none"))),
                 "accelerators": ListOf(Text("an accelerator", choice_error(ACCELERATORS)), unique=True),
                 "note": NOTE, "source": SOURCE},
                ("name", "arches", "driver_side", "accelerators", "source")),
            key="name",
        ),
        "support": ListOf(
            Obj({"framework": Text("a framework name"),
                 "os": Text("an OS", choice_error(OS_NAMES)),
                 **{acc: SPEC for acc in ACCELERATORS},
                 "note": NOTE, "source": SOURCE},
                ("framework", "os", "source")),
        ),
    },
    _REQUIRED_HEADER + ("pythons", "manylinux", "oses"),
)

VARIANT = Obj(
    {
        "name": Text("a variant name", regex_error(re.compile(r"^[a-z0-9][a-z0-9._-]*$"), "a variant name like 'cu128'")),
        "accelerator": Text("an accelerator", choice_error(ACCELERATORS)),
        "index": Text("an index id"),
        "pypi_default": ListOf(PLATFORM, unique=True),
        "platforms": ListOf(PLATFORM, unique=True),
        "python": ListOf(Text("a Python version", regex_error(re.compile(r"^3\.\d{1,2}t?$"), "a Python version like '3.12'")), unique=True),
        "cuda": CUDA,
        "cudnn": Text("a cuDNN version or specifier", version_or_specifier_error),
        "nccl": Text("an NCCL version or specifier", version_or_specifier_error),
        "label": Text("a local version label", regex_error(re.compile(r"^[a-z0-9][a-z0-9.]*$"), "a label like 'cu126'")),
        "kernels": ListOf(KERNELS),
        "glibc": ListOf(GLIBC_FLOOR),
        "requires": ListOf(Text("a requirement", requirement_error)),
        "unknown_requires": Text("a reason"),
        "extra": Text("an extra name", name_error),
        "packages": ListOf(Text("a distribution, optionally with a version specifier", requirement_error), unique=True),
        "system_cuda": Bool(),
        "driver_min": DRIVERS,
        "broken": Text("a reason"),
        "note": NOTE,
        "source": SOURCE,
    },
    ("name", "accelerator", "index"),
)

FRAMEWORK_FILE = Obj(
    {
        **HEADER,
        "name": NAME,
        "aliases": ListOf(NAME, unique=True),
        "distribution": NAME,
        "companions": ListOf(NAME, unique=True),
        "sync": MapOf(name_error, VERSION, "distribution"),
        "indexes": MapOf(lambda k: None if NAME_RE.match(k) and k != "pypi" else "ids are letters, digits, '.', '_', '-' and not 'pypi'",
                         Text("an index URL", index_url_error), "index id"),
        "releases": ListOf(
            Obj({"version": VERSION, "variants_from": VERSION, "broken": Text("a reason"),
                 "variants": ListOf(VARIANT, key="name"), "note": NOTE, "source": SOURCE},
                ("version",)),
            key="version",
        ),
    },
    _REQUIRED_HEADER + ("name", "distribution", "releases"),
)

WHEEL = Obj(
    {"filename": Text("a wheel filename"), "sha256": Text("a sha256", regex_error(re.compile(r"^[0-9a-f]{64}$"), "64 lowercase hex digits")),
     "url": URL},
    ("filename", "sha256", "url"),
)
PYPI_FILE = Obj(
    {
        **HEADER,
        "project": NAME,
        "source": SOURCE,
        "generated_by": Text("a command"),
        "releases": ListOf(
            Obj({"version": VERSION, "requires_python": SPEC, "yanked": Text("a reason"),
                 "wheels": ListOf(WHEEL),
                 "metadata": ListOf(Obj({"platforms": ListOf(PLATFORM, unique=True), "from": Text("a wheel filename"),
                                         "requires_dist": ListOf(Text("a requirement", requirement_error)),
                                         "provides_extra": ListOf(NAME)},
                                        ("platforms", "from", "requires_dist")))},
                ("version", "wheels")),
            key="version",
        ),
        "libraries": ListOf(
            Obj({"name": NAME, "source": SOURCE,
                 "versions": ListOf(Obj({"version": VERSION, "platforms": ListOf(PLATFORM, unique=True),
                                         "requires_python": SPEC, "yanked": Text("a reason"),
                                         "wheels": ListOf(WHEEL)},
                                        ("version", "platforms")), key="version")},
                ("name", "versions")),
            key="name",
        ),
    },
    _REQUIRED_HEADER + ("source",),
)

RELEASES = PYPI_FILE.fields["releases"]
INDEX_FILE = Obj(
    {
        **HEADER,
        "index": Text("an index URL", index_url_error),
        "project": NAME,
        "source": SOURCE,
        "generated_by": Text("a command"),
        "releases": RELEASES,
    },
    _REQUIRED_HEADER + ("index", "project", "source", "releases"),
)

KERNELS_FILE = Obj(
    {
        **HEADER,
        "generated_by": Text("a command"),
        "builds": ListOf(
            Obj({"project": NAME, "version": VERSION, "label": Text("a local version label"),
                 "platform": PLATFORM, "sass": ListOf(ARCH, unique=True), "ptx": ListOf(ARCH, unique=True),
                 "method": Text("a method", choice_error(("fatbin", "build-flags"))),
                 "wheel": WHEEL, "members": ListOf(Text("a file in the wheel")), "note": NOTE},
                ("project", "version", "label", "platform", "sass", "ptx", "method", "wheel")),
        ),
    },
    _REQUIRED_HEADER + ("builds",),
)

FILE_SPECS = {"cuda": CUDA_FILE, "gpus": GPUS_FILE, "os": OS_FILE, "framework": FRAMEWORK_FILE, "pypi": PYPI_FILE,
              "index": INDEX_FILE, "kernels": KERNELS_FILE}

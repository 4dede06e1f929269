"""``envsolve check``: lockfiles against the catalog's rules, their own integrity and freshness,
and the fleet they must run on. Pure apart from reading the files it is given.

Inputs are untrusted (the hook runs on other people's repositories): only regular files inside the
tree that was named are read, each bounded in size (:mod:`resolver.inputs`); a lock set's manifest
is read field by field and its ``lock.files`` names stay inside the set's folder. Nothing taken
from a file is ever run: :func:`regeneration` rebuilds a stale set's request from the manifest's
structured fields, through the same parsers as the command line.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from packaging.version import InvalidVersion, Version

from .catalog import Catalog, Framework, Release, Variant
from .errors import InputError
from .inputs import CONTROL, UnsafeInput, printable, read_bytes, tree_of
from .lockread import FILE_NAME, MAX_LOCKFILE, LockedFile, LockParseError, Pin, read
from .platforms import PYPI_INDEX, wheel_glibc, wheel_platforms
from .rules import builds, driver, kernels
from .rules.glibc import Need
from .rules.glibc import fits as glibc_fits
from .rules.glibc import lowest_stated
from .rules.libraries import collisions, cuda_majors, is_library
from .rules.platform import driver_family, platform_of
from .rules.target import GpuTarget, Request, Target

# What a folder run (and the pre-commit hook's `files:` pattern, .pre-commit-hooks.yaml) reads by
# name; other *.txt files are read when their content is requirements (:func:`looks_like_requirements`).
LOCKFILE_NAMES = ("*requirements*.txt", "*requirements*.in", "*constraints*.txt", "pylock*.toml", "uv.lock",
                  "*conda-lock.yml", "*conda-lock.yaml", "envsolve.json")
MAX_INCLUDE_DEPTH = 8
_DRIVER = re.compile(r"^[0-9]{2,4}(\.[0-9]{1,3}){1,2}$")
_VCS = ("git+", "hg+", "svn+", "bzr+")


class CheckFinding(NamedTuple):
    severity: str  # error | warning | stale
    file: str
    line: int | None
    message: str
    fix: str | None = None
    kind: str | None = None  # for lock sets: "tampered", "missing", "stale" (what --fix regenerates), "unregenerable"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return printable(f"{self.severity} {where}: {self.message}" + (f" (fix: {self.fix})" if self.fix else ""))


class Fleet(NamedTuple):
    driver: str | None
    gpus: tuple[GpuTarget, ...]
    os: str | None  # linux | wsl2 | windows | macos
    glibc: str | None = None  # the fleet's glibc (Linux and WSL2), from an edition or --glibc
    edition: str | None = None  # ubuntu-22.04, amazonlinux-2


class Lockfile(NamedTuple):
    """A file to check, and the tree it was found in (links may not lead out of it)."""

    path: Path
    tree: Path


class Report(NamedTuple):
    findings: list[CheckFinding]
    errors: list[LockParseError]
    files: list[str]  # every file checked, for the per-file verdicts

    def verdicts(self) -> list[tuple[str, str]]:
        """(file, verdict) for every file checked: ``ok``, ``unreadable``, or the count of problems."""
        out = []
        for name in self.files:
            if any(e.file == name for e in self.errors):
                out.append((name, "unreadable"))
                continue
            mine = [f for f in self.findings if f.file == name]
            counts = [f"{n} {kind}{'s' if n > 1 else ''}" for kind in ("error", "warning", "stale")
                      for n in [sum(f.severity == kind for f in mine)] if n]
            out.append((name, ", ".join(counts) if counts else "ok"))
        return out


def collect(paths: Iterable[Path]) -> list[Lockfile]:
    """Lockfiles named, or found in the folders named (hidden folders and linked folders are not
    entered). A file inside an envsolve lock set brings the set's ``envsolve.json``: a changed pin
    is then compared with the hash the set recorded."""
    found: dict[str, Lockfile] = {}
    for path in paths:
        tree = tree_of(path)
        if path.is_dir():  # a linked folder named on the command line is entered; its files must resolve inside the tree
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    here = Path(root) / name
                    if any(fnmatch.fnmatchcase(name, pattern) for pattern in LOCKFILE_NAMES) or \
                            (name.endswith(".txt") and looks_like_requirements(here, tree)):
                        found.setdefault(str(here), Lockfile(here, tree))
        else:
            found.setdefault(str(path), Lockfile(path, tree))
    for item in list(found.values()):
        manifest = item.path.parent / "envsolve.json"
        if item.path.name != "envsolve.json" and os.path.lexists(manifest):
            found.setdefault(str(manifest), Lockfile(manifest, item.tree))
    return [found[k] for k in sorted(found)]


_REQUIREMENT_LINE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*(===?|>=|<=|~=|!=|<|>|@)")
_OPTION_LINE = re.compile(r"^--?(index-url|extra-index-url|find-links|hash|requirement|constraint|[ircef])\b")


def looks_like_requirements(path: Path, tree: Path) -> bool:
    """Is this ``.txt`` file pip requirements by its content (``cuda12-pins.txt``)? At least two
    pinned or option lines, and four in five of its non-comment lines pip-like. Reads 64 KiB at most."""
    try:
        head = read_bytes(path, 64 * 1024, tree=tree, head=True).decode("utf-8", errors="replace")
    except UnsafeInput:
        return False
    lines = [ln.strip() for ln in head.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    good = [ln for ln in lines if _REQUIREMENT_LINE.match(ln) or _OPTION_LINE.match(ln) or ln.startswith("--hash")]
    return len(good) >= 2 and len(good) * 5 >= len(lines) * 4


def _includes(f: LockedFile, tree: Path) -> list[tuple[str, Path, int]]:
    """The files a requirements file includes (``-r``, ``-c``), as pip finds them: relative to the
    including file's folder."""
    if f.kind not in ("requirements", "requirements-in", "constraints"):
        return []
    return [(option, Path(f.path).parent / value, line) for option, value, line in f.options
            if option in ("-r", "--requirement", "-c", "--constraint") and value and not _URL_VALUE.match(value)]


_URL_VALUE = re.compile(r"^[a-z][a-z0-9+.-]*://")


def check(cat: Catalog, paths: Iterable[Path], fleet: Fleet | None = None) -> Report:
    findings: list[CheckFinding] = []
    errors: list[LockParseError] = []
    files = collect(paths)
    read_files: dict[str, LockedFile] = {}
    # -r/-c includes are followed (inside the tree, a few levels deep) and checked as files of their
    # own; a -r include's packages join the including file's environment for the compatibility rules.
    queue = [(item, 0) for item in files]
    included: dict[str, list[str]] = {}
    missing: list[CheckFinding] = []
    while queue:
        item, depth = queue.pop(0)
        if str(item.path) in read_files:
            continue
        try:
            locked = read(item.path, item.tree)
        except LockParseError as exc:
            errors.append(exc)
            continue
        read_files[str(item.path)] = locked
        for option, target, line in _includes(locked, item.tree):
            if not os.path.lexists(target) or depth >= MAX_INCLUDE_DEPTH:
                why = "not found" if not os.path.lexists(target) else f"included more than {MAX_INCLUDE_DEPTH} deep"
                missing.append(CheckFinding("warning", locked.path, line, f"{option} {target.name}: {why}; its "
                                            "packages were not checked", kind="include"))
                continue
            if option in ("-r", "--requirement"):
                included.setdefault(str(item.path), []).append(str(target))
            if str(target) not in read_files:
                files.append(Lockfile(target, item.tree))
                queue.append((Lockfile(target, item.tree), depth + 1))
    findings += missing
    # Files of an envsolve set meet the fleet through their set (its recorded floors and GPU
    # support cover the whole environment): one verdict, not one per file.
    members = {str(Path(name).parent / listed) for name, f in read_files.items() if f.kind == "envsolve"
               for listed in (f.meta or {})["lock"]["files"]}
    for name, locked in read_files.items():
        if locked.kind == "envsolve":
            found, unreadable = _lock_set(cat, Path(name), locked, fleet)
            findings += found
            errors += unreadable
        else:
            findings += _integrity(locked)
            environment = _with_includes(locked, included, read_files)
            findings += _compatibility(cat, environment, None if name in members else fleet)
        if fleet is not None and fleet.glibc is not None and name not in members:
            findings += _glibc(cat, locked, fleet)
    return Report(findings, errors, sorted({str(item.path) for item in files}))


def _with_includes(f: LockedFile, included: Mapping[str, list[str]], read_files: Mapping[str, LockedFile]) -> LockedFile:
    """``f`` with the packages of the files it ``-r``-includes (and theirs), each pin keeping the file
    it is in: one environment for the compatibility rules. Options stay the including file's own,
    but the indexes the included files name serve the environment too."""
    pins = list(f.pins)
    options = list(f.options)
    seen, todo = {f.path}, list(included.get(f.path, ()))
    while todo:
        name = todo.pop(0)
        other = read_files.get(name)
        if other is None or name in seen:
            continue
        seen.add(name)
        pins += [p._replace(file=other.path) for p in other.pins]
        options += [o for o in other.options if o[0] in ("--index-url", "-i", "--extra-index-url", "--find-links",
                                                           "-f", "--index")]
        todo += included.get(name, [])
    return f._replace(pins=tuple(pins), options=tuple(options)) if len(seen) > 1 else f


# ---- integrity: where packages come from, and whether they are pinned and hashed ----------------

def _remote(value: str) -> bool:
    return value.startswith(_VCS) or "://" in value and not value.startswith("file:")


_COMMIT = re.compile(r"@[0-9a-f]{40}(#|$)")


def _integrity(f: LockedFile) -> list[CheckFinding]:
    out = [CheckFinding(p.severity, f.path, p.line, p.message, kind=p.kind) for p in f.problems]
    invalid = {p.line for p in f.problems if p.kind == "invalid"}  # said once there, not again as a missing hash
    for option, value, line in f.options:
        if option == "--extra-index-url":
            out.append(CheckFinding("error", f.path, line, "--extra-index-url lets any index serve any package "
                                    "(dependency confusion); give each index its own requirements file",
                                    kind="extra-index"))
        elif option in ("-f", "--find-links"):
            severity = "error" if _remote(value) else "warning"
            out.append(CheckFinding(severity, f.path, line, f"--find-links {value} adds a second source for every "
                                    "package besides the index (dependency confusion)", kind="find-links"))
        elif option == "--trusted-host":
            out.append(CheckFinding("error", f.path, line, f"--trusted-host {value} turns off TLS checks",
                                    kind="trusted-host"))
        elif option in ("-e", "--editable") and _remote(value):
            out.append(CheckFinding("error", f.path, line, f"{option} {value}: an editable checkout of a remote "
                                    "repository is an unverified source (no hash can pin it)", kind="remote-editable"))
        if value.startswith("http://"):
            out.append(CheckFinding("error", f.path, line or None, f"{option} {value}: plain http; use https",
                                    kind="plain-http"))
    if f.unsafe_strategy:
        out.append(CheckFinding("error", f.path, None, "index strategy unsafe-best-match mixes indexes "
                                "(dependency confusion)", kind="unsafe-strategy"))
    lock = f.kind in ("pylock", "uv-lock", "conda-lock")
    hashed = lock or any(p.hashes for p in f.pins)  # a PEP 751 lock needs every hash; pip's hash mode, all or none
    if f.kind in ("requirements", "constraints") and hashed:
        for option, value, line in f.options:
            if option in ("-e", "--editable"):
                out.append(CheckFinding("error", f.path, line, f"{option} {value} in a file with hashes: pip's "
                                        "hash-checking mode refuses editable requirements (nothing to hash)",
                                        kind="unhashed"))
    for p in f.pins:
        if p.url and p.url.startswith(_VCS):
            if _COMMIT.search(p.url):
                out.append(CheckFinding("warning", f.path, p.line, f"{p.name} @ {p.url}: a version-control checkout, "
                                        "pinned by its commit but not hash-checked", kind="vcs"))
            else:
                out.append(CheckFinding("error", f.path, p.line, f"{p.name} @ {p.url}: a version-control checkout "
                                        "with no commit floats (no commit or hash pins it)", kind="floating-vcs"))
            continue
        if p.local:
            if f.kind in ("requirements", "constraints") and hashed:
                out.append(CheckFinding("error", f.path, p.line, f"{p.name}: a local path in a file with hashes: "
                                        "pip's hash-checking mode refuses it (nothing to hash)", kind="unhashed"))
            continue
        if p.url and _remote(p.url) and not p.hashes and f.kind in ("requirements", "constraints"):
            out.append(CheckFinding("error", f.path, p.line, f"{p.name} @ {p.url}: a direct URL without a hash is "
                                    "an unverified source", kind="direct-url-unhashed"))
        if p.version is None and not p.url and f.kind != "requirements-in":
            out.append(CheckFinding("error", f.path, p.line, f"{p.name} is not pinned with ==", kind="unpinned"))
        if hashed and not p.hashes and f.kind != "requirements-in" and p.line not in invalid:
            why = ("PEP 751 needs a hash for every artifact" if f.kind == "pylock" else
                   "uv.lock records none for it" if f.kind == "uv-lock" else
                   "conda-lock records none for it" if f.kind == "conda-lock" else
                   "others have one: pip's hash-checking mode refuses the whole file")
            out.append(CheckFinding("error", f.path, p.line, f"{p.name} has no hash ({why})", kind="unhashed"))
        weak = [h for h in p.hashes if not h.startswith("sha256:")]
        if weak:
            out.append(CheckFinding("error", f.path, p.line, f"{p.name}: {weak[0].split(':')[0]} is not accepted as proof; "
                                    "use sha256", kind="weak-hash"))
        if p.url and p.url.startswith("http://"):
            out.append(CheckFinding("error", f.path, p.line, f"{p.name} comes from a plain-http URL", kind="plain-http"))
    return out


# ---- compatibility: the catalog's rules over the locked builds ----------------------------------

class _Build(NamedTuple):
    fw: Framework
    release: Release
    variant: Variant
    pin: Pin


def _platform(f: LockedFile, fleet: Fleet | None) -> str:
    if f.platform:
        return f.platform
    if fleet is not None and fleet.os:
        return platform_of(fleet.os, "x86_64")
    return "linux-x86_64"


def _where(f: LockedFile, pin: Pin) -> tuple[str, int | None]:
    return (pin.file, pin.line) if pin.file else (f.path, pin.line)


def _sources(f: LockedFile) -> tuple[list[str], list[str], list[str]]:
    """The file's package sources: (--index-url, --extra-index-url, --find-links), PyPI as the
    default index of a requirements file that names none."""
    main = [v.rstrip("/") for o, v, _ in f.options if o in ("--index-url", "-i", "--index")]
    extra = [v.rstrip("/") for o, v, _ in f.options if o == "--extra-index-url"]
    links = [v.rstrip("/") for o, v, _ in f.options if o in ("--find-links", "-f")]
    if f.kind in ("requirements", "requirements-in", "constraints") and not main:
        main = [PYPI_INDEX.rstrip("/")]
    return main, extra, links


def _compatibility(cat: Catalog, f: LockedFile, fleet: Fleet | None) -> list[CheckFinding]:
    out = []
    pins = {p.name: p for p in f.pins}
    platform = _platform(f, fleet)
    python = f.python or "3.12"
    main, extra, links = _sources(f)
    # The indexes in the order the file names them (the first that serves a build decides, reproducibly).
    served = list(dict.fromkeys(main + extra + [p.index.rstrip("/") for p in f.pins if p.index]))
    others = [u for u in main + extra + links if u != PYPI_INDEX.rstrip("/")] + [p.index for p in f.pins if p.index]
    found: list[_Build] = []
    for fw in cat.frameworks.values():
        pin = pins.get(fw.distribution)
        if pin is None or pin.version is None:
            continue
        file, line = _where(f, pin)
        try:
            version = Version(pin.version)
        except InvalidVersion:
            continue
        release = fw.release(version.public)
        if release is None:
            out.append(CheckFinding("warning", file, line, f"{fw.distribution} {pin.version} is not in the catalog; "
                                    "not checked", "envsolve catalog sync", kind="not-in-catalog"))
            continue
        if release.broken:
            out.append(CheckFinding("error", file, line, f"{fw.distribution} {release.version} is marked broken: "
                                    f"{release.broken}", kind="broken"))
        variant = builds.identify(cat, fw, release, version.local, list(pins), platform)
        if not version.local:  # an unlabelled pin under a framework index is that index's build (torch==2.4.1 from /cu118)
            variant = _indexed_build(release, served, platform) or variant
        if variant is not None and f.kind in ("requirements", "requirements-in"):
            out += _index_rule(cat, f, fw, release, variant, pin, version, served, others)
        if variant is None:
            continue
        found.append(_Build(fw, release, variant, pin))
        if variant.broken:
            out.append(CheckFinding("error", file, line, f"{fw.distribution} {pin.version} ({variant.name}) is marked "
                                    f"broken: {variant.broken}", kind="broken"))
        for req in builds.requires(cat, fw, release, variant, platform, python):
            if not is_library(req.name) or req.name not in pins:
                continue
            have = pins[req.name].version
            if have and str(req.specifier) and not req.specifier.contains(have, prereleases=True):
                lib_file, lib_line = _where(f, pins[req.name])
                out.append(CheckFinding("error", lib_file, lib_line,
                                        f"{fw.distribution} {release.version} ({variant.name}) needs {req}, the lock has "
                                        f"{req.name}=={have}", kind="library-pin"))
    # Local versions of other packages (xformers+cu118, torch-scatter+pt24cu121) come only from the
    # index or link page that built them: PyPI publishes no local versions.
    framework_names = {fw.distribution for fw in cat.frameworks.values()}
    if f.kind in ("requirements", "requirements-in") and not others:  # a constraints file installs nothing
        for p in f.pins:
            if p.version and "+" in p.version and p.name not in framework_names and not p.url:
                file, line = _where(f, p)
                out.append(CheckFinding("error", file, line, f"{p.name}=={p.version}: a local version, and no index or "
                                        "link page in this file serves it (PyPI publishes no local versions): pip "
                                        "cannot install it", "name the index that builds it, in a file of its own",
                                        kind="local-label-no-index"))
    out += _one_major(cat, f, found)
    if fleet is not None:
        out += _fleet_of_builds(cat, f, found, fleet, platform)
    return out


def _one_major(cat: Catalog, f: LockedFile, found: list[_Build]) -> list[CheckFinding]:
    """One CUDA major per environment: the packages that carry one (GPU libraries, cupy, onnxruntime-gpu,
    local labels...) and each framework build's own CUDA. The finding says which files collide."""
    framework_names = {b.fw.distribution for b in found}
    majors = cuda_majors(cat, ((p.name, p.version) for p in f.pins if p.name not in framework_names))
    for b in found:
        if b.variant.accelerator == "cuda" and b.variant.cuda:
            majors.setdefault(b.variant.cuda.split(".")[0], []).insert(
                0, f"{b.fw.distribution}=={b.pin.version} ({b.variant.name})")
    if len(majors) < 2:
        return []
    shown = "; ".join(f"CUDA {m}: {', '.join(v[:3])}{' ...' if len(v) > 3 else ''}" for m, v in sorted(majors.items()))
    colliding = collisions(cat, majors)
    what = ("; " + "; ".join(f"the {family} wheels of both majors install {', '.join(files)}"
                             for family, files in colliding)) if colliding else \
        "; each major's CUDA libraries load into one process"
    stack = "+".join(b.fw.name for b in found)
    fix = (f"envsolve {stack} --gpu (solve the stack together)" if stack else
           "keep the CUDA packages of one major")
    return [CheckFinding("error", f.path, None, f"two CUDA majors in one environment ({shown}){what}", fix,
                         kind="cuda-major")]


def _indexed_build(release: Release, served: list[str], platform: str) -> Variant | None:
    """The build of ``release`` that a framework index among the file's sources serves on
    ``platform`` (the first named index that has one), or None."""
    for url in served:
        for v in release.variants:
            if v.index != "pypi" and v.index.rstrip("/") == url and (not v.platforms or platform in v.platforms):
                return v
    return None


def _index_rule(cat: Catalog, f: LockedFile, fw: Framework, release: Release, variant: Variant, pin: Pin,
                version: Version, served: list[str], others: list[str]) -> list[CheckFinding]:
    """A framework build from its own index needs that index among the file's sources; a local
    version (``+cu126``) never comes from PyPI. Naming it through --extra-index-url is the
    dependency-confusion finding alone (reported with the option)."""
    file, line = _where(f, pin)
    home = variant.index.rstrip("/") if variant.index != "pypi" else None
    if version.local:
        if home is not None and home in served:
            return []
        if not others:
            return [CheckFinding("error", file, line, f"{fw.distribution}=={pin.version}: a local version, and no "
                                 f"index in this file serves it (PyPI publishes no local versions): pip cannot "
                                 f"install it" + (f"; the {variant.name} build comes from {home}" if home else ""),
                                 f"a requirements file of its own with --index-url {home or variant.index}",
                                 kind="local-label-no-index")]
        if home is not None and not any(u.rstrip("/") == home for u in others):
            return [CheckFinding("error", file, line, f"{fw.distribution}=={pin.version} is not on {', '.join(others)}: "
                                 f"the {variant.name} build comes only from {home}",
                                 f"a requirements file of its own with --index-url {home}", kind="wrong-index")]
        return []
    # A plain version, with framework indexes named: do they hold this release at all?
    indexes = [u for u in served if u != PYPI_INDEX.rstrip("/")]
    framework_indexes = {u.rstrip("/") for u in fw.indexes.values()}
    named = [u for u in indexes if u in framework_indexes]
    holding = {v.index.rstrip("/") for v in release.variants if v.index != "pypi"}
    if named and not any(u in holding for u in named):
        return [CheckFinding("warning", file, line, f"{fw.distribution}=={pin.version}: {', '.join(named)} has no "
                             f"{fw.distribution} {release.version} build, so pip takes PyPI's ({variant.name})",
                             f"name the index of the build you want, or drop the index", kind="wrong-index")]
    return []


def _fleet_of_builds(cat: Catalog, f: LockedFile, found: list[_Build], fleet: Fleet, platform: str) -> list[CheckFinding]:
    """Any lockfile against the fleet: each locked framework build's kernel list and driver floor,
    from the catalog, by the rules the solver applies."""
    out = []
    os_name = fleet.os or ("windows" if platform.startswith("windows") else
                           "macos" if platform.startswith("macos") else "linux")
    family = driver_family(cat, os_name)
    for b in found:
        described = f"{b.fw.distribution} {b.pin.version} ({b.variant.name})"
        line = b.pin.line
        if b.variant.accelerator != "cuda":
            if fleet.gpus:
                out.append(CheckFinding("warning", f.path, line, f"{described} is a {b.variant.accelerator.upper()} build: "
                                        "the fleet's NVIDIA GPUs will not be used"))
            continue
        built = kernels.kernels_of(cat, b.fw.distribution, b.release.version, b.variant, platform)
        jit = False
        for gpu in fleet.gpus:
            how = kernels.coverage(gpu.compute_capability, built.sass, built.ptx)
            if how is kernels.Coverage.NONE:
                out.append(CheckFinding("error", f.path, line, f"{gpu.describe()} has no kernels in {described} "
                                        f"(built for {built.describe()})"))
            jit = jit or how is kernels.Coverage.PTX
        if fleet.driver and family:
            floor = driver.floor_of(cat, b.variant, family)
            verdict = driver.verdict(floor, fleet.driver, needs_jit=jit)
            if verdict.support is driver.Support.BELOW:
                out.append(CheckFinding("error", f.path, line, f"{described} needs driver >= {verdict.need}; the "
                                        f"{fleet.driver} nodes cannot run it"))
            elif verdict.support is driver.Support.MINOR_COMPAT:
                out.append(CheckFinding("warning", f.path, line, f"{described} wants driver >= {floor.full}; the "
                                        f"{fleet.driver} nodes run it only through CUDA minor-version compatibility "
                                        "(no PTX JIT)"))
    return out


# ---- envsolve lock sets -------------------------------------------------------------------------

def _lock_set(cat: Catalog, path: Path, f: LockedFile, fleet: Fleet | None
              ) -> tuple[list[CheckFinding], list[LockParseError]]:
    """Findings about a lock set, and its listed files that cannot be read (not regular, too
    large, or a link out of the set's folder: errors, as unreadable lockfiles are)."""
    out = []
    errors = []
    meta = f.meta or {}
    lock = meta["lock"]
    folder = path.parent
    for name, digest in sorted(lock["files"].items()):
        target = folder / name
        if not os.path.lexists(target):
            out.append(CheckFinding("error", f.path, None, f"{name} is listed but missing", kind="missing"))
            continue
        try:
            data = read_bytes(target, MAX_LOCKFILE, tree=folder)
        except UnsafeInput as exc:
            errors.append(LockParseError(str(target), None, f"listed in {f.path}, cannot be checked: {exc.reason}"))
            continue
        if hashlib.sha256(data).hexdigest() != digest:
            out.append(CheckFinding("error", str(target), None, "does not match the sha256 recorded in envsolve.json "
                                    "(edited or tampered with)", f"envsolve check --fix {folder}", kind="tampered"))
    if meta.get("catalog_digest") != cat.digest:
        try:
            fix = regeneration(cat, path, meta).command
        except InputError as exc:
            fix = None
            out.append(CheckFinding("error", f.path, None, f"cannot be regenerated: {exc}", kind="unregenerable"))
        out.append(CheckFinding("stale", f.path, None, "generated from another catalog than the current one", fix,
                                kind="stale"))
    out += _project_freshness(cat, path, f, meta)
    if fleet is not None:
        out += _fleet(cat, f, meta, fleet)
    return out, errors


def _fleet(cat: Catalog, f: LockedFile, meta: dict, fleet: Fleet) -> list[CheckFinding]:
    """The lock set's recorded GPU support and driver floor against the fleet, by the same rules the
    solver and the install scripts apply."""
    out = []
    system = meta.get("system") or {}
    family = driver_family(cat, fleet.os or meta["target"]["os"])
    jit = False
    support = system.get("gpu_support")
    for gpu in fleet.gpus:
        if support is not None:
            how = (kernels.Coverage.SASS if gpu.compute_capability in support.get("sass", ()) else
                   kernels.Coverage.PTX if gpu.compute_capability in support.get("ptx", ()) else kernels.Coverage.NONE)
        else:  # a set written before gpu_support was recorded
            how = kernels.coverage(gpu.compute_capability, system.get("compute_capabilities") or [], system.get("ptx") or [])
        if how is kernels.Coverage.NONE and (support is not None or system.get("compute_capabilities")):
            if support is not None:
                native, jit_only = support.get("sass") or [], support.get("ptx") or []
                runs = (f"it runs on compute capability {' '.join(native)}" if native else "it has no GPU kernels") + (
                    f", and through PTX JIT on {' '.join(jit_only)}" if jit_only else "")
            else:
                runs = f"built for {' '.join(system.get('compute_capabilities') or [])}"
            out.append(CheckFinding("error", f.path, None, f"{gpu.describe()} has no kernels in this lock set ({runs})"))
        jit = jit or how is kernels.Coverage.PTX
    floor_data = (system.get("driver_min") or {}).get(family) if family else None
    if fleet.driver and floor_data:
        full, compat = floor_data.get("full"), floor_data.get("minor_compat")
        bad = [v for v in (full, compat) if v is not None and not _DRIVER.match(v)]
        if bad:
            return out + [CheckFinding("error", f.path, None, f"field system.driver_min.{family}: {bad[0][:40]!r} is not a "
                                       "driver version; the driver was not checked")]
        floor = driver.DriverFloor(family or "linux", full, compat)
        verdict = driver.verdict(floor, fleet.driver, needs_jit=jit)
        if verdict.support is driver.Support.BELOW:
            out.append(CheckFinding("error", f.path, None, f"needs driver >= {floor.full or floor.compat}; the {fleet.driver} nodes "
                                    f"cannot run it" + (" (below even the minor-version-compatibility floor "
                                                        f"{floor.compat})" if floor.compat and not jit else "")))
        elif verdict.support is driver.Support.MINOR_COMPAT:
            out.append(CheckFinding("warning", f.path, None, f"wants driver >= {floor.full}; the {fleet.driver} nodes "
                                    "run it only through CUDA minor-version compatibility (no PTX JIT)"))
    return out


def _glibc(cat: Catalog, f: LockedFile, fleet: Fleet) -> list[CheckFinding]:
    """Locked packages none of whose Linux wheels installs on the fleet's glibc: from the wheel names
    the lockfile gives, else from the catalog (its file lists; an index build's documented floor)."""
    assert fleet.glibc is not None
    platform = f.platform or "linux-x86_64"
    if not platform.startswith("linux-"):
        return []
    python = f.python or "3.12"
    where = f"{fleet.edition or 'the fleet'} has glibc {fleet.glibc}"
    pins = {p.name: p for p in f.pins}
    out: list[CheckFinding] = []
    for pin in f.pins:
        if pin.version is None:
            continue
        tagged = [wheel_glibc(w, cat.manylinux_legacy) for w in pin.wheels if platform in wheel_platforms(w)]
        if tagged:
            stated = lowest_stated(tagged)
            if stated is None:  # a linux_* wheel states no glibc
                continue
            need, basis = stated, "the locked wheels' tags"
        else:
            found = _catalog_glibc(cat, pin, pins, platform, python)
            if found is None or not found.known or found.glibc is None:
                continue
            need, basis = found.glibc, ("its documented build image" if found.basis == "catalog"
                                        else "its wheels' tags, from the catalog")
        if not glibc_fits(need, fleet.glibc):
            out.append(CheckFinding("error", f.path, pin.line, f"{pin.name}=={pin.version} needs glibc {need} ({basis}); "
                                    f"{where}", f"envsolve STACK --os {fleet.edition or 'linux'}"
                                    + ("" if fleet.edition else f" --glibc {fleet.glibc}") + " (re-solve for it)"))
    recorded = ((f.meta or {}).get("system") or {}).get("glibc_min")
    if not out and isinstance(recorded, str) and re.fullmatch(r"2\.\d{1,2}", recorded) and not glibc_fits(recorded, fleet.glibc):
        out.append(CheckFinding("error", f.path, None, f"the lock set's wheels need glibc {recorded}; {where}"))
    return out


def _catalog_glibc(cat: Catalog, pin: Pin, pins: Mapping[str, Pin], platform: str, python: str) -> Need | None:
    assert pin.version is not None
    fw = next((fw for fw in cat.frameworks.values() if fw.distribution == pin.name), None)
    if fw is None:
        return builds.package_glibc(cat, pin.name, pin.version, platform, python)
    try:
        version = Version(pin.version)
    except InvalidVersion:
        return None
    release = fw.release(version.public)
    variant = builds.identify(cat, fw, release, version.local, list(pins), platform) if release is not None else None
    if release is None or variant is None:
        return None
    return builds.glibc_need(cat, fw, release, variant, platform, python)


def _project_freshness(cat: Catalog, path: Path, f: LockedFile, meta: dict) -> list[CheckFinding]:
    """A lock set made with the project's requirement files is stale once one of them changes (paths
    as recorded, relative to where envsolve ran: the repository root, for pre-commit)."""
    from .project import MAX_BYTES, text_digest

    recorded = (meta.get("request") or {}).get("project_files") or {}
    if not isinstance(recorded, dict) or not recorded:
        return []
    try:
        command: str | None = regeneration(cat, path, meta).command
    except InputError:
        command = None
    out = []
    for name, digest in sorted(recorded.items()):
        try:
            data = read_bytes(Path(str(name)), MAX_BYTES, tree=Path.cwd())
            now: str | None = text_digest(data.decode("utf-8").removeprefix("\ufeff"))
        except (UnsafeInput, UnicodeDecodeError):
            now = None
        if now is None:
            out.append(CheckFinding("stale", f.path, None, f"made with the project file {printable(str(name))}, which is "
                                    "missing or unreadable now", command, kind="stale"))
        elif now != digest:
            out.append(CheckFinding("stale", f.path, None, f"made with an earlier {printable(str(name))} (it changed "
                                    "since)", command, kind="stale"))
    return out


def _project_args(words: object, where: str) -> tuple[str, ...]:
    """The manifest's ``request.project_args``: option/value pairs of the project options only."""
    from .project import OPTIONS

    if not isinstance(words, list) or len(words) % 2 or not all(isinstance(w, str) for w in words):
        raise InputError(f"{where}field request.project_args: not a list of option/value pairs")
    for option, value in zip(words[::2], words[1::2]):
        if option not in OPTIONS or not value or CONTROL.search(value):
            raise InputError(f"{where}field request.project_args: {printable(option)[:40]!r} "
                             f"{printable(value)[:60]!r} is not a project option and value")
    return tuple(words)


class Regeneration(NamedTuple):
    """How to write a lock set again: its request and target rebuilt from the manifest's fields
    (validated as the command line validates them), and the folder it may write into."""

    request: Request
    target: Target
    offline: bool
    allow_unhashed: tuple[str, ...]
    out: Path  # the parent of the set's folder: the new set lands in out/<name>, its own folder
    command: str  # the equivalent command, to show


def regeneration(cat: Catalog, manifest_path: Path, meta: Mapping) -> Regeneration:
    """The request a lock set was generated for, rebuilt from ``envsolve.json``'s ``request`` and
    ``target`` objects through :func:`resolver.request.build_request` (never from the recorded
    command line). Raises :class:`InputError` naming the field that does not hold up, or when the
    request would name another set than the folder it is in."""
    import shlex

    from .explain import command_line
    from .lockset import lockset_name, recorded_out
    from .project import read_words
    from .request import Host, build_request

    where = f"{manifest_path}: "
    request, target, lock = meta["request"], meta["target"], meta["lock"]
    stack = "+".join(f"{item['framework']}{item['specifier']}" for item in request["stack"])
    accel = request["accelerator"]
    if accel not in ("cuda", "mps", "cpu", "rocm"):
        raise InputError(f"{where}field request.accelerator: {accel!r} is not cuda, mps, cpu or rocm")
    unhashed = tuple(lock.get("unhashed") or ())
    for name in unhashed:
        if not re.fullmatch(r"[a-z0-9]([a-z0-9._-]*[a-z0-9])?", name):
            raise InputError(f"{where}field lock.unhashed: {name[:60]!r} is not a package name")
    edition = target.get("edition")
    args = _project_args(request.get("project_args") or [], where)
    try:
        project = read_words(args) if args else None
        req, tgt = build_request(
            cat, stack, accelerator=None if accel == "rocm" else "cpu" if accel == "cpu" else "gpu",
            rocm=(request.get("rocm") or "any") if accel == "rocm" else None, os_name=edition or target["os"],
            arch=target["arch"], python=target["python"],
            gpu_models=["sm_" + g["compute_capability"].replace(".", "") for g in target.get("gpus") or []],
            driver=target.get("driver"), cuda=request.get("cuda"), glibc=None if edition else target.get("glibc"),
            host=Host(target["os"], target["arch"], target["python"]), project=project, project_args=args)
    except InputError as exc:
        raise InputError(f"{where}request/target do not hold up: {exc}") from None
    req = req._replace(strict=bool(request.get("strict")))
    folder = manifest_path.parent
    name = lockset_name(req, tgt)
    if name != folder.name or not FILE_NAME.match(name):
        raise InputError(f"{where}the manifest's request names the set {name!r}, not its folder {folder.name!r}")
    offline = lock.get("transitive") is False
    out = folder.parent
    command = command_line(req, tgt) + f" --out {shlex.quote(recorded_out(out))}" + (" --offline" if offline else "")
    command += "".join(f" --allow-unhashed {n}" for n in unhashed)
    return Regeneration(req, tgt, offline, unhashed, out, command)

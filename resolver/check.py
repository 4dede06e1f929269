"""``envsolve check``: lockfiles against the catalog's rules, their own integrity and freshness,
and the fleet they must run on. Pure apart from reading the files it is given.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from packaging.version import InvalidVersion, Version

from .catalog import Catalog, Framework, Release, Variant
from .lockread import LockedFile, LockParseError, Pin, read
from .platforms import PYPI_INDEX, wheel_glibc, wheel_platforms
from .rules import builds, driver, kernels
from .rules.glibc import Need
from .rules.glibc import fits as glibc_fits
from .rules.glibc import key as glibc_key
from .rules.libraries import cuda_majors, cuda_of_label, is_library
from .rules.platform import driver_family
from .rules.target import GpuTarget

LOCKFILE_NAMES = ("requirements*.txt", "pylock*.toml", "conda-lock.yml", "envsolve.json")


class CheckFinding(NamedTuple):
    severity: str  # error | warning | stale
    file: str
    line: int | None
    message: str
    fix: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{self.severity} {where}: {self.message}" + (f" (fix: {self.fix})" if self.fix else "")


class Fleet(NamedTuple):
    driver: str | None
    gpus: tuple[GpuTarget, ...]
    os: str | None  # linux | wsl2 | windows | macos
    glibc: str | None = None  # the fleet's glibc (Linux and WSL2), from an edition or --glibc
    edition: str | None = None  # ubuntu-22.04, amazonlinux-2


def collect(paths: Iterable[Path]) -> list[Path]:
    """Lockfiles named, or found in the folders named (lock sets: every file their manifest lists)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for pattern in LOCKFILE_NAMES:
                found.extend(sorted(path.rglob(pattern)))
        else:
            found.append(path)
    return sorted(set(found))


def check(cat: Catalog, paths: Iterable[Path], fleet: Fleet | None = None) -> tuple[list[CheckFinding], list[LockParseError]]:
    findings: list[CheckFinding] = []
    errors: list[LockParseError] = []
    for path in collect(paths):
        try:
            locked = read(path)
        except LockParseError as exc:
            errors.append(exc)
            continue
        if locked.kind == "envsolve":
            findings += _lock_set(cat, path, locked, fleet)
        else:
            findings += _integrity(path, locked)
            findings += _compatibility(cat, locked)
        if fleet is not None and fleet.glibc is not None:
            findings += _glibc(cat, locked, fleet)
    return findings, errors


def _integrity(path: Path, f: LockedFile) -> list[CheckFinding]:
    out = []
    for option, value, line in f.options:
        if option == "--extra-index-url":
            out.append(CheckFinding("error", f.path, line, "--extra-index-url lets any index serve any package "
                                    "(dependency confusion); give each index its own requirements file"))
        elif option == "--trusted-host":
            out.append(CheckFinding("error", f.path, line, f"--trusted-host {value} turns off TLS checks"))
        elif option in ("-r", "--requirement", "-c", "--constraint"):
            out.append(CheckFinding("warning", f.path, line, f"{option} {value}: included files are not checked here; "
                                    "name them too"))
        if value.startswith("http://"):
            out.append(CheckFinding("error", f.path, line, f"{option} {value}: plain http; use https"))
    try:
        if "unsafe-best-match" in path.read_text(encoding="utf-8", errors="replace"):
            out.append(CheckFinding("error", f.path, None, "index strategy unsafe-best-match mixes indexes "
                                    "(dependency confusion)"))
    except OSError:
        pass
    hashed = [p for p in f.pins if p.hashes]
    for p in f.pins:
        if p.version is None and not p.url:
            out.append(CheckFinding("error", f.path, p.line, f"{p.name} is not pinned with =="))
        if hashed and not p.hashes:
            out.append(CheckFinding("error", f.path, p.line, f"{p.name} has no hash while others do (pip's hash-checking "
                                    "mode refuses the whole file)"))
        weak = [h for h in p.hashes if not h.startswith("sha256:")]
        if weak:
            out.append(CheckFinding("error", f.path, p.line, f"{p.name}: {weak[0].split(':')[0]} is not accepted as proof; "
                                    "use sha256"))
        if p.url and p.url.startswith("http://"):
            out.append(CheckFinding("error", f.path, p.line, f"{p.name} comes from a plain-http URL"))
    return out


def _compatibility(cat: Catalog, f: LockedFile) -> list[CheckFinding]:
    out = []
    pins = {p.name: p for p in f.pins}
    majors = cuda_majors(cat, ((p.name, p.version) for p in f.pins))
    for p in f.pins:
        cuda = cuda_of_label(p.version.split("+", 1)[1]) if p.version and "+" in p.version and not is_library(p.name) else None
        if cuda:
            majors.setdefault(cuda.split(".")[0], []).append(f"{p.name}=={p.version}")
    if len(majors) > 1:
        shown = "; ".join(f"CUDA {m}: {', '.join(v[:2])}" for m, v in sorted(majors.items()))
        out.append(CheckFinding("error", f.path, None, f"two CUDA majors in one environment ({shown}); their cuDNN/NCCL "
                                "wheels install the same files", "envsolve STACK --gpu (solve the stack together)"))
    platform = f.platform or "linux-x86_64"
    python = f.python or "3.12"
    indexes = [value.rstrip("/") for option, value, _ in f.options if option in ("--index-url", "-i", "--index")]
    if f.kind == "requirements" and not indexes:
        indexes = [PYPI_INDEX]
    for fw in cat.frameworks.values():
        pin = pins.get(fw.distribution)
        if pin is None or pin.version is None:
            continue
        try:
            version = Version(pin.version)
        except InvalidVersion:
            continue
        release = fw.release(version.public)
        if release is None:
            out.append(CheckFinding("warning", f.path, pin.line, f"{fw.distribution} {pin.version} is not in the catalog; "
                                    "not checked", "envsolve catalog sync"))
            continue
        if release.broken:
            out.append(CheckFinding("error", f.path, pin.line, f"{fw.distribution} {release.version} is marked broken: "
                                    f"{release.broken}"))
        variant = _variant(cat, fw, release, version, pins, platform)
        if variant is None:
            continue
        if version.local and variant.index != "pypi" and indexes and variant.index.rstrip("/") not in indexes:
            out.append(CheckFinding("error", f.path, pin.line, f"{fw.distribution} {pin.version} is not on "
                                    f"{', '.join(indexes)}: the {variant.name} build comes only from {variant.index}",
                                    f"a requirements file of its own with --index-url {variant.index}"))
        if variant.broken:
            out.append(CheckFinding("error", f.path, pin.line, f"{fw.distribution} {pin.version} ({variant.name}) is marked "
                                    f"broken: {variant.broken}"))
        for req in builds.requires(cat, fw, release, variant, platform, python):
            if not is_library(req.name) or req.name not in pins:
                continue
            have = pins[req.name].version
            if have and str(req.specifier) and not req.specifier.contains(have, prereleases=True):
                out.append(CheckFinding("error", f.path, pins[req.name].line,
                                        f"{fw.distribution} {release.version} ({variant.name}) needs {req}, the lock has "
                                        f"{req.name}=={have}"))
    return out


def _variant(cat: Catalog, fw: Framework, release: Release, version: Version, pins: Mapping[str, object],
             platform: str) -> Variant | None:
    if version.local:
        return builds.labelled_variant(release, version.local, platform)
    gpu_libs = any(is_library(name) for name in pins)
    candidates = [v for v in release.variants if v.index == "pypi" and platform in v.pypi_default]
    preferred = [v for v in candidates if (v.accelerator == "cuda") == gpu_libs]
    found = preferred or candidates
    return found[0] if found else None


def _lock_set(cat: Catalog, path: Path, f: LockedFile, fleet: Fleet | None) -> list[CheckFinding]:
    out = []
    meta = f.meta or {}
    lock = meta["lock"]
    folder = path.parent
    for name, digest in sorted(lock.get("files", {}).items()):
        target = folder / name
        if not target.is_file():
            out.append(CheckFinding("error", f.path, None, f"{name} is listed but missing"))
        elif hashlib.sha256(target.read_bytes()).hexdigest() != digest:
            out.append(CheckFinding("error", str(target), None, "does not match the sha256 recorded in envsolve.json "
                                    "(edited or tampered with)", lock.get("command")))
    if meta.get("catalog_digest") != cat.digest:
        out.append(CheckFinding("stale", f.path, None, "generated from another catalog than the current one",
                                lock.get("command")))
    out += _project_freshness(f, meta)
    if fleet is not None:
        out += _fleet(cat, f, meta, fleet)
    return out


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
            out.append(CheckFinding("error", f.path, None, f"{gpu.describe()} has no kernels in this lock set "
                                    f"(built for {' '.join(system.get('compute_capabilities') or []) or 'unknown'})"))
        jit = jit or how is kernels.Coverage.PTX
    floor_data = (system.get("driver_min") or {}).get(family) if family else None
    if fleet.driver and floor_data:
        floor = driver.DriverFloor(family or "linux", floor_data.get("full"), floor_data.get("minor_compat"))
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
            stated = [t for t in tagged if t is not None]
            if len(stated) < len(tagged):  # a linux_* wheel states no glibc
                continue
            need, basis = min(stated, key=glibc_key), "the locked wheels' tags"
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
    variant = _variant(cat, fw, release, version, pins, platform) if release is not None else None
    if release is None or variant is None:
        return None
    return builds.glibc_need(cat, fw, release, variant, platform, python)


def _project_freshness(f: LockedFile, meta: dict) -> list[CheckFinding]:
    """A lock set made with the project's requirement files is stale once one of them changes (paths
    as recorded, relative to where envsolve ran: the repository root, for pre-commit)."""
    recorded = (meta.get("request") or {}).get("project_files") or {}
    command = (meta.get("lock") or {}).get("command")
    out = []
    for name, digest in sorted(recorded.items()) if isinstance(recorded, dict) else ():
        path = Path(str(name))
        try:
            now = hashlib.sha256(path.read_bytes().decode("utf-8").removeprefix("\ufeff").encode("utf-8")).hexdigest() \
                if path.is_file() and not path.is_symlink() and path.stat().st_size <= 1024 * 1024 else None
        except (OSError, UnicodeDecodeError):
            now = None
        if now is None:
            out.append(CheckFinding("stale", f.path, None, f"made with the project file {name}, which is missing or "
                                    "unreadable now", command))
        elif now != digest:
            out.append(CheckFinding("stale", f.path, None, f"made with an earlier {name} (it changed since)", command))
    return out

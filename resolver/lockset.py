"""A lock set: the solved packages with the exact wheel files (URL and sha256) for the target.

This module turns a :class:`~resolver.solver.Solution` into a :class:`LockSet` value; the
emitters (:mod:`resolver.emit`) turn that into documents and :mod:`resolver.writer` writes them.
The lock set built here is the *stack-level* one: the solver's pins (frameworks, companions,
plugins, GPU libraries) with hashes from the catalog, not their transitive dependencies (numpy,
protobuf...). It says so in every file it produces.
"""

from __future__ import annotations

from collections.abc import Mapping
import os
from pathlib import Path
from typing import NamedTuple

from .candidates import Package
from .catalog import Catalog, canonicalize_name
from .errors import InputError
from .platforms import PYPI_INDEX as PYPI_SIMPLE
from .rules.target import Request, Target
from .rules.wheels import wheel_fits as _fits
from .solver import Solution

class LockError(InputError):
    """The lock set cannot be built (a package without hashes, say); nothing is written."""


class Artifact(NamedTuple):
    filename: str
    url: str
    sha256: str


class LockedPackage(NamedTuple):
    name: str
    version: str
    role: str  # framework | companion | plugin | gpu-library
    index: str  # type: ignore[assignment]  # the simple-index URL it must come from (shadows tuple.index)
    extras: tuple[str, ...]
    variant: str | None
    wheels: tuple[Artifact, ...]  # empty only when --allow-unhashed named it


class BaseImage(NamedTuple):
    """The container image a Linux lock set's Dockerfile starts from, and how it gets its Python."""

    image: str  # ubuntu:22.04, python:3.12-slim
    manager: str | None  # apt | dnf: installs the distribution's own Python; None: the image has it
    packages: tuple[str, ...]
    executable: str  # python3, python3.12, python
    reason: str  # why this image (said in the Dockerfile)


class LockSet(NamedTuple):
    name: str  # folder name: tensorflow-pytorch-cuda-linux-x86_64-py312
    solution: Solution
    packages: tuple[LockedPackage, ...]
    command: str  # the envsolve command that regenerates it
    catalog_digest: str
    transitive: bool  # False: the solver's pins only (--offline)
    unhashed: tuple[str, ...]
    base: BaseImage | None = None  # Linux targets
    glibc: str | None = None  # Linux targets: the highest glibc the locked wheels' tags need (lock_glibc)


def lock_glibc(legacy: Mapping[str, str], packages: tuple[LockedPackage, ...], solution: Solution) -> str | None:
    """The highest glibc the locked wheels' manylinux tags need on a Linux target (None elsewhere,
    or when no wheel states one); at least what the solver found for its pins."""
    from .platforms import wheel_glibc
    from .rules.glibc import highest

    if not solution.target.platform.startswith("linux-"):
        return None
    return highest([*(wheel_glibc(w.filename, dict(legacy)) for p in packages for w in p.wheels),
                    solution.system.glibc_min])


def base_image(cat: Catalog, target: Target) -> BaseImage | None:
    """The edition's own image with its own Python where the catalog has both; else the official
    python:X.Y-slim image, saying why. None for targets that are not Linux."""
    if not target.platform.startswith("linux-"):
        return None
    slim = f"python:{target.python}-slim"
    dist = cat.distributions.get(target.edition or "")
    if dist is None:
        why = (f"no edition named (glibc {target.glibc}): the official {slim} image" if target.glibc
               else f"no edition named: the official {slim} image")
        return BaseImage(slim, None, (), "python", why)
    if dist.image is None:
        return BaseImage(slim, None, (), "python", f"no official {dist.name} image is catalogued: {slim} instead "
                                                   f"(install.sh checks its glibc)")
    own = next((p for p in dist.pythons if p.python == target.python), None)
    if own is None:
        have = ", ".join(p.python for p in dist.pythons) or "none"
        return BaseImage(slim, None, (), "python", f"{dist.image} installs Python {have} from its own repositories, "
                                                   f"not {target.python}: {slim} instead (install.sh "
                                                   f"checks its glibc)")
    return BaseImage(dist.image, own.manager, own.packages, own.executable,
                     f"{dist.name}'s own image, with Python {own.python} from its own repositories")


def lockset_name(request: Request, target: Target) -> str:
    """tensorflow-pytorch-cuda-linux-x86_64-py312; an edition or glibc names the OS part
    (pytorch-cuda-amazonlinux-2-x86_64-py312, pytorch-cuda-linux-glibc2.26-x86_64-py312)."""
    stack = "-".join(item.framework for item in request.stack)
    where = target.edition or (f"{target.os}-glibc{target.glibc}" if target.glibc else target.os)
    return f"{stack}-{request.accelerator}-{where}-{target.arch}-py{target.python.replace('.', '')}"


def recorded_out(out: Path) -> str:
    """How a lock set's ``--out`` is written into its regenerate command: relative to the root of
    the git repository the folder lies in (so the command works from any checkout of it), else as
    given."""
    absolute = Path(os.path.abspath(out))
    for parent in (absolute, *absolute.parents):
        if os.path.exists(parent / ".git"):
            return absolute.relative_to(parent).as_posix() or "."
    return str(out)


def wheel_fits(filename: str, target: Target, legacy: Mapping[str, str]) -> bool:
    """Does this wheel install on the target's platform, CPython and glibc (``legacy``: the
    manylinux1/2010/2014 aliases, os.yaml)?"""
    return _fits(filename, target.platform, target.python, target.glibc, legacy)



def _artifacts(cat: Catalog, pkg: Package, target: Target) -> tuple[Artifact, ...]:
    if pkg.index != "pypi":
        return ()  # framework-index wheels are not in the catalog (that index is not harvested)
    name = canonicalize_name(pkg.name)
    if pkg.role == "gpu-library":
        lib = cat.libraries.get(name)
        files = lib.wheels(pkg.version) if lib else ()
    else:
        project = cat.pypi.get(name)
        rel = project.releases.get(pkg.version) if project else None
        files = rel.wheels() if rel else ()
    return tuple(Artifact(f, url, sha) for f, sha, url in sorted(files) if wheel_fits(f, target, cat.manylinux_legacy))


def build(cat: Catalog, solution: Solution, command: str, allow_unhashed: tuple[str, ...] = (),
          need_hashes: bool = True) -> LockSet:
    """The stack-level lock set of ``solution``. Raises :class:`LockError` naming every package
    without a hashed wheel for the target, unless ``allow_unhashed`` names it or ``need_hashes`` is
    False (the transitive lock then takes every artifact and hash from uv's answer)."""
    allowed = {canonicalize_name(n) for n in allow_unhashed}
    packages, missing, unhashed = [], [], []
    for pkg in solution.packages:
        if pkg.version == "*":
            continue
        wheels = _artifacts(cat, pkg, solution.target)
        if not wheels and need_hashes:
            where = "PyPI" if pkg.index == "pypi" else pkg.index
            if canonicalize_name(pkg.name) in allowed:
                unhashed.append(canonicalize_name(pkg.name))
            else:
                missing.append(f"{pkg.name}=={pkg.version} ({where})")
        index = PYPI_SIMPLE if pkg.index == "pypi" else pkg.index
        packages.append(LockedPackage(canonicalize_name(pkg.name), pkg.version, pkg.role, index, pkg.extras,
                                      pkg.variant, wheels))
    if missing:
        raise LockError("no hashed wheel for " + solution.target.platform + f"/Python {solution.target.python} in the "
                        f"catalog for: {', '.join(missing)}; pass --allow-unhashed NAME to lock it without a hash")
    packages.sort(key=lambda p: (p.index != PYPI_SIMPLE, p.name))
    return LockSet(lockset_name(solution.request, solution.target), solution, tuple(packages), command,
                   cat.digest, False, tuple(sorted(unhashed)), base_image(cat, solution.target),
                   lock_glibc(cat.manylinux_legacy, tuple(packages), solution))

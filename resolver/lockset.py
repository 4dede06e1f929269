"""A lock set: the solved packages with the exact wheel files (URL and sha256) for the target.

This module turns a :class:`~resolver.solver.Solution` into a :class:`LockSet` value; the
emitters (:mod:`resolver.emit`) turn that into documents and :mod:`resolver.writer` writes them.
The lock set built here is the *stack-level* one: the solver's pins (frameworks, companions,
plugins, GPU libraries) with hashes from the catalog, not their transitive dependencies (numpy,
protobuf...). It says so in every file it produces.
"""

from __future__ import annotations

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


class LockSet(NamedTuple):
    name: str  # folder name: tensorflow-pytorch-cuda-linux-x86_64-py312
    solution: Solution
    packages: tuple[LockedPackage, ...]
    command: str  # the envsolve command that regenerates it
    catalog_digest: str
    transitive: bool  # False: the solver's pins only (--offline)
    unhashed: tuple[str, ...]


def lockset_name(request: Request, target: Target) -> str:
    stack = "-".join(item.framework for item in request.stack)
    return f"{stack}-{request.accelerator}-{target.os}-{target.arch}-py{target.python.replace('.', '')}"


def recorded_out(out: Path) -> str:
    """How a lock set's ``--out`` is written into its regenerate command: relative to the root of
    the git repository the folder lies in (so the command works from any checkout of it), else as
    given."""
    absolute = Path(os.path.abspath(out))
    for parent in (absolute, *absolute.parents):
        if os.path.exists(parent / ".git"):
            return absolute.relative_to(parent).as_posix() or "."
    return str(out)


def wheel_fits(filename: str, target: Target) -> bool:
    """Does this wheel install on the target's platform and CPython?"""
    return _fits(filename, target.platform, target.python)


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
    return tuple(Artifact(f, url, sha) for f, sha, url in sorted(files) if wheel_fits(f, target))


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
                   cat.digest, False, tuple(sorted(unhashed)))

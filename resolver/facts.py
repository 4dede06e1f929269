"""Derived facts about a framework variant: platforms, Pythons, GPU-library requirements, driver
floors. One place joins the curated catalog with the generated PyPI data, for show, lint and the
solver alike.
"""

from __future__ import annotations

import dataclasses

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .catalog import Catalog, Framework, PypiRelease, Release, Variant
from .platforms import PLATFORMS, requirements_for, wheel_pythons


_MEMO: dict[tuple, object] = {}


def memo(cat: Catalog, key: tuple, compute):
    """Cache a derived fact for the life of the process, keyed on the catalog's content."""
    full = (cat.digest,) + key
    try:
        return _MEMO[full]
    except KeyError:
        value = _MEMO[full] = compute()
        return value


@dataclasses.dataclass(frozen=True)
class DriverFloor:
    """Minimum driver for one OS family: ``full`` for every feature, ``compat`` with minor-version
    compatibility (same CUDA major, no PTX JIT)."""

    full: str | None
    compat: str | None


def pypi_release(cat: Catalog, fw: Framework, release: Release) -> PypiRelease | None:
    project = cat.pypi.get(canonicalize_name(fw.distribution))
    return project.releases.get(release.version) if project else None


def platforms(cat: Catalog, fw: Framework, release: Release, variant: Variant) -> tuple[str, ...]:
    """Platforms this build installs on."""
    if variant.index != "pypi":
        return variant.platforms
    rel = pypi_release(cat, fw, release)
    if rel is None:
        return ()
    present = {p for g in rel.metadata for p in g.platforms}
    return tuple(p for p in variant.pypi_default if p in present)


def pythons(cat: Catalog, fw: Framework, release: Release, variant: Variant, platform: str) -> tuple[str, ...]:
    """CPython versions ("3.12") with a wheel of this build on ``platform``.

    A framework-index build without a curated ``python`` list is taken to be built for the same
    CPython versions as the release's PyPI wheels on that platform (or on any platform, when PyPI
    has none for it): the projects build both from one matrix.
    """
    if variant.index != "pypi" and variant.python:
        return variant.python
    return memo(cat, ("pythons", fw.name, release.version, variant.index == "pypi", platform),
                lambda: _pythons(cat, fw, release, variant, platform))


def _pythons(cat, fw, release, variant, platform):
    rel = pypi_release(cat, fw, release)
    if rel is None:
        return ()
    from .pypi import wheel_platforms

    names = [w[0] for w in rel.wheels if platform in wheel_platforms(w[0])]
    if not names and variant.index != "pypi":
        names = [w[0] for w in rel.wheels]
    return tuple(wheel_pythons(names))


def requires(cat: Catalog, fw: Framework, release: Release, variant: Variant, platform: str,
             python: str = "3.12") -> list[Requirement]:
    """The requirements this build's wheel declares on ``platform`` (markers evaluated, extras
    of the variant applied). For framework-index builds: the curated ``requires``."""
    extras = (variant.extra,) if variant.extra else ()
    if variant.index != "pypi":
        return requirements_for(variant.requires, platform, python, extras)
    rel = pypi_release(cat, fw, release)
    if rel is None:
        return []
    group = next((g for g in rel.metadata if platform in g.platforms), None)
    if group is None:
        return []
    return requirements_for(group.requires_dist, platform, python, extras)


def driver_floor(cat: Catalog, variant: Variant, os_family: str) -> DriverFloor:
    """The driver floor of a CUDA build on ``os_family`` ("linux" or "windows")."""
    if variant.accelerator != "cuda" or variant.cuda is None:
        return DriverFloor(None, None)
    if os_family in variant.driver_min:
        return DriverFloor(variant.driver_min[os_family], variant.driver_min[os_family])
    toolkit = cat.toolkits.get(variant.cuda)
    major = cat.majors.get(variant.cuda.split(".")[0])
    full = toolkit.driver_min.get(os_family) if toolkit else None
    compat = major.minor_compat_driver.get(os_family) if major else None
    return DriverFloor(full, compat or full)


def all_platforms() -> tuple[str, ...]:
    return PLATFORMS

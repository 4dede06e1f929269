"""Derived facts about a framework variant: platforms, Pythons, GPU-library requirements, driver
floors. One place joins the curated catalog with the generated PyPI data, for show, lint and the
solver alike.
"""

from __future__ import annotations

from typing import NamedTuple

from packaging.specifiers import SpecifierSet

from .catalog import Catalog, Framework, PypiRelease, Release, Variant, canonicalize_name
from .platforms import Req, requirements_for
from .platforms import _pykey as rel_key


_MEMO: dict[tuple, object] = {}


def memo(cat: Catalog, key: tuple, compute):
    """Cache a derived fact for the life of the process, keyed on the catalog's content."""
    full = (cat.digest,) + key
    try:
        return _MEMO[full]
    except KeyError:
        value = _MEMO[full] = compute()
        return value


class DriverFloor(NamedTuple):
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
    found = rel.pythons.get(platform, ())
    if not found and variant.index != "pypi":  # an index build for a platform PyPI has no wheel for
        found = tuple(sorted({p for ps in rel.pythons.values() for p in ps}, key=rel_key))
    return found


def requires(cat: Catalog, fw: Framework, release: Release, variant: Variant, platform: str,
             python: str = "3.12") -> list[Req]:
    """The requirements this build's wheel declares on ``platform`` (markers evaluated, extras
    of the variant applied). For framework-index builds: the curated ``requires``."""
    extras = (variant.extra,) if variant.extra else ()
    if variant.index != "pypi":
        return requirements_for(cat, variant.parsed_requires, platform, python, extras)
    rel = pypi_release(cat, fw, release)
    if rel is None:
        return []
    group = next((g for g in rel.metadata if platform in g.platforms), None)
    if group is None:
        return []
    return requirements_for(cat, group.parsed, platform, python, extras)


def labelled_variant(release: Release, local: str) -> Variant | None:
    """The build a local version label names: 2.8.0+cu128 -> cu128, +rocm6.1 -> rocm6.1, and +cpu
    -> the framework index's CPU build where the release has one."""
    label = local.replace("_", ".")
    return release.variant("cpu-index" if label == "cpu" and release.variant("cpu-index") else label)


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


def companion_versions(cat: Catalog, fw: Framework, version: str, companion: str, exact: bool = True) -> list[str]:
    """Versions of ``companion`` whose metadata pins ``fw.distribution == version`` exactly, or
    (``exact=False``) whose requirement on it merely admits ``version`` (torchvision 0.29.1 says
    torch>=2.14.0), or that share the version number and declare no requirement on it at all
    (torchaudio 2.11.0)."""
    return memo(cat, ("companion-versions", fw.distribution, version, companion, exact),
                lambda: _companion_versions(cat, fw, version, companion, exact))


def _companion_versions(cat: Catalog, fw: Framework, version: str, companion: str, exact: bool) -> list[str]:
    index = memo(cat, ("companions", fw.distribution, companion), lambda: _companion_index(cat, fw, companion))
    if exact:
        pin = f"=={version}"
        return [cv for cv, specs in index.items() if any(str(spec) == pin for spec in specs)]
    found = []
    if not exact and version in index and not index[version]:
        found.append(version)  # same version number, no requirement on the framework at all
    for cv, specs in index.items():
        if any(str(spec) == f"=={version}" if exact else (str(spec) != "" and spec.contains(version, prereleases=True))
               for spec in specs):
            found.append(cv)
    return found


def _companion_index(cat: Catalog, fw: Framework, companion: str) -> dict[str, list]:
    """companion version -> the specifiers (unconditional) its metadata puts on the framework."""
    data = cat.pypi.get(canonicalize_name(companion))
    out: dict[str, list] = {}
    for cv, rel in (data.releases.items() if data else ()):
        specs = []
        for group in rel.metadata:
            for name, _extras, spec, marker in group.parsed:
                if name == canonicalize_name(fw.distribution) and marker is None:
                    specs.append(SpecifierSet(spec))
        out[cv] = specs
    return out

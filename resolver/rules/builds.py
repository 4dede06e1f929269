"""Facts of one framework build on a target, joined from the curated catalog and the harvested
PyPI data: where it installs, for which Pythons, what it requires there, which companions match.

For a build hosted on PyPI, platforms, Pythons and requirements come from the wheels' own metadata
(``catalogs/pypi/``). For a build from a framework's own index, from the curated variant.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from packaging.specifiers import SpecifierSet

from ..platforms import PLATFORMS, environment, python_key
from . import glibc, wheels
from .cache import memo
from .glibc import Need

if TYPE_CHECKING:
    from ..catalog import Catalog, Framework, PypiRelease, Release, Variant

ParsedRequirement = tuple[str, tuple[str, ...], str, "str | None"]  # (name, extras, specifier, marker)


class Req(NamedTuple):
    """A requirement that applies on the target (its marker already evaluated)."""

    name: str  # canonical
    extras: tuple[str, ...]
    specifier: SpecifierSet

    def __str__(self) -> str:
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        return f"{self.name}{extras}{self.specifier}"


def requirements_for(cat: Catalog, parsed: tuple[ParsedRequirement, ...], platform: str, python: str = "3.12",
                     extras: Sequence[str] = ()) -> list[Req]:
    """The pre-parsed requirements (catalog ``MetadataGroup.parsed``) that apply on ``platform``
    and CPython ``python`` with ``extras``, from the catalog's compiled marker table."""
    key = ("requirements", parsed, platform, python, tuple(extras))
    return memo(cat, key, lambda: _requirements_for(cat, parsed, platform, python, tuple(extras)))


def _requirements_for(cat: Catalog, parsed: tuple[ParsedRequirement, ...], platform: str, python: str,
                      extras: tuple[str, ...]) -> list[Req]:
    out = []
    for name, req_extras, spec, marker in parsed:
        if marker is None or marker_holds(cat, marker, platform, python, extras):
            out.append(Req(name, req_extras, SpecifierSet(spec)))
    return out


def marker_holds(cat: Catalog, marker: str, platform: str, python: str, extras: Sequence[str] = ()) -> bool:
    """Does PEP 508 ``marker`` hold for CPython ``python`` on ``platform`` with any of ``extras``
    (or none)? Looked up in the table compiled at catalog build time where it can be."""
    table = cat.markers.get(marker)
    if table is None or python not in cat.pythons or platform not in PLATFORMS:
        from packaging.markers import Marker

        env = environment(platform, python)
        return any(Marker(marker).evaluate(env | {"extra": e}) for e in ("", *extras))
    bit = 1 << (PLATFORMS.index(platform) * len(cat.pythons) + cat.pythons.index(python))
    return any(table.get(e, table[""]) & bit for e in ("", *extras))


def pypi_release(cat: Catalog, fw: Framework, release: Release) -> PypiRelease | None:
    project = cat.pypi.get(fw.distribution)
    return project.releases.get(release.version) if project else None


def index_release(cat: Catalog, fw: Framework, release: Release, variant: Variant) -> PypiRelease | None:
    """What the catalog harvested (or generated from the framework's release files) for an index
    build: the release ``<version>+<label>`` of the framework's project on the variant's index."""
    if variant.index == "pypi":
        return None
    project = cat.indexed.get((variant.index.rstrip("/"), fw.distribution))
    return project.releases.get(f"{release.version}+{variant.label}") if project else None


def platforms(cat: Catalog, fw: Framework, release: Release, variant: Variant) -> tuple[str, ...]:
    """Platforms this build installs on: where its wheels' metadata is catalogued (PyPI builds, and
    index builds that were harvested), else the curated list."""
    if variant.index != "pypi":
        harvested = index_release(cat, fw, release, variant)
        if harvested is not None and any(harvested.pythons.values()):  # harvested wheels say where it installs
            return tuple(p for p in PLATFORMS if harvested.pythons.get(p))
        return variant.platforms
    rel = pypi_release(cat, fw, release)
    if rel is None:
        return ()
    present = {p for g in rel.metadata for p in g.platforms}
    return tuple(p for p in variant.pypi_default if p in present)


def pythons(cat: Catalog, fw: Framework, release: Release, variant: Variant, platform: str) -> tuple[str, ...]:
    """CPython labels ("3.12", "3.9+", "any") with a wheel of this build on ``platform``.

    A framework-index build without a curated ``python`` list is taken to be built for the same
    CPython versions as the release's PyPI wheels on that platform (or on any platform, when PyPI
    has none for it): the projects build both from one matrix.
    """
    if variant.index != "pypi":
        harvested = index_release(cat, fw, release, variant)
        if harvested is not None and harvested.pythons.get(platform):
            return harvested.pythons[platform]
        if variant.python:
            return variant.python
    return memo(cat, ("pythons", fw.name, release.version, variant.index == "pypi", platform),
                lambda: _pythons(cat, fw, release, variant, platform))


def _pythons(cat: Catalog, fw: Framework, release: Release, variant: Variant, platform: str) -> tuple[str, ...]:
    rel = pypi_release(cat, fw, release)
    if rel is None:
        return ()
    found = rel.pythons.get(platform, ())
    if not found and variant.index != "pypi":  # an index build for a platform PyPI has no wheel for
        found = tuple(sorted({p for ps in rel.pythons.values() for p in ps}, key=python_key))
    return found


class Knowledge(NamedTuple):
    """Whether a build's exact requirements on a platform are catalogued, and from where."""

    known: bool
    origin: str  # "pypi" | "index" (harvested) | "release-files" (generated) | "curated" | "unknown"
    reason: str | None  # why not, when unknown


def knowledge(cat: Catalog, fw: Framework, release: Release, variant: Variant, platform: str) -> Knowledge:
    """Are this build's exact requirements on ``platform`` catalogued? PyPI builds: from their wheels'
    metadata. Index builds: harvested from the index (or generated from the framework's release
    files), else curated ``requires``; otherwise unknown, with the catalog's reason."""
    if variant.index == "pypi":
        return Knowledge(True, "pypi", None)
    harvested = index_release(cat, fw, release, variant)
    if harvested is not None and any(platform in g.platforms for g in harvested.metadata):
        project = cat.indexed.get((variant.index.rstrip("/"), fw.distribution))
        generated = project is not None and not any(s.startswith("https://") for s in project.source)
        return Knowledge(True, "release-files" if generated else "index", None)
    if variant.requires is not None:
        return Knowledge(True, "curated", None)
    return Knowledge(False, "unknown", variant.unknown_requires or "not catalogued")


def requires(cat: Catalog, fw: Framework, release: Release, variant: Variant, platform: str,
             python: str = "3.12") -> list[Req]:
    """The requirements this build's wheel declares on ``platform`` (markers evaluated, extras
    of the variant applied). For framework-index builds: harvested or curated; none when unknown
    (see :func:`knowledge`: nothing is invented)."""
    extras = (variant.extra,) if variant.extra else ()
    if variant.index != "pypi":
        harvested = index_release(cat, fw, release, variant)
        group = next((g for g in harvested.metadata if platform in g.platforms), None) if harvested else None
        if group is not None:
            return requirements_for(cat, group.parsed, platform, python, extras)
        return requirements_for(cat, variant.parsed_requires, platform, python, extras)
    rel = pypi_release(cat, fw, release)
    if rel is None:
        return []
    group = next((g for g in rel.metadata if platform in g.platforms), None)
    if group is None:
        return []
    return requirements_for(cat, group.parsed, platform, python, extras)


def metadata_requires(cat: Catalog, name: str, version: str, platform: str, python: str,
                      extras: Sequence[str]) -> list[Req]:
    """What release ``version`` of PyPI project ``name`` requires on the target."""
    project = cat.pypi.get(name)
    rel = project.releases.get(version) if project else None
    if rel is None:
        return []
    group = next((g for g in rel.metadata if platform in g.platforms), None)
    return requirements_for(cat, group.parsed, platform, python, extras) if group else []


def labelled_variant(release: Release, local: str, platform: str | None = None) -> Variant | None:
    """The build a local version label names (2.8.0+cu128 -> the cu128 build, +cpu -> the CPU build
    of the framework's index): on ``platform`` when given, preferring the framework index's build
    (a wheel with a local label comes from there)."""
    label = local.replace("_", ".")
    found = [v for v in release.variants if v.label == label and (platform is None or platform in
                                                                    (v.platforms if v.index != "pypi" else v.pypi_default))]
    if not found:
        found = [v for v in release.variants if v.label == label]
    return min(found, key=lambda v: v.index == "pypi") if found else None


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
    if version in index and not index[version]:
        found.append(version)  # same version number, no requirement on the framework at all
    for cv, specs in index.items():
        if any(str(spec) != "" and spec.contains(version, prereleases=True) for spec in specs):
            found.append(cv)
    return found


def _companion_index(cat: Catalog, fw: Framework, companion: str) -> dict[str, list[SpecifierSet]]:
    """companion version -> the specifiers (unconditional) its metadata puts on the framework."""
    from ..catalog import canonicalize_name

    data = cat.pypi.get(canonicalize_name(companion))
    target = canonicalize_name(fw.distribution)
    out: dict[str, list[SpecifierSet]] = {}
    for cv, rel in (data.releases.items() if data else ()):
        specs = []
        for group in rel.metadata:
            for name, _extras, spec, marker in group.parsed:
                if name == target and marker is None:
                    specs.append(SpecifierSet(spec))
        out[cv] = specs
    return out


def glibc_need(cat: Catalog, fw: Framework, release: Release, variant: Variant, platform: str, python: str) -> Need:
    """The lowest glibc a wheel of this build needs on ``platform`` under CPython ``python``: from its
    wheels' tags (PyPI builds and harvested index builds), raised to the variant's documented floor
    where one is catalogued (a tag can under-promise); for an unharvested index build, the documented
    floor alone. Unknown when neither exists."""
    documented = glibc.variant_floor(variant, platform)
    if variant.index != "pypi":
        harvested = index_release(cat, fw, release, variant)
        tagged = wheels.glibc_need(harvested.glibc, platform, python) if harvested is not None and harvested.glibc else glibc.UNKNOWN
    else:
        rel = pypi_release(cat, fw, release)
        tagged = wheels.glibc_need(rel.glibc if rel else None, platform, python)
    if not documented.known:
        return tagged
    if tagged.known and tagged.glibc is not None and glibc.key(tagged.glibc) >= glibc.key(documented.glibc or "0.0"):
        return tagged
    return documented


def package_glibc(cat: Catalog, name: str, version: str, platform: str, python: str) -> Need:
    """The lowest glibc a wheel of PyPI release ``name==version`` needs on ``platform`` for CPython
    ``python``, from the catalogued file list (GPU libraries and PyPI projects). Remembered per
    catalog: every Linux solve asks it for each library of the environment."""
    return memo(cat, ("package-glibc", name, version, platform, python),
                lambda: _package_glibc(cat, name, version, platform, python))


def _package_glibc(cat: Catalog, name: str, version: str, platform: str, python: str) -> Need:
    lib = cat.libraries.get(name)
    if lib is not None and version in lib.glibc:
        return wheels.glibc_need(lib.glibc[version], platform, python)
    project = cat.pypi.get(name)
    rel = project.releases.get(version) if project else None
    return wheels.glibc_need(rel.glibc if rel else None, platform, python)


def identify(cat: Catalog, fw: Framework, release: Release, local: str | None, present: Sequence[str],
             platform: str) -> Variant | None:
    """Which catalogued build of ``release`` an installed (or locked) framework is, on ``platform``,
    given the distributions ``present`` beside it (canonical names):

    - a local version label names it (``2.8.0+cu128``, ``+cpu``);
    - else a build whose plugin packages are all present (``jax`` with ``jax-cuda12-plugin``),
      preferring one whose GPU libraries are present too (``cuda12`` over ``cuda12-local``);
    - else a CUDA build selected by an extra (``tensorflow[and-cuda]``) when the GPU libraries that
      extra adds are present: at least one, and all of them;
    - else the plain PyPI build of the platform (CPU builds first when several are offered).

    None when the build cannot be told. CUDA-ness is never inferred from an empty requirement list."""
    from .libraries import is_library

    have = set(present)
    if local:
        return labelled_variant(release, local, platform)
    on_pypi = [v for v in release.variants if v.index == "pypi" and platform in v.pypi_default]

    def libraries(v: Variant) -> list[str]:
        base = {r.name for r in requires(cat, fw, release, v._replace(extra=None), platform)}
        return [r.name for r in requires(cat, fw, release, v, platform) if is_library(r.name) and r.name not in base]

    plugged = [v for v in on_pypi if v.packages and all(_dist_name(p) in have for p in v.packages)]
    if plugged:
        return max(plugged, key=lambda v: (bool(libraries(v)) and all(n in have for n in libraries(v)), v.cuda or ""))
    for v in on_pypi:
        if v.extra and not v.packages and v.accelerator == "cuda":
            libs = libraries(v)
            if libs and all(n in have for n in libs):
                return v
    plain = [v for v in on_pypi if not v.extra and not v.packages]
    return min(plain, key=lambda v: v.accelerator != "cpu") if plain else None


def _dist_name(requirement: str) -> str:
    """The canonical distribution name of a ``name==version`` text (no PEP 508 parser needed)."""
    import re

    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", m.group(1) if m else requirement).lower()

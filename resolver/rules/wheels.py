"""Does a wheel serve a target? CPython version, platform and glibc, from wheel tags and Requires-Python.

The Python labels come from :func:`resolver.platforms.wheel_pythons`: "3.12" for a cp312 wheel,
"3.13t" for a free-threaded one, "3.9+" for an abi3 wheel of cp39 and later, "any" for a
pure-Python wheel.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet

from ..platforms import wheel_glibc, wheel_platforms, wheel_pythons
from .glibc import NO_GLIBC, UNKNOWN, Need, fits, key

if TYPE_CHECKING:
    from ..catalog import Library


# Per Linux platform: (CPython labels, lowest glibc or None where its tag states none: linux_*) per wheel.
GlibcTable = Mapping[str, Sequence[tuple[Sequence[str], "str | None"]]]


def _py(text: str) -> tuple[int, int]:
    major, minor = text.rstrip("t+").split(".")
    return int(major), int(minor)


def python_supported(python: str, pythons: Sequence[str], requires_python: str | None = None) -> bool:
    """Is there a wheel for CPython ``python`` ("3.12") among the labels ``pythons``, within
    ``Requires-Python``?"""
    if requires_python and not _within(requires_python, python):
        return False
    return python in pythons or "any" in pythons or any(
        p.endswith("+") and _py(p) <= _py(python) for p in pythons)


@functools.lru_cache(maxsize=4096)
def _within(requires_python: str, python: str) -> bool:
    return SpecifierSet(requires_python).contains(f"{python}.0", prereleases=True)


def library_installable(lib: Library, version: str, platform: str, python: str, glibc: str | None = None) -> bool:
    """Does GPU-library ``lib`` at ``version`` have a wheel for ``platform`` and CPython ``python``
    (not yanked), and, with a target ``glibc``, one whose manylinux tag fits it? Where the catalog
    has no file list for the version, its platforms decide."""
    if version in lib.yanked or platform not in lib.versions.get(version, ()):
        return False
    labels = lib.pythons.get(version, {}).get(platform)
    if labels is not None and not python_supported(python, labels, lib.requires_python.get(version)):
        return False
    if glibc is not None and platform.startswith("linux-"):
        found = glibc_need(lib.glibc.get(version), platform, python)
        return not found.known or bool(found.fits(glibc))
    return True


def wheel_fits(filename: str, platform: str, python: str, glibc: str | None = None,
               legacy: Mapping[str, str] | None = None) -> bool:
    """Does the wheel ``filename`` install on ``platform`` under CPython ``python`` (and, with a
    target ``glibc``, on that glibc: ``legacy`` maps manylinux1/2010/2014 to their glibc)?"""
    if not (platform in wheel_platforms(filename) and python_supported(python, wheel_pythons([filename]))):
        return False
    if glibc is not None and platform.startswith("linux-"):
        needed = wheel_glibc(filename, dict(legacy or {}))
        # A linux_* tag states no glibc: the build's catalogued floor (the solver's check) decides.
        return needed is None or fits(needed, glibc)
    return True


def glibc_need(table: GlibcTable | None, platform: str, python: str) -> Need:
    """The lowest glibc of the wheels in ``table`` (a release's, per platform) that serve
    ``platform`` and CPython ``python``; unknown where the catalog has no file list for it."""
    if not platform.startswith("linux-"):
        return Need(True, NO_GLIBC)
    entries = [g for labels, g in (table or {}).get(platform, ()) if python_supported(python, labels)]
    floors = [g for g in entries if g is not None]
    if not floors:  # no file list, or only linux_* wheels, whose tags state no glibc
        return UNKNOWN
    return Need(True, min(floors, key=key))

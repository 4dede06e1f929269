"""Does a wheel serve a target? CPython version and platform, from wheel tags and Requires-Python.

The Python labels come from :func:`resolver.platforms.wheel_pythons`: "3.12" for a cp312 wheel,
"3.13t" for a free-threaded one, "3.9+" for an abi3 wheel of cp39 and later, "any" for a
pure-Python wheel.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet

from ..platforms import wheel_platforms, wheel_pythons

if TYPE_CHECKING:
    from ..catalog import Library


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


def library_installable(lib: Library, version: str, platform: str, python: str) -> bool:
    """Does GPU-library ``lib`` at ``version`` have a wheel for ``platform`` and CPython ``python``
    (not yanked)? Where the catalog has no file list for the version, its platforms decide."""
    if version in lib.yanked or platform not in lib.versions.get(version, ()):
        return False
    labels = lib.pythons.get(version, {}).get(platform)
    return labels is None or python_supported(python, labels, lib.requires_python.get(version))


def wheel_fits(filename: str, platform: str, python: str) -> bool:
    """Does the wheel ``filename`` install on ``platform`` under CPython ``python``?"""
    return platform in wheel_platforms(filename) and python_supported(python, wheel_pythons([filename]))

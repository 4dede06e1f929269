"""Target platforms as pip sees them: marker environments and wheel-tag matching.

A leaf module (it imports nothing of envsolve's): the catalog loader and the rules both use it.
"""

from __future__ import annotations

import functools
import re

from typing import Iterable

# platform -> the PEP 508 marker variables that do not depend on the Python version
_ENV = {
    "linux-x86_64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix"},
    "linux-aarch64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64", "os_name": "posix"},
    "windows-amd64": {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64", "os_name": "nt"},
    "macos-arm64": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64", "os_name": "posix"},
    "macos-x86_64": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "x86_64", "os_name": "posix"},
}
PLATFORMS = tuple(_ENV)
PYPI_INDEX = "https://pypi.org/simple"  # the one default package index


def environment(platform: str, python: str = "3.12") -> dict[str, str]:
    """The marker environment of CPython ``python`` on ``platform``."""
    env = dict(_ENV[platform])
    env.update(
        python_version=python,
        python_full_version=f"{python}.0",
        implementation_name="cpython",
        platform_python_implementation="CPython",
        platform_release="",
        platform_version="",
        extra="",
    )
    return env


_CP = re.compile(r"^cp3(\d+)(t?)$")


def wheel_pythons(filenames: Iterable[str]) -> list[str]:
    """The CPython versions ("3.12", "3.13t") that some wheel among ``filenames`` serves: "3.9+"
    for an abi3 wheel of cp39, "any" for a pure-Python one."""
    return list(_wheel_pythons(tuple(filenames)))


@functools.lru_cache(maxsize=8192)
def _wheel_pythons(filenames: tuple[str, ...]) -> tuple[str, ...]:
    found: set[str] = set()
    for name in filenames:
        parts = name[:-4].split("-")
        if len(parts) < 5:
            continue
        interpreters, abis = parts[-3].split("."), parts[-2].split(".")
        for interpreter in interpreters:
            m = _CP.match(interpreter)
            for abi in abis:
                if m and abi == "abi3":
                    found.add(f"3.{m.group(1)}+")
                elif m:
                    found.add(f"3.{m.group(1)}{'t' if abi.endswith('t') else ''}")
                elif interpreter in ("py3", "py2.py3"):
                    found.add("any")
    return tuple(sorted(found, key=python_key))


def python_key(text: str) -> tuple[int, int, str]:
    """Sort key of a Python label: "any" < "3.9" < "3.9+" < "3.10" < "3.13t"."""
    if text == "any":
        return (0, 0, "")
    m = re.match(r"3\.(\d+)(.*)", text)
    return (3, int(m.group(1)), m.group(2)) if m else (9, 0, text)


def platform_of(tag_platform: str) -> tuple[str, ...]:
    """The catalog platforms a wheel platform tag installs on (empty when none we track)."""
    if tag_platform == "any":
        return PLATFORMS
    if tag_platform.startswith(("manylinux", "linux_")):
        if tag_platform.endswith("_x86_64"):
            return ("linux-x86_64",)
        if tag_platform.endswith("_aarch64"):
            return ("linux-aarch64",)
        return ()
    if tag_platform == "win_amd64":
        return ("windows-amd64",)
    if tag_platform.startswith("macosx_"):
        if tag_platform.endswith(("_arm64", "_universal2")):
            return ("macos-arm64", "macos-x86_64") if tag_platform.endswith("_universal2") else ("macos-arm64",)
        if tag_platform.endswith(("_x86_64", "_intel")):
            return ("macos-x86_64",)
    return ()


@functools.lru_cache(maxsize=65536)
def wheel_platforms(filename: str) -> tuple[str, ...]:
    """Catalog platforms of a wheel, from the filename's last tag field (compressed tags split on
    '.'); cheaper than a full parse, which this runs on every wheel of every release."""
    if not filename.endswith(".whl") or filename.count("-") < 4:
        return ()
    out: set[str] = set()
    for tag in filename[:-4].rsplit("-", 1)[1].split("."):
        out.update(platform_of(tag))
    return tuple(p for p in PLATFORMS if p in out)


_MANYLINUX = re.compile(r"^manylinux_(\d+)_(\d+)_")


def wheel_glibc(filename: str, legacy: dict[str, str]) -> str | None:
    """The lowest glibc a wheel installs on: "2.28" for manylinux_2_28 (PEP 600), the legacy
    aliases through ``legacy`` (manylinux2014 -> "2.17"), "0.0" for a wheel that needs no glibc
    (py3-none-any). None when its tags state no glibc (a ``linux_x86_64`` wheel, as framework
    indexes publish, or a musllinux one, which the catalog's Linux platforms do not count)."""
    if not filename.endswith(".whl") or filename.count("-") < 4:
        return None
    return platform_tag_glibc(filename[:-4].rsplit("-", 1)[1], legacy)


def platform_tag_glibc(tags: str, legacy: dict[str, str]) -> str | None:
    """:func:`wheel_glibc` of a wheel's platform tag field (``manylinux_2_17_x86_64.manylinux2014_x86_64``):
    also what a WHEEL file's ``Tag:`` line ends with."""
    found: list[tuple[int, int]] = []
    for tag in tags.split("."):
        if tag == "any":
            return "0.0"
        m = _MANYLINUX.match(tag)
        if m:
            found.append((int(m.group(1)), int(m.group(2))))
            continue
        if tag.startswith("manylinux"):
            for name, version in legacy.items():
                if tag.startswith(name + "_"):
                    major, minor = version.split(".")
                    found.append((int(major), int(minor)))
    if not found:
        return None
    low = min(found)
    return f"{low[0]}.{low[1]}"

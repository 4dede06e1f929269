"""Target platforms as pip sees them: marker environments and wheel-tag matching."""

from __future__ import annotations

import functools
import re

from packaging.requirements import Requirement

# platform -> the PEP 508 marker variables that do not depend on the Python version
_ENV = {
    "linux-x86_64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix"},
    "linux-aarch64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64", "os_name": "posix"},
    "windows-amd64": {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64", "os_name": "nt"},
    "macos-arm64": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64", "os_name": "posix"},
    "macos-x86_64": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "x86_64", "os_name": "posix"},
}
PLATFORMS = tuple(_ENV)


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


@functools.lru_cache(maxsize=4096)
def _parse(requirement: str) -> Requirement:
    return Requirement(requirement)


def applies(requirement: str, platform: str, python: str = "3.12", extras: tuple[str, ...] = ()) -> bool:
    """Does ``requirement`` (a Requires-Dist line) apply on that platform, with those extras?"""
    req = _parse(requirement)
    if req.marker is None:
        return True
    return _marker_applies(str(req.marker), platform, python, extras)


@functools.lru_cache(maxsize=8192)
def _marker_applies(marker: str, platform: str, python: str, extras: tuple[str, ...]) -> bool:
    """Markers repeat across releases; evaluate each distinct one once per target."""
    parsed = _parse(f"x; {marker}").marker
    env = environment(platform, python)
    if not extras:
        return parsed.evaluate(env)
    return any(parsed.evaluate(env | {"extra": e}) for e in ("",) + extras)


def requirements_for(requires_dist, platform: str, python: str = "3.12", extras: tuple[str, ...] = ()) -> list[Requirement]:
    """The requirements that apply, with their markers dropped."""
    return list(_requirements_for(tuple(requires_dist), platform, python, tuple(extras)))


@functools.lru_cache(maxsize=8192)
def _requirements_for(requires_dist: tuple, platform: str, python: str, extras: tuple) -> tuple[Requirement, ...]:
    out = []
    for line in requires_dist:
        if applies(line, platform, python, extras):
            req = _parse(line)
            out.append(Requirement(f"{req.name}{'[' + ','.join(sorted(req.extras)) + ']' if req.extras else ''}{req.specifier}"))
    return tuple(out)


_CP = re.compile(r"^cp3(\d+)(t?)$")


def wheel_pythons(filenames) -> list[str]:
    """The CPython versions ("3.12", "3.13t") that some wheel among ``filenames`` serves."""
    return list(_wheel_pythons(tuple(filenames)))


@functools.lru_cache(maxsize=8192)
def _wheel_pythons(filenames: tuple) -> tuple[str, ...]:
    found = set()
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
    return tuple(sorted(found, key=_pykey))


def _pykey(text: str):
    if text == "any":
        return (0, 0, "")
    m = re.match(r"3\.(\d+)(.*)", text)
    return (3, int(m.group(1)), m.group(2)) if m else (9, 0, text)


"""Target platforms as pip sees them: marker environments and wheel-tag matching."""

from __future__ import annotations

import functools
import re

from typing import NamedTuple

from packaging.specifiers import SpecifierSet

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
PYTHONS = tuple(f"3.{minor}" for minor in range(8, 16))  # marker results are precomputed for these
ALL_PLATFORMS = PLATFORMS
LIBRARY_RE = re.compile(r"^(nvidia-|cuda-|tensorrt)")  # GPU-library distributions shared between frameworks


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


class Req(NamedTuple):
    """A requirement that applies on the target (its marker already evaluated)."""

    name: str  # canonical
    extras: tuple[str, ...]
    specifier: SpecifierSet

    def __str__(self) -> str:
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        return f"{self.name}{extras}{self.specifier}"


def requirements_for(cat, parsed: tuple, platform: str, python: str = "3.12", extras: tuple[str, ...] = ()) -> list[Req]:
    """The pre-parsed requirements (catalog.MetadataGroup.parsed) that apply on ``platform`` and
    CPython ``python`` with ``extras``, from the catalog's compiled marker table."""
    from .facts import memo

    return memo(cat, ("requirements", parsed, platform, python, tuple(extras)),
                lambda: _requirements_for(cat.markers, parsed, platform, python, tuple(extras)))


def _requirements_for(markers, parsed, platform, python, extras) -> list[Req]:
    out = []
    for name, req_extras, spec, marker in parsed:
        if marker is None or _holds(markers, marker, platform, python, extras):
            out.append(Req(name, req_extras, SpecifierSet(spec)))
    return out


def _holds(markers, marker: str, platform: str, python: str, extras: tuple[str, ...]) -> bool:
    table = markers.get(marker)
    if table is None or python not in PYTHONS:  # outside the compiled table: evaluate for real
        from packaging.markers import Marker

        env = environment(platform, python)
        return any(Marker(marker).evaluate(env | {"extra": e}) for e in ("",) + extras)
    bit = 1 << (PLATFORMS.index(platform) * len(PYTHONS) + PYTHONS.index(python))
    return any(table.get(e, table[""]) & bit for e in ("",) + extras)


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


def platform_of(tag_platform: str) -> tuple[str, ...]:
    """The catalog platforms a wheel platform tag installs on (empty when none we track)."""
    if tag_platform == "any":
        return ALL_PLATFORMS
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
    return tuple(p for p in ALL_PLATFORMS if p in out)


_MAJOR_SUFFIX = re.compile(r"-cu(\d+)$")


def cuda_major_of(name: str, version: str) -> str | None:
    """The CUDA major a GPU-library wheel belongs to: its -cuXX suffix, else (CUDA 13's unsuffixed
    wheels) the major of its own version when that is a CUDA version."""
    m = _MAJOR_SUFFIX.search(name)
    if m:
        return m.group(1)
    if name in ("nvidia-cuda-runtime", "cuda-toolkit", "nvidia-cuda-nvrtc", "nvidia-nvjitlink"):
        return version.split(".")[0]
    return None


def cuda_majors(pins) -> dict[str, list[str]]:
    """CUDA major -> the "name==version" pins of GPU-library wheels that belong to it, from
    (name, version) pairs; more than one key means two majors side by side."""
    majors: dict[str, list[str]] = {}
    for name, version in pins:
        major = cuda_major_of(name, version or "") if LIBRARY_RE.match(name) else None
        if major:
            majors.setdefault(major, []).append(f"{name}=={version}")
    return majors

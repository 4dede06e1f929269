"""GPU-library distributions: which they are, which CUDA major each belongs to, how they are named.

One environment holds one CUDA major: cuDNN and NCCL wheels of two majors install the same files.
A library's major comes from its name's suffix (``nvidia-cudnn-cu12``), else (CUDA 13's unsuffixed
toolkit libraries) from the cuda-toolkit release that pins it, else from its own version where it
carries the CUDA version (cuda.yaml ``libraries``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet

from .cache import memo

if TYPE_CHECKING:
    from ..catalog import Catalog

LIBRARY_RE = re.compile(r"^(nvidia-|cuda-|tensorrt)")  # GPU-library distributions shared between frameworks
_LABEL = re.compile(r"^cu(\d{2,3})$")


def is_library(name: str) -> bool:
    """Is ``name`` (canonical) a GPU-library distribution that frameworks share?"""
    return LIBRARY_RE.match(name) is not None


def suffix_of(cat: Catalog, major: str) -> str:
    """``-cu12`` for CUDA 12 (cuda.yaml ``libraries.suffix``)."""
    return cat.library_naming.suffix.format(major=major)


def name_in_major(cat: Catalog, base: str, major: str) -> str:
    """The distribution of toolkit library ``base`` (``nvidia-cuda-runtime``) for CUDA ``major``:
    suffixed (``nvidia-cuda-runtime-cu12``) or, where that major's toolkit libraries are published
    without a suffix, ``base`` itself."""
    info = cat.majors.get(major)
    return base if info is not None and info.libraries == "unsuffixed" else base + suffix_of(cat, major)


def _toolkit_pins(cat: Catalog) -> dict[str, list[tuple[SpecifierSet, str]]]:
    """Unsuffixed library -> [(the version it is pinned to, CUDA major)] from every catalogued
    cuda-toolkit release's extras."""
    def build() -> dict[str, list[tuple[SpecifierSet, str]]]:
        out: dict[str, list[tuple[SpecifierSet, str]]] = {}
        project = cat.pypi.get("cuda-toolkit")
        for version, rel in (project.releases.items() if project else ()):
            major = version.split(".")[0]
            for group in rel.metadata:
                for name, _extras, spec, _marker in group.parsed:
                    if spec and not re.search(r"-cu\d+$", name):
                        out.setdefault(name, []).append((SpecifierSet(spec), major))
        return out

    return memo(cat, ("toolkit-pins",), build)


def library_major(cat: Catalog, name: str, version: str | None) -> str | None:
    """The CUDA major GPU library ``name`` at ``version`` belongs to, or None when it belongs to
    none (tensorrt without a suffix, a library envsolve cannot place)."""
    m = re.search(r"-cu(\d+)$", name)
    if m:
        return m.group(1)
    if not version:
        return None
    if name in cat.library_naming.versioned_by_cuda:
        return version.split(".")[0]
    for spec, major in _toolkit_pins(cat).get(name, ()):
        if spec.contains(version, prereleases=True):
            return major
    return None


def versioned_by_cuda(cat: Catalog, name: str) -> bool:
    """Does library ``name`` carry the CUDA version as its own (nvidia-cuda-nvrtc-cu12, nvidia-nvjitlink)?"""
    return re.sub(r"-cu\d+$", "", name) in cat.library_naming.versioned_by_cuda


def cuda_version_of(cat: Catalog, name: str, version: str) -> str | None:
    """The CUDA release (X.Y) a library version carries as its own version, for the toolkit
    libraries versioned like CUDA (cuda.yaml ``versioned_by_cuda``): nvidia-cuda-nvrtc-cu12 12.9.86
    -> 12.9, nvidia-nvjitlink 13.0.88 -> 13.0; None for others (nvidia-cublas, cuDNN, NCCL)."""
    parts = version.split(".")
    if not versioned_by_cuda(cat, name) or len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        return None
    return f"{int(parts[0])}.{int(parts[1])}"


def cuda_majors(cat: Catalog, pins: Iterable[tuple[str, str | None]]) -> dict[str, list[str]]:
    """CUDA major -> the "name==version" pins that carry it, from (name, version) pairs: the GPU
    libraries, and the packages cuda.yaml ``cuda_packages`` knows (cupy-cuda12x, onnxruntime-gpu by
    version, xformers+cu118...); placeholder versions (no libraries) carry none. More than one key
    means two majors side by side."""
    majors: dict[str, list[str]] = {}
    for name, version in pins:
        major = package_major(cat, name, version)
        if major:
            majors.setdefault(major, []).append(f"{name}=={version}")
    return majors


def package_major(cat: Catalog, name: str, version: str | None) -> str | None:
    """The CUDA major package ``name`` at ``version`` carries, or None (none, or not known)."""
    known = cat.cuda_packages
    if version and any(_compiled(pattern).match(name) and _in(spec, version, True) for pattern, spec in known.placeholders):
        return None
    if version and "+" in version:
        for pattern in known.labels:
            m = _compiled(pattern).match(version.split("+", 1)[1])
            if m:
                digits = m.group(1)
                return digits[:-1] if len(digits) >= 3 else digits[:1]
    if is_library(name):
        found = library_major(cat, name, version)
        if found:
            return found
    for pattern, major in known.names:
        m = _compiled(pattern).match(name)
        if m:
            return major or m.group(1)
    for package, spec, major in known.versions:  # releases only: a nightly of another feed is not PyPI's release
        if package == name and version and _in(spec, version.split("+", 1)[0], False):
            return major
    return None


def collisions(cat: Catalog, majors: dict[str, list[str]]) -> list[tuple[str, tuple[str, ...]]]:
    """(family, files) that wheels of two majors both install, among ``majors``' pins: cuDNN 9's
    cu12 and cu13 wheels both write nvidia/cudnn/lib/libcudnn.so.9."""
    out = []
    for family, files in cat.cuda_packages.collisions:
        having = [m for m, pins in majors.items() if any(p.split("==")[0].startswith(family) for p in pins)]
        if len(having) > 1:
            out.append((family, files))
    return out


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@functools.lru_cache(maxsize=4096)
def _in(spec: str, version: str, prereleases: bool) -> bool:
    from packaging.version import InvalidVersion

    try:
        return SpecifierSet(spec).contains(version, prereleases=prereleases)
    except InvalidVersion:
        return False


def cuda_of_label(label: str) -> str | None:
    """The CUDA version a PyTorch-style local label names: ``cu128`` -> ``12.8``, ``cu92`` ->
    ``9.2``; None for other labels (``cpu``, ``rocm6.1``)."""
    m = _LABEL.match(label)
    if not m:
        return None
    digits = m.group(1)
    return f"{digits[:-1]}.{digits[-1]}"

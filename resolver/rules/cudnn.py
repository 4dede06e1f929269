"""cuDNN supports hardware too: each release lists the compute capabilities it runs on.

A framework build with kernels for a GPU still fails its cuDNN calls on a GPU its cuDNN does not
support (cuDNN 9 starts at compute capability 5.0; from 9.11, at 7.5). The table is cuda.yaml
``cudnn``; a cuDNN release it does not cover has unknown support, which is said, not passed.
"""

from __future__ import annotations

import functools
from enum import Enum
from typing import TYPE_CHECKING, NamedTuple

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from .cache import memo

if TYPE_CHECKING:
    from ..catalog import Catalog, CudnnSupport


class Support(str, Enum):
    SUPPORTED = "supported"
    UNSUPPORTED = "unsupported"
    UNKNOWN = "unknown"


class CudnnVerdict(NamedTuple):
    support: Support
    cudnn: str  # the cuDNN version judged
    cuda_major: str
    compute_capability: str
    min_compute_capability: str | None  # the release's floor, when catalogued


def _cc(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def entry_for(cat: Catalog, cudnn: str, cuda_major: str) -> CudnnSupport | None:
    """The catalogued hardware support of cuDNN ``cudnn`` built for CUDA ``cuda_major`` (remembered
    per catalog: a GPU solve asks for every cuDNN release of a range)."""
    return memo(cat, ("cudnn-entry", cudnn, cuda_major), lambda: _entry_for(cat, cudnn, cuda_major))


def _entry_for(cat: Catalog, cudnn: str, cuda_major: str) -> CudnnSupport | None:
    try:
        Version(cudnn)
    except InvalidVersion:
        return None
    for entry in cat.cudnn_support:
        if cuda_major in entry.cuda_majors and _specifier(entry.versions).contains(cudnn, prereleases=True):
            return entry
    return None


@functools.lru_cache(maxsize=256)
def _specifier(text: str) -> SpecifierSet:
    return SpecifierSet(text)


def verdict(cat: Catalog, cudnn: str, cuda_major: str, compute_capability: str) -> CudnnVerdict:
    """Does cuDNN ``cudnn`` (a version, "9.10.2.21") for CUDA ``cuda_major`` support a GPU?"""
    entry = entry_for(cat, cudnn, cuda_major)
    if entry is None:
        return CudnnVerdict(Support.UNKNOWN, cudnn, cuda_major, compute_capability, None)
    ok = _cc(compute_capability) >= _cc(entry.min_compute_capability)
    return CudnnVerdict(Support.SUPPORTED if ok else Support.UNSUPPORTED, cudnn, cuda_major, compute_capability,
                        entry.min_compute_capability)


def exact_version(text: str | None) -> str | None:
    """``text`` when it names one cuDNN version ("9.10.2.21", "8.1"), None for a specifier or nothing."""
    if not text or not text[0].isdigit():
        return None
    try:
        Version(text)
    except InvalidVersion:
        return None
    return text

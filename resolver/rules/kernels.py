"""GPU kernels: what a build ships and whether a GPU can run it.

A cubin (SASS) for ``sm_XY`` runs on every GPU of the same major with minor >= Y (CUDA binary
compatibility); arch-specific cubins run only on their own compute capability (``sm_90a``) or
family (``sm_100f``: the same major, minor >= Y). PTX for ``compute_XY`` JIT-compiles for every GPU
of compute capability >= X.Y (forward only), which needs the full driver floor (:mod:`.driver`).

A build whose kernel list is not catalogued is judged by what its CUDA toolkit can build, and the
result says so (``verified`` is False).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ..catalog import Catalog, Variant

_ARCH = re.compile(r"sm_(\d+?)(\d)([af]?)")


class Coverage(str, Enum):
    SASS = "sass"  # native kernels
    PTX = "ptx"  # JIT-compiled from PTX on first use
    NONE = "none"  # "no kernel image is available for execution on the device"


def parse_arch(arch: str) -> tuple[int, int, str]:
    """``sm_90a`` -> (9, 0, "a"); (0, 0, "") for anything else."""
    m = _ARCH.fullmatch(arch)
    return (int(m.group(1)), int(m.group(2)), m.group(3)) if m else (0, 0, "")


def arch_of(compute_capability: str) -> str:
    """``8.6`` -> ``sm_86``."""
    return "sm_" + compute_capability.replace(".", "")


def cc_of(arch: str) -> str:
    """``sm_86`` -> ``8.6`` (suffixes dropped)."""
    major, minor, _ = parse_arch(arch)
    return f"{major}.{minor}"


def arch_sort_key(arch: str) -> tuple[int, int, str]:
    return parse_arch(arch)


def coverage(compute_capability: str, sass: Sequence[str], ptx: Sequence[str]) -> Coverage:
    """How a GPU of ``compute_capability`` ("8.6") runs kernels built for ``sass`` and ``ptx``."""
    major, minor = (int(p) for p in compute_capability.split("."))
    for arch in sass:
        a_major, a_minor, suffix = parse_arch(arch)
        if a_major != major:
            continue
        if suffix == "a" and a_minor == minor:
            return Coverage.SASS
        if suffix in ("", "f") and a_minor <= minor:
            return Coverage.SASS
    for arch in ptx:
        p_major, p_minor, suffix = parse_arch(arch)
        if not suffix and (p_major, p_minor) <= (major, minor):
            return Coverage.PTX
    return Coverage.NONE


class Kernels(NamedTuple):
    """The kernels of one build on one platform: SASS targets, PTX targets, and where the lists come
    from: "fatbin" (read from the wheel's CUDA libraries), "build-flags" (the wheel's recorded
    compiler flags), "document" (release notes, build scripts), or "toolkit" (not catalogued: what
    its CUDA toolkit can build, so unverified)."""

    sass: tuple[str, ...]
    ptx: tuple[str, ...]
    method: str
    source: tuple[str, ...] = ()

    @property
    def verified(self) -> bool:
        return self.method != "toolkit"

    def describe(self) -> str:
        shipped = " ".join(self.sass) + (f" +PTX {' '.join(self.ptx)}" if self.ptx else "")
        return shipped or "nothing"


def kernels_of(cat: Catalog, distribution: str, version: str, variant: Variant, platform: str) -> Kernels:
    """The kernels a CUDA build ships on ``platform``: measured from its wheel where the catalog has
    that (the wheel is the truth), else the curated list for that platform, else (unverified) what
    its CUDA toolkit can build."""
    measured = cat.measured.get((distribution, version, variant.label, platform))
    if measured is not None:
        return Kernels(measured.sass, measured.ptx, measured.method, measured.source)
    for listed in variant.kernels:
        if platform in listed.platforms:
            return Kernels(listed.sass, listed.ptx, listed.method, listed.source)
    toolkit = cat.toolkits.get(variant.cuda or "")
    return Kernels(toolkit.archs if toolkit else (), (), "toolkit", toolkit.source if toolkit else ())


def environment_coverage(compute_capability: str, builds: Iterable[Kernels]) -> Coverage:
    """How a GPU runs an environment of several builds: the worst of its coverage in each."""
    worst = Coverage.SASS
    for kernels in builds:
        how = coverage(compute_capability, kernels.sass, kernels.ptx)
        if how is Coverage.NONE:
            return Coverage.NONE
        if how is Coverage.PTX:
            worst = Coverage.PTX
    return worst


def support_table(cat: Catalog, builds: Sequence[Kernels]) -> dict[str, tuple[str, ...]]:
    """For an environment's builds: the known compute capabilities (catalogued GPUs and every
    target a CUDA major can build) that run natively
    (``sass``) and those that run only through PTX JIT (``ptx``), each sorted. Install scripts and
    fleet checks match a GPU against these lists, so they give the same answer as :func:`coverage`."""
    ccs = {g.compute_capability for g in cat.gpus}
    ccs.update(cc_of(a) for major in cat.majors.values() for a in major.archs)
    for kernels in builds:
        ccs.update(cc_of(a) for a in kernels.sass + kernels.ptx)
    out: dict[str, list[str]] = {"sass": [], "ptx": []}
    for cc in sorted(ccs, key=lambda c: tuple(int(x) for x in c.split("."))):
        how = environment_coverage(cc, builds)
        if how is not Coverage.NONE:
            out[how.value].append(cc)
    return {k: tuple(v) for k, v in out.items()}

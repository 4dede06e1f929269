"""NVIDIA driver floors and the verdict for a driver.

A CUDA X.Y build needs the driver NVIDIA lists for toolkit X.Y ("full" support, every feature).
With CUDA minor-version compatibility it also runs on the lower floor of its major, except where
PTX must be JIT-compiled (a GPU without SASS in the build). Floors differ per driver family: the
Linux and the Windows driver tables (WSL2 uses the Windows one, see :mod:`.platform`). Where
NVIDIA publishes no floor for a family, the verdict says so instead of passing silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ..catalog import Catalog, Variant


def driver_key(version: str) -> tuple[int, ...]:
    """Total order over driver versions: '550.54.15' -> (550, 54, 15)."""
    return tuple(int(part) for part in version.split("."))


class DriverFloor(NamedTuple):
    """Minimum drivers for one family: ``full`` for every feature, ``compat`` through CUDA
    minor-version compatibility (same major, no PTX JIT). Both None: no published floor."""

    family: str  # "linux" | "windows"
    full: str | None
    compat: str | None

    @property
    def published(self) -> bool:
        return self.full is not None or self.compat is not None


class Support(str, Enum):
    """How a driver runs a build (the values are what manifests and scripts print)."""

    FULL = "full"
    MINOR_COMPAT = "minor-version compatibility"
    UNPUBLISHED = "unchecked"  # NVIDIA publishes no floor for this family
    BELOW = "below"


class DriverVerdict(NamedTuple):
    support: Support
    have: str
    floor: DriverFloor
    needs_jit: bool  # some GPU runs only through PTX JIT, which needs the full floor

    @property
    def ok(self) -> bool:
        return self.support is not Support.BELOW

    @property
    def need(self) -> str | None:
        """The lowest driver that would run the build (for a message or a suggestion)."""
        return lowest_usable(self.floor, self.needs_jit)


def lowest_usable(floor: DriverFloor, needs_jit: bool) -> str | None:
    """The lowest driver of the family that runs a build with this floor."""
    if floor.compat and not needs_jit:
        return floor.compat
    return floor.full or floor.compat


def verdict(floor: DriverFloor, have: str, needs_jit: bool = False) -> DriverVerdict:
    """Does driver ``have`` run a build with ``floor``? Full support first, then minor-version
    compatibility (not when PTX must be JIT-compiled), else below. No floor at all, or PTX JIT
    needed where only the minor-version floor is published (CUDA 13 on Windows): unpublished, which
    callers say rather than pass silently."""
    if not floor.published:
        support = Support.UNPUBLISHED
    elif floor.full and driver_key(have) >= driver_key(floor.full):
        support = Support.FULL
    elif floor.compat and driver_key(have) >= driver_key(floor.compat):
        support = Support.MINOR_COMPAT if not needs_jit else (Support.UNPUBLISHED if not floor.full else Support.BELOW)
    else:
        support = Support.BELOW
    return DriverVerdict(support, have, floor, needs_jit)


def floor_of(cat: Catalog, variant: Variant, family: str) -> DriverFloor:
    """The driver floor of a CUDA build in driver ``family``: the build's own ``driver_min`` where
    the catalog gives one, else its toolkit's (full) and its major's minor-version floor."""
    if variant.accelerator != "cuda" or variant.cuda is None:
        return DriverFloor(family, None, None)
    if family in variant.driver_min:
        return DriverFloor(family, variant.driver_min[family], variant.driver_min[family])
    toolkit = cat.toolkits.get(variant.cuda)
    major = cat.majors.get(variant.cuda.split(".")[0])
    full = toolkit.driver_min.get(family) if toolkit else None
    compat = major.minor_compat_driver.get(family) if major else None
    return DriverFloor(family, full, compat or full)


def combined(floors: Iterable[DriverFloor], family: str) -> DriverFloor:
    """The floor of an environment holding builds with ``floors``: the highest of each kind."""
    items = [f for f in floors if f.family == family]
    fulls = [f.full for f in items if f.full]
    compats = [f.compat for f in items if f.compat]
    return DriverFloor(family, max(fulls, key=driver_key) if fulls else None,
                       max(compats, key=driver_key) if compats else None)


def component_floor(cat: Catalog, cuda: str, family: str) -> DriverFloor:
    """The floor a CUDA component of release ``cuda`` (X.Y) sets in an environment: its toolkit's
    full floor (PTX JIT through nvrtc/nvJitLink X.Y needs it) and its major's minor-version floor.
    Both None when the catalog has no such toolkit."""
    toolkit = cat.toolkits.get(cuda)
    major = cat.majors.get(cuda.split(".")[0])
    full = toolkit.driver_min.get(family) if toolkit else None
    compat = major.minor_compat_driver.get(family) if (major and toolkit) else None
    return DriverFloor(family, full, compat or full)

"""glibc: which Linux hosts a wheel installs on, and which editions have which glibc.

A Linux wheel's platform tag names the oldest glibc it installs on: ``manylinux_2_28`` means glibc
2.28 (PEP 600), the legacy ``manylinux1``/``manylinux2010``/``manylinux2014`` aliases mean 2.5, 2.12
and 2.17 (os.yaml ``manylinux.legacy``), a pure-Python wheel needs none. Builds from a framework's
own index are not harvested; their floor is a catalogued fact (a variant's ``glibc``) or unknown,
and unknown is never taken as "fits".

A target carries a glibc when it names an edition (``--os amazonlinux-2``: os.yaml
``distributions``) or ``--glibc``; plain ``--os linux`` carries none and limits nothing (the answer
then says which glibc it needs).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ..catalog import Catalog, Variant

NO_GLIBC = "0.0"  # a wheel that needs no glibc (pure Python)


def key(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def fits(needed: str | None, have: str) -> bool:
    """Does a wheel that needs glibc ``needed`` install where glibc is ``have``?"""
    return needed is not None and key(needed) <= key(have)


class Need(NamedTuple):
    """The lowest glibc some wheel of a release needs for a platform and Python."""

    known: bool  # False: the catalog has no file list (or floor) for that platform
    glibc: str | None  # "2.28"; None only when not known
    basis: str = "tag"  # tag (from wheel filenames) | catalog (a variant's documented floor)

    def fits(self, have: str) -> bool | None:
        """True/False when known; None when the catalog cannot say."""
        return fits(self.glibc, have) if self.known else None


UNKNOWN = Need(False, None)


def lowest_stated(needs: Sequence[str | None]) -> str | None:
    """The glibc a package's wheels need (the lowest of them), when every one states one; None when
    there are none or one does not (a ``linux_*`` wheel states no glibc)."""
    if not needs or any(n is None for n in needs):
        return None
    return min((n for n in needs if n is not None), key=key)


def highest(needs: Iterable[str | None]) -> str | None:
    """The highest of several glibc needs (None entries ignored); None when there are none."""
    known = [n for n in needs if n is not None and n != NO_GLIBC]
    return max(known, key=key) if known else None


def variant_floor(variant: Variant, platform: str) -> Need:
    """A framework-index build's documented glibc floor for ``platform`` (catalog ``glibc``)."""
    for entry in variant.glibc:
        if platform in entry.platforms:
            return Need(True, entry.glibc, "catalog")
    return UNKNOWN


def editions_from(cat: Catalog, glibc: str, arch: str | None = None) -> list[str]:
    """Catalogued editions whose glibc is at least ``glibc`` (on ``arch`` where given), oldest glibc first."""
    found = [d for d in cat.distributions.values()
             if fits(glibc, d.glibc) and (arch is None or not d.arches or arch in d.arches)]
    return [d.name for d in sorted(found, key=lambda d: (key(d.glibc), d.name))]


def uv_level(have: str | None, pins_need: str | None, levels: Sequence[str], default: str = "2.28") -> str:
    """The manylinux level to hand uv (``--python-platform``): the nearest of ``levels`` at or below
    the target's glibc; raised to the lowest level that still admits the solved pins when they
    need more (the closure is then re-checked wheel by wheel against the target's glibc). Without a
    target glibc: the pins' need, at least ``default``."""
    ordered = sorted(levels, key=key)
    if have is None:
        floor = max([default] + ([pins_need] if pins_need else []), key=key)
        return next((lv for lv in ordered if key(lv) >= key(floor)), ordered[-1])
    below = [lv for lv in ordered if key(lv) <= key(have)] or ordered[:1]
    level = below[-1]
    if pins_need and key(pins_need) > key(level):
        level = next((lv for lv in ordered if key(lv) >= key(pins_need)), ordered[-1])
    return level

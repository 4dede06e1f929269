"""The project's own requirements in the solve: what they are, where they apply, and whether two
version ranges leave any version at all.

A :class:`ProjectRequirement` is one PEP 508 requirement with its origin ("requirements.in:3",
"--with"). Requirements on catalogued packages (frameworks, companions, GPU libraries) and on the
packages a framework build itself requires (numpy, protobuf, ml-dtypes ...) take part in the
solve; the rest is left to uv at lock time. :func:`overlap` decides whether two specifier sets
admit a common version from the specifiers alone (the catalog has no version list for numpy):
the answer is exact for the intervals PEP 440 operators describe, probed at their end points.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from ..platforms import environment

if TYPE_CHECKING:
    from packaging.requirements import Requirement


class ProjectRequirement(NamedTuple):
    name: str  # canonical
    specifier: SpecifierSet
    extras: tuple[str, ...]
    marker: str | None
    origin: str  # "requirements.in:3", "pyproject.toml [project].dependencies", "--with"
    text: str  # as written

    @classmethod
    def of(cls, req: Requirement, origin: str) -> ProjectRequirement:
        from ..catalog import canonicalize_name

        return cls(canonicalize_name(req.name), req.specifier, tuple(sorted(req.extras)),
                   str(req.marker) if req.marker else None, origin, str(req))

    def applies(self, platform: str, python: str) -> bool:
        """Does its marker hold on the target (no marker: always)?"""
        return self.marker is None or _holds(self.marker, platform, python)

    def describe(self) -> str:
        return f"{self.text} ({self.origin})"


@functools.lru_cache(maxsize=1024)
def _holds(marker: str, platform: str, python: str) -> bool:
    from packaging.markers import Marker

    return Marker(marker).evaluate(environment(platform, python))


def applying(reqs: Iterable[ProjectRequirement], platform: str, python: str) -> tuple[ProjectRequirement, ...]:
    return tuple(r for r in reqs if r.applies(platform, python))


def combined(reqs: Iterable[ProjectRequirement], name: str) -> SpecifierSet | None:
    """The intersection of every requirement on ``name`` (None when there is none)."""
    specs = [r.specifier for r in reqs if r.name == name]
    if not specs:
        return None
    out = SpecifierSet()
    for spec in specs:
        out &= spec
    return out


@functools.lru_cache(maxsize=8192)
def overlap(a: SpecifierSet, b: SpecifierSet) -> bool:
    """Is some version in both ``a`` and ``b``? Pre-releases count (a range that only a pre-release
    satisfies is rare, and pip would then say so itself)."""
    both = a & b
    probes = {Version("0"), Version("999999")}
    for spec in both:
        text = spec.version.removesuffix(".*")
        try:
            v = Version(text)
        except InvalidVersion:
            continue
        release = ".".join(str(x) for x in v.release)
        probes.add(v)
        for more in (f"{release}.post1", f"{release}.dev0", f"{release}.0.1", f"{release}.99999"):
            probes.add(Version(more))
        if spec.operator == "~=" or spec.version.endswith(".*"):
            probes.add(Version(".".join(str(x) for x in v.release[:-1]) + "." + str(v.release[-1] + 1)
                               if len(v.release) > 1 else str(v.release[0] + 1)))
    return any(both.contains(p, prereleases=True) for p in probes)

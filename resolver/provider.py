"""The resolvelib provider of the joint solve: frameworks, their GPU libraries and one CUDA major.

Identifiers are the requested frameworks (``pytorch``), every GPU-library distribution a chosen
build requires (``nvidia-cudnn-cu12``) and one virtual identifier, ``cuda-major``, that every CUDA
build depends on with its own major: two majors cannot both be satisfied, so one environment holds
one CUDA major.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple, Union

from packaging.specifiers import SpecifierSet
from packaging.version import Version
from resolvelib import AbstractProvider
from resolvelib.structs import Matches, RequirementInformation

from .candidates import Candidate, usable
from .rules import cudnn
from .rules.driver import driver_key
from .rules.libraries import library_major, versioned_by_cuda
from .rules.platform import driver_family
from .rules.target import Target
from .rules.wheels import library_installable

if TYPE_CHECKING:
    from .catalog import Catalog, Library

CUDA_MAJOR = "cuda-major"
ANY = "*"  # a library envsolve has no version list for: whatever pip picks


class Requirement(NamedTuple):
    """A demand on one identifier: a framework (both fields None), a library version range
    (``spec``), or the CUDA major (``major``)."""

    identifier: str
    spec: SpecifierSet | None
    major: str | None

    @property
    def name(self) -> str:
        return self.identifier


class LibraryPin(NamedTuple):
    name: str
    version: str  # or ANY


class MajorChoice(NamedTuple):
    major: str


Choice = Union[Candidate, LibraryPin, MajorChoice]
Preference = tuple[int, int, str]


class EnvironmentProvider(AbstractProvider[Requirement, Choice, str]):
    """Candidates and dependencies of the joint solve, for one target platform.

    Preference (:meth:`get_preference`, lower is decided first): the requested frameworks in the
    order requested (so the first framework's newest working release wins), then the CUDA major,
    then the GPU libraries in name order (stable results).

    Candidates of a framework come in its pool's order (newest release first, then known
    requirements over unknown ones, then newer CUDA, then PyPI over a framework index: see
    :meth:`resolver.candidates.Candidate.key`). Library versions come newest first among those
    published with a wheel for the target's platform and Python and not yanked, leaving out cuDNN
    releases that do not support a target GPU and offering those known to support them before
    those whose support is not catalogued; a library with no harvested version list takes the
    builds' exact pins, else :data:`ANY`. A build whose GPUs need PTX JIT with the target's driver
    also caps the CUDA components it pulls (nvrtc, nvJitLink...) at the newest CUDA that driver fully
    supports.
    """

    def __init__(self, cat: Catalog, pools: Mapping[str, Sequence[Candidate]], order: Sequence[str],
                 target: Target) -> None:
        self.cat = cat
        self.pools = pools
        self.order = list(order)
        self.target = target
        self.platform = target.platform
        self._versions: dict[str, list[str]] = {}

    def identify(self, requirement_or_candidate: Requirement | Choice) -> str:
        if isinstance(requirement_or_candidate, Candidate):
            return requirement_or_candidate.fw.name
        if isinstance(requirement_or_candidate, LibraryPin):
            return requirement_or_candidate.name
        if isinstance(requirement_or_candidate, MajorChoice):
            return CUDA_MAJOR
        return requirement_or_candidate.identifier

    def get_preference(self, identifier: str, resolutions: Mapping[str, Choice],
                       candidates: Mapping[str, Iterator[Choice]],
                       information: Mapping[str, Iterator[RequirementInformation[Requirement, Choice]]],
                       backtrack_causes: Sequence[RequirementInformation[Requirement, Choice]]) -> Preference:
        if identifier in self.order:
            return (0, self.order.index(identifier), "")
        return (1 if identifier == CUDA_MAJOR else 2, 0, identifier)

    def versions_of(self, name: str, reqs: Sequence[Requirement]) -> list[str]:
        """Published versions of library ``name`` for the platform, newest first."""
        if name not in self._versions:
            lib = self.cat.libraries.get(name)
            if lib is not None:
                found = [ver for ver in lib.versions if self._installable(lib, ver)]
                self._versions[name] = sorted(found, key=lambda ver: (self._verified(lib, ver), Version(ver)), reverse=True)
            else:  # no harvested data: trust the exact pins the builds declare, or accept anything
                pins = sorted({s.version for r in reqs if r.spec for s in r.spec if s.operator == "=="})
                self._versions[name] = sorted(pins, key=Version, reverse=True) or [ANY]
        return self._versions[name]

    def _installable(self, lib: Library, version: str) -> bool:
        """A wheel of this version serves the target's Python and glibc (where the catalog has its files), and a
        cuDNN release supports every target GPU (unless its support is not catalogued)."""
        if not library_installable(lib, version, self.platform, self.target.python, self.target.glibc):
            return False
        if lib.name.startswith("nvidia-cudnn") and self.target.gpus:
            major = library_major(self.cat, lib.name, version) or ""
            return all(cudnn.verdict(self.cat, version, major, g.compute_capability).support is not cudnn.Support.UNSUPPORTED
                       for g in self.target.gpus)
        return True

    def _verified(self, lib: Library, version: str) -> bool:
        """Known to support the target GPUs: a cuDNN release whose hardware support is catalogued
        is offered before a newer one whose is not (unknown is unverified, never free)."""
        if not (lib.name.startswith("nvidia-cudnn") and self.target.gpus):
            return True
        major = library_major(self.cat, lib.name, version) or ""
        return all(cudnn.verdict(self.cat, version, major, g.compute_capability).support is cudnn.Support.SUPPORTED
                   for g in self.target.gpus)

    def find_matches(self, identifier: str, requirements: Mapping[str, Iterator[Requirement]],
                     incompatibilities: Mapping[str, Iterator[Choice]]) -> Matches[Choice]:
        reqs = list(requirements[identifier])
        bad = set(incompatibilities[identifier])
        if identifier in self.pools:
            pool = self.pools[identifier]
            # Lazily: a build's pip-level details are computed only when resolvelib gets to it.
            return lambda: (c for c in usable(pool) if c not in bad)
        if identifier == CUDA_MAJOR:
            majors = {r.major for r in reqs if r.major}
            return [MajorChoice(m) for m in majors if len(majors) == 1 and MajorChoice(m) not in bad]
        return [LibraryPin(identifier, ver) for ver in self.versions_of(identifier, reqs)
                if (ver == ANY or all(r.spec is None or r.spec.contains(ver, prereleases=True) for r in reqs))
                and LibraryPin(identifier, ver) not in bad]

    def is_satisfied_by(self, requirement: Requirement, candidate: Choice) -> bool:
        if isinstance(candidate, Candidate):
            return candidate.fw.name == requirement.identifier
        if isinstance(candidate, MajorChoice):
            return requirement.major == candidate.major
        return (candidate.version == ANY or requirement.spec is None
                or requirement.spec.contains(candidate.version, prereleases=True))

    def get_dependencies(self, candidate: Choice) -> list[Requirement]:
        if not isinstance(candidate, Candidate):
            return []
        deps = [Requirement(name, spec, None) for name, spec in sorted(candidate.libs.items())]
        cap = self._jit_cap(candidate)
        if cap is not None:
            deps += [Requirement(name, SpecifierSet(f"<{cap}"), None) for name in sorted(candidate.libs)
                     if versioned_by_cuda(self.cat, name)]
        if candidate.cuda_major:
            deps.append(Requirement(CUDA_MAJOR, None, candidate.cuda_major))
        return deps

    def _jit_cap(self, candidate: Candidate) -> str | None:
        """For a build whose GPUs need PTX JIT on the target's driver: the first CUDA release (X.Y)
        that driver does not fully support, within the build's major. None when nothing is capped."""
        family = driver_family(self.cat, self.target.os)
        if not (candidate.jit and self.target.driver and family and candidate.cuda_major):
            return None
        have = driver_key(self.target.driver)
        beyond = sorted((tk.version for tk in self.cat.toolkits.values()
                         if tk.major == candidate.cuda_major and family in tk.driver_min
                         and driver_key(tk.driver_min[family]) > have),
                        key=lambda v: tuple(int(x) for x in v.split(".")))
        return beyond[0] if beyond else None

"""Cross-checks over a loaded catalog: ``envsolve catalog lint``.

The schema (in :mod:`resolver.schema`) already rejected malformed values; these checks compare
facts with each other: curated variants against the CUDA table and against the published wheel
metadata, companions, library versions. Every finding is a :class:`Diagnostic`; nothing raises.
"""

from __future__ import annotations

import re

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from .catalog import Catalog, Diagnostic, Framework, Release, Variant, split_requirement
from .rules.builds import companion_versions, index_release, platforms, requirements_for

_RUNTIME = re.compile(r"^nvidia-cuda-runtime(-cu\d+)?$")
_CUDNN = re.compile(r"^nvidia-cudnn(-cu\d+)?$")
_NCCL = re.compile(r"^nvidia-nccl(-cu\d+)?$")


def lint(cat: Catalog) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    found += _check_cuda(cat)
    for fw in cat.frameworks.values():
        found += _check_framework(cat, fw)
    found += _check_os(cat)
    return found


def _at(cat: Catalog, where, *sub, message: str, severity: str = "error") -> Diagnostic:
    base = cat.locate(where, *sub)
    return Diagnostic(base.file, base.line, base.label, message, severity)


def _check_cuda(cat: Catalog) -> list[Diagnostic]:
    out = []
    for tk in cat.toolkits.values():
        major = cat.majors.get(tk.major)
        if major is None:
            out.append(_at(cat, tk.where, "version", message=f"CUDA major {tk.major} has no entry in 'majors'"))
            continue
        for i, arch in enumerate(tk.archs):
            if arch not in major.archs:
                out.append(_at(cat, tk.where, "archs", i, message=f"{arch} is not listed for CUDA {tk.major} in 'majors'"))
    return out


def _check_os(cat: Catalog) -> list[Diagnostic]:
    out = []
    for support in cat.support:
        if cat.framework(support.framework) is None:
            out.append(Diagnostic("catalogs/os.yaml", None, f"support[{support.framework}]",
                                  f"unknown framework {support.framework!r}"))
    return out


def _check_framework(cat: Catalog, fw: Framework) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    project = cat.pypi.get(canonicalize_name(fw.distribution))
    if project is None:
        out.append(Diagnostic(fw.file, None, "distribution",
                              f"no generated PyPI data for {fw.distribution}; run `envsolve catalog sync`", "warning"))
    for companion in fw.companions:
        if canonicalize_name(companion) not in cat.pypi:
            out.append(Diagnostic(fw.file, None, "companions",
                                  f"no generated PyPI data for {companion}; run `envsolve catalog sync`", "warning"))
    if project is not None:
        curated = {r.version for r in fw.releases}
        lowest = min((Version(v) for v in curated), default=None)
        missing = [v for v in project.releases if lowest is not None and Version(v) >= lowest and v not in curated]
        if missing:
            out.append(Diagnostic(fw.file, None, "releases",
                                  f"PyPI releases with no curated entry: {', '.join(missing)}", "warning"))
    for release in fw.releases:
        pypi_release = project.releases.get(release.version) if project else None
        if project is not None and pypi_release is None:
            out.append(_at(cat, release.where, "version",
                           message=f"{fw.distribution} {release.version} is not on PyPI (per the generated data)"))
        for variant in release.variants:
            out += _check_variant(cat, fw, release, variant, pypi_release)
        out += _check_companions(cat, fw, release)
    return out


def _check_companions(cat: Catalog, fw: Framework, release: Release) -> list[Diagnostic]:
    out = []
    project = cat.pypi.get(canonicalize_name(fw.distribution))
    pypi_release = project.releases.get(release.version) if project else None
    required = {canonicalize_name(Requirement(r).name) for g in (pypi_release.metadata if pypi_release else ())
                for r in g.requires_dist}
    for companion in fw.companions:
        data = cat.pypi.get(canonicalize_name(companion))
        if data is None or canonicalize_name(companion) in required:
            continue  # jax requires jaxlib itself: the solver picks the jaxlib it names
        if not (companion_versions(cat, fw, release.version, companion)
                or companion_versions(cat, fw, release.version, companion, exact=False)):
            out.append(_at(cat, release.where, "version", severity="warning",
                           message=f"no {companion} release on PyPI admits {fw.distribution}=={release.version}"))
    return out


def _check_variant(cat: Catalog, fw: Framework, release: Release, v: Variant, pypi_release) -> list[Diagnostic]:
    out = []
    if v.accelerator == "cuda":
        if v.cuda is None:
            out.append(_at(cat, v.where, message="a CUDA variant needs 'cuda'"))
        elif v.cuda not in cat.toolkits:
            out.append(_at(cat, v.where, "cuda", message=f"CUDA {v.cuda} is not in the toolkit table (catalogs/cuda.yaml)"))
        else:
            buildable = set(cat.toolkits[v.cuda].archs)
            for k, listed in enumerate(v.kernels):
                for field in ("sass", "ptx"):
                    for i, arch in enumerate(getattr(listed, field)):
                        if arch not in buildable:
                            out.append(_at(cat, v.where, "kernels", k, field, i,
                                           message=f"{arch} cannot be built by CUDA {v.cuda} (catalogs/cuda.yaml)"))
                for i, platform in enumerate(listed.platforms):
                    if platform not in platforms(cat, fw, release, v):
                        out.append(_at(cat, v.where, "kernels", k, "platforms", i,
                                       message=f"the build has no {platform} wheel"))
    elif v.cuda is not None:
        out.append(_at(cat, v.where, "cuda", message=f"a {v.accelerator} variant must not name a CUDA version"))
    if v.index == "pypi":
        if not v.pypi_default:
            out.append(_at(cat, v.where, "pypi_default", message="a PyPI variant must say which platforms' wheels it is"))
        if v.python or v.requires:
            out.append(_at(cat, v.where, "python" if v.python else "requires",
                           message="for PyPI builds these facts come from `envsolve catalog sync`, not the curated file"))
        for name in (split_requirement(p)[0] for p in v.packages):
            if name not in cat.pypi:
                out.append(_at(cat, v.where, "packages", severity="warning",
                               message=f"no generated PyPI data for {name}; run `envsolve catalog sync`"))
        if pypi_release is not None and v.accelerator == "cuda" and not v.system_cuda and v.broken is None:
            out += _check_against_metadata(cat, v, pypi_release)
    else:
        if not v.platforms:
            out.append(_at(cat, v.where, message="a variant from a framework index needs 'platforms'"))
        harvested = index_release(cat, fw, release, v)
        if v.requires is None and harvested is None and v.unknown_requires is None:
            out.append(_at(cat, v.where, message=f"no requirements for this {v.index} build: harvest them (envsolve "
                                                 f"catalog sync --index {v.index}), give 'requires:', or mark them "
                                                 f"'unknown_requires:' with the reason"))
        if v.unknown_requires is not None and (v.requires is not None or harvested is not None):
            out.append(_at(cat, v.where, "unknown_requires", severity="warning",
                           message="the requirements are known; drop unknown_requires"))
        for i, line in enumerate(v.requires or ()):
            req = Requirement(line)
            lib = cat.libraries.get(canonicalize_name(req.name))
            pins = [s.version for s in req.specifier if s.operator == "=="]
            if lib is None:
                if cat.libraries:
                    out.append(_at(cat, v.where, "requires", i, severity="warning",
                                   message=f"{req.name} is not in catalogs/pypi/gpu-libraries.yaml"))
            elif pins and pins[0] not in lib.versions and v.broken is None:
                out.append(_at(cat, v.where, "requires", i,
                               message=f"{req.name}=={pins[0]} was never published on PyPI; mark the variant broken"))
    return out


def _pinned(reqs, pattern: re.Pattern) -> str | None:
    for req in reqs:
        if pattern.match(canonicalize_name(req.name)):
            pins = [s.version for s in req.specifier if s.operator == "=="]
            return pins[0] if pins else None
    return None


def _check_against_metadata(cat: Catalog, v: Variant, pypi_release) -> list[Diagnostic]:
    """The wheel metadata wins: a curated CUDA/cuDNN/NCCL that contradicts the pins is an error."""
    out = []
    extras = (v.extra,) if v.extra else ()
    for platform in v.pypi_default:
        group = next((g for g in pypi_release.metadata if platform in g.platforms), None)
        if group is None:
            out.append(_at(cat, v.where, "pypi_default",
                           message=f"PyPI has no {platform} wheel for this release"))
            continue
        reqs = requirements_for(cat, group.parsed, platform, extras=extras)
        runtime = _pinned(reqs, _RUNTIME)
        if runtime and v.cuda and ".".join(runtime.split(".")[:2]) != v.cuda:
            out.append(_at(cat, v.where, "cuda", message=f"the {platform} wheel pins nvidia-cuda-runtime=={runtime}, "
                                                         f"which is CUDA {'.'.join(runtime.split('.')[:2])}, not {v.cuda}"))
        for field, pattern in (("cudnn", _CUDNN), ("nccl", _NCCL)):
            pinned = _pinned(reqs, pattern)
            curated = getattr(v, field)
            if pinned and curated and curated[0].isdigit() and Version(pinned) != Version(curated):
                out.append(_at(cat, v.where, field,
                               message=f"the {platform} wheel pins {field} {pinned}, the catalog says {curated}"))
    return out

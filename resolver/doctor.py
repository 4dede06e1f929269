"""``envsolve doctor``: what on this machine and in this Python environment will break, and why.

:func:`diagnose` takes what :mod:`resolver.probe` saw and the installed distributions and returns
a :class:`Report` value; :func:`format_report` words it. Installed frameworks are matched to their
catalogued build (torch's local label ``+cu128``, the PyPI build of the platform otherwise, the
JAX plugins installed), then checked against the driver, the GPUs and the installed GPU libraries.
"""

from __future__ import annotations

import sys
from typing import Iterable, NamedTuple

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .catalog import Catalog, Framework, Release, Variant
from .probe import Machine
from .platforms import platform_tag_glibc
from .rules import builds, cudnn, driver, kernels
from .rules import glibc as glibc_rules
from .rules.libraries import cuda_majors, is_library, library_major
from .rules.platform import OSES, driver_family, edition_for, platform_of
from .rules.target import GpuTarget



class Installed(NamedTuple):
    name: str  # canonical
    version: str
    requires: tuple[str, ...]  # Requires-Dist
    tags: tuple[str, ...] = ()  # the wheel tags it was installed from (its WHEEL file's Tag lines)


class Finding(NamedTuple):
    severity: str  # error | warning | info
    kind: str  # driver | gpu-arch | cuda-major | library | no-gpu | broken | unknown-build | cudnn | glibc | probe
    message: str
    fix: str | None


class Report(NamedTuple):
    machine: Machine
    platform: str | None
    edition: str | None  # the catalogued distribution /etc/os-release names
    frameworks: tuple[tuple[str, str, str | None], ...]  # (distribution, version, matched variant)
    libraries: tuple[tuple[str, str], ...]
    findings: tuple[Finding, ...]
    environment: str | None = None  # the Python environment inspected (its prefix), when not this one


class Environment(NamedTuple):
    """The distributions of the Python environment doctor inspects, and where it is."""

    dists: list[Installed]
    where: str | None  # a prefix or site-packages folders; None: envsolve's own interpreter
    python: str | None  # its X.Y, when it is another interpreter's
    unreadable: tuple[str, ...] = ()  # dist-info folders whose METADATA could not be read


def installed_distributions(paths: list[str] | None = None) -> Environment:
    """Distributions installed in this interpreter (or in ``paths``, site-packages folders). A
    distribution whose METADATA cannot be read (not UTF-8, say) is listed as unreadable, not fatal."""
    from importlib import metadata

    seen: dict[str, Installed] = {}
    unreadable = []
    for dist in metadata.distributions(path=paths) if paths else metadata.distributions():
        try:
            name = dist.name
            if not name:
                continue
            found = Installed(canonicalize_name(name), dist.version or "", tuple(dist.requires or ()))
        except (UnicodeDecodeError, OSError, ValueError, TypeError, KeyError) as exc:
            unreadable.append(f"{getattr(dist, '_path', '?')} ({type(exc).__name__})")
            continue
        try:  # the wheel tags it was installed from (for the glibc check); none is no finding
            wheel = dist.read_text("WHEEL") or ""
            tags = tuple(line.split(":", 1)[1].strip() for line in wheel.splitlines()[:200] if line.startswith("Tag:"))
        except (UnicodeDecodeError, OSError, ValueError, TypeError, KeyError):
            tags = ()
        seen.setdefault(found.name, found._replace(tags=tags))
    return Environment(sorted(seen.values()), ", ".join(paths) if paths else None, None, tuple(unreadable))


def environment_of(python: str, timeout: float = 60.0) -> Environment:
    """The distributions of another interpreter's environment (a virtual environment's python)."""
    from .probe import python_environment

    env = python_environment(python, timeout)
    seen: dict[str, Installed] = {}
    for name, version, requires in env.dists:
        seen.setdefault(canonicalize_name(name), Installed(canonicalize_name(name), version, requires))
    return Environment(sorted(seen.values()), env.prefix or python, env.python, env.unreadable)


def _platform(machine: Machine) -> str | None:
    """The wheel platform of this machine, or None for an OS or CPU envsolve does not know."""
    if machine.os not in OSES or machine.arch not in ("x86_64", "aarch64"):
        return None
    return platform_of(machine.os, machine.arch)


def match_build(cat: Catalog, fw: Framework, dist: Installed, installed: dict[str, Installed],
                platform: str | None) -> tuple[Release | None, Variant | None]:
    """The catalogued release and build an installed framework is (:func:`resolver.rules.builds.identify`)."""
    try:
        parsed = Version(dist.version)
    except InvalidVersion:
        return None, None
    release = fw.release(parsed.public)
    if release is None or platform is None:
        return release, None
    return release, builds.identify(cat, fw, release, parsed.local, list(installed), platform)


def diagnose(cat: Catalog, machine: Machine, dists: Iterable[Installed] | Environment) -> Report:
    env = dists if isinstance(dists, Environment) else Environment(list(dists), None, None)
    if env.python:
        machine = machine._replace(python=env.python)
    installed = {d.name: d for d in env.dists}
    platform = _platform(machine)
    findings: list[Finding] = []
    gpus = []
    for g in machine.gpus:
        if g.compute_capability:
            gpus.append(GpuTarget(g.name, g.compute_capability))
        else:
            findings.append(Finding("warning", "gpu-arch", f"{g.name}: compute capability unknown; kernels not checked", None))
    family = driver_family(cat, machine.os)
    target_python = machine.python
    frameworks = []
    cuda_builds = []
    for fw in cat.frameworks.values():
        dist = installed.get(canonicalize_name(fw.distribution))
        if dist is None:
            continue
        release, variant = match_build(cat, fw, dist, installed, platform)
        frameworks.append((fw.distribution, dist.version, variant.name if variant else None))
        fix_cmd = f"envsolve {fw.name} --gpu --detect"
        if release is None:
            findings.append(Finding("warning", "unknown-build", f"{fw.distribution} {dist.version} is not in the catalog; "
                                    "its GPU support was not checked", "envsolve catalog sync"))
            continue
        if release.broken:
            findings.append(Finding("error", "broken", f"{fw.distribution} {release.version} is marked broken: {release.broken}",
                                    fix_cmd))
        if variant is None:
            findings.append(Finding("warning", "unknown-build", f"{fw.distribution} {dist.version}: which build this is "
                                    "could not be told; its GPU support was not checked", None))
            continue
        if variant.broken:
            findings.append(Finding("error", "broken", f"{fw.distribution} {dist.version} ({variant.name}) is marked broken: "
                                    f"{variant.broken}", fix_cmd))
        if variant.accelerator == "rocm" and machine.rocm is None:
            findings.append(Finding("error", "no-gpu", f"{fw.distribution} {dist.version} is a ROCm build, but no ROCm "
                                    "installation was found (/opt/rocm/.info/version): it will run on the CPU only", None))
        if variant.accelerator in ("mps", "metal") and not machine.apple_gpu:
            findings.append(Finding("warning", "no-gpu", f"{fw.distribution} {dist.version} ({variant.name}) uses Apple's GPU "
                                    "through Metal, which needs an Apple-silicon Mac", None))
        if variant.accelerator != "cuda":
            continue
        cuda_builds.append((fw, release, variant))
        built = kernels.kernels_of(cat, fw.distribution, release.version, variant, platform or "linux-x86_64")
        jit = False
        for gpu in gpus:
            how = kernels.coverage(gpu.compute_capability, built.sass, built.ptx)
            if how is kernels.Coverage.NONE:
                findings.append(Finding("error", "gpu-arch", f"{gpu.name} ({gpu.sm}) has no kernels in {fw.distribution} "
                                        f"{dist.version} ({variant.name}): 'no kernel image is available'",
                                        f"envsolve {fw.name} --gpu --detect"))
            jit = jit or how is kernels.Coverage.PTX
        if not machine.gpus and machine.driver is None:
            findings.append(Finding("error", "no-gpu", f"{fw.distribution} {dist.version} is a CUDA {variant.cuda} build, "
                                    "but no NVIDIA driver or GPU is visible: it will run on the CPU only", None))
        elif machine.driver and family:
            floor = driver.floor_of(cat, variant, family)
            verdict = driver.verdict(floor, machine.driver, needs_jit=jit)
            if verdict.support is driver.Support.BELOW:
                findings.append(Finding("error", "driver", f"{fw.distribution} {dist.version} ({variant.name}) needs NVIDIA "
                                        f"driver >= {verdict.need} (CUDA {variant.cuda}"
                                        + (", a GPU through PTX JIT" if jit else "") + f"); this machine has {machine.driver}",
                                        f"envsolve {fw.name} --gpu --detect   (finds a build for this driver), or "
                                        f"install driver >= {floor.full or floor.compat}"))
            elif verdict.support is driver.Support.MINOR_COMPAT:
                findings.append(Finding("warning", "driver", f"{fw.distribution} {dist.version} ({variant.name}) runs on driver "
                                        f"{machine.driver} only through CUDA minor-version compatibility (CUDA {variant.cuda} "
                                        f"wants >= {floor.full}): PTX JIT will fail", f"install driver >= {floor.full}"))
        # the GPU-library requirements of the installed build
        wanted = builds.requires(cat, fw, release, variant, platform, target_python) if platform else []
        for req in wanted:
            if not is_library(req.name):
                continue
            have = installed.get(req.name)
            if have is None:
                findings.append(Finding("error", "library", f"{fw.distribution} {dist.version} needs {req} but "
                                        f"{req.name} is not installed", f"pip install '{req}'"))
            elif str(req.specifier) and not req.specifier.contains(have.version, prereleases=True):
                findings.append(Finding("error", "library", f"{fw.distribution} {dist.version} needs {req}; "
                                        f"{req.name} {have.version} is installed", f"pip install '{req}'"))
    libs = sorted((d.name, d.version) for d in installed.values() if is_library(d.name))
    for name, version in libs:
        major = library_major(cat, name, version) if name.startswith("nvidia-cudnn") else None
        for gpu in gpus if major else ():
            judged = cudnn.verdict(cat, version, major or "", gpu.compute_capability)
            if judged.support is cudnn.Support.UNSUPPORTED:
                findings.append(Finding("error", "cudnn", f"{name} {version} supports compute capability "
                                        f"{judged.min_compute_capability} and newer; {gpu.name} ({gpu.sm}) is "
                                        f"{gpu.compute_capability}: its cuDNN calls will fail",
                                        f"envsolve {'+'.join(fw.name for fw, _, _ in cuda_builds) or 'torch'} --gpu --detect"))
            elif judged.support is cudnn.Support.UNKNOWN:
                findings.append(Finding("info", "cudnn", f"{name} {version}: the GPUs it supports are not catalogued; "
                                        f"{gpu.name} not verified", None))
    lib_majors = cuda_majors(cat, libs)
    majors = {m: [pin.replace("==", " ") for pin in pins] for m, pins in lib_majors.items()}
    for fw, _, variant in cuda_builds:  # a build's own CUDA counts in the one-major rule, as in `check`
        if variant.cuda:
            dist = installed[canonicalize_name(fw.distribution)]
            majors.setdefault(variant.cuda.split(".")[0], []).insert(0, f"{fw.distribution} {dist.version} ({variant.name})")
    if len(majors) > 1:
        shown = "; ".join(f"CUDA {m}: {', '.join(v[:3])}{'...' if len(v) > 3 else ''}" for m, v in sorted(majors.items()))
        clash = [k for k in ("cudnn", "nccl") if sum(any(k in e for e in v) for v in majors.values()) > 1]
        what = f" (cuDNN/NCCL of two majors install the same files: {', '.join(clash)})" if clash else ""
        kinds = "GPU libraries" if set(majors) == set(lib_majors) else "GPU libraries and framework builds"
        findings.append(Finding("error", "cuda-major", f"{kinds} of {len(majors)} CUDA majors are installed "
                                f"side by side{what}: {shown}",
                                "envsolve " + "+".join(fw.name for fw, _, _ in cuda_builds) + " --gpu --detect"
                                if cuda_builds else None))
    for where in env.unreadable:
        findings.append(Finding("warning", "unreadable", f"a distribution's METADATA could not be read: {where}; "
                                "it was not checked", None))
    findings += _glibc_findings(cat, machine, platform, installed)
    for note in machine.notes:
        findings.append(Finding("info", "probe", note, None))
    seen = machine.os_release
    edition = edition_for(cat, seen.id, seen.version_id) if seen is not None else None
    return Report(machine, platform, edition, tuple(frameworks), tuple(libs), tuple(findings), env.where)


def _glibc_findings(cat: Catalog, machine: Machine, platform: str | None, installed: dict[str, Installed]) -> list[Finding]:
    """Installed packages that need a newer glibc than this machine has: by the wheel tag they were
    installed from, and for a framework, by its build's catalogued floor (an index wheel tagged
    linux_x86_64 states none, yet pip installs it anywhere)."""
    have = machine.glibc
    if have is None or platform is None or not platform.startswith("linux-"):
        return []
    out = []
    for dist in sorted(installed.values()):
        need = glibc_rules.lowest_stated([platform_tag_glibc(tag.rsplit("-", 1)[-1], cat.manylinux_legacy)
                                          for tag in dist.tags])
        if need is not None and not glibc_rules.fits(need, have):
            out.append(Finding("error", "glibc", f"{dist.name} {dist.version} was installed from a wheel for glibc "
                               f"{need} ({', '.join(dist.tags[:2])}); this machine has glibc {have}: it will fail to load",
                               f"envsolve STACK --detect (solves for glibc {have})"))
            continue
        fw = next((f for f in cat.frameworks.values() if canonicalize_name(f.distribution) == dist.name), None)
        release, variant = match_build(cat, fw, dist, installed, platform) if fw else (None, None)
        if fw is None or release is None or variant is None:
            continue
        found = builds.glibc_need(cat, fw, release, variant, platform, machine.python)
        if found.known and found.glibc and not glibc_rules.fits(found.glibc, have):
            out.append(Finding("error", "glibc", f"{dist.name} {dist.version} ({variant.name}) needs glibc {found.glibc} "
                               f"({'its documented build image' if found.basis == 'catalog' else 'its wheels'}); this "
                               f"machine has glibc {have}: it will fail to load", f"envsolve {fw.name} --detect"))
    return out


def format_report(report: Report) -> str:
    m = report.machine
    gpus = ", ".join(f"{g.name} ({g.compute_capability or '?'})" for g in m.gpus) or "none visible"
    where = ""
    if m.os_release is not None:
        where = f", {m.os_release.pretty_name}" + (f" ({report.edition})" if report.edition else " (not a catalogued edition)")
    if m.os in ("linux", "wsl2"):
        where += f", glibc {m.glibc or 'not found'}"
    lines = [
        f"machine: {m.os} {m.arch}{where}, Python {m.python}",
        f"environment: {report.environment or 'this interpreter (' + sys.prefix + ')'}",
        f"NVIDIA driver: {m.driver or 'not found'}" + (f" (from {m.driver_source})" if m.driver_source else ""),
        f"GPUs: {gpus}",
    ]
    if m.rocm:
        lines.append(f"ROCm: {m.rocm}")
    if m.apple_gpu:
        lines.append("Apple-silicon GPU: Metal/MPS")
    if report.frameworks:
        lines.append("frameworks: " + ", ".join(f"{d} {v}" + (f" ({b})" if b else "") for d, v, b in report.frameworks))
    else:
        lines.append("frameworks: none of the catalogued ones is installed")
    if report.libraries:
        lines.append(f"GPU libraries: {len(report.libraries)} installed")
    problems = [f for f in report.findings if f.severity != "info"]
    lines.append("")
    lines.append("findings:" if problems else "no problems found")
    for f in report.findings:
        lines.append(f"  {f.severity}: {f.message}")
        if f.fix:
            lines.append(f"    fix: {f.fix}")
    return "\n".join(lines)


def report_json(report: Report) -> dict:
    m = report.machine
    return {
        "schema": "envsolve.doctor/1",
        "machine": {"os": m.os, "arch": m.arch, "python": m.python, "glibc": m.glibc,
                    "os_release": m.os_release._asdict() if m.os_release else None, "edition": report.edition,
                    "driver": m.driver,
                    "driver_source": m.driver_source, "rocm": m.rocm, "apple_gpu": m.apple_gpu,
                    "gpus": [{"name": g.name, "compute_capability": g.compute_capability, "driver": g.driver} for g in m.gpus]},
        "platform": report.platform,
        "environment": report.environment or sys.prefix,
        "frameworks": [{"name": d, "version": v, "build": b} for d, v, b in report.frameworks],
        "gpu_libraries": [{"name": n, "version": v} for n, v in report.libraries],
        "findings": [f._asdict() for f in report.findings],
    }


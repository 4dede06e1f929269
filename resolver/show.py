"""``envsolve catalog show`` and ``catalog editions``: catalog facts as values, and pure formatters for people."""

from __future__ import annotations

from typing import Any

from packaging.version import Version

from .catalog import Catalog, Variant
from .errors import UsageError
from .platforms import PLATFORMS, wheel_platforms, wheel_pythons
from .request import lookup_framework, parse_item
from .rules import builds as facts
from .rules import driver, kernels
from .rules.builds import companion_versions
from .rules.libraries import is_library


def release_facts(cat: Catalog, text: str) -> dict:
    name, spec = parse_item(text)
    fw = lookup_framework(cat, name)
    matching = [r for r in fw.releases if spec.contains(r.version, prereleases=True)]
    if not matching:
        versions = sorted((r.version for r in fw.releases), key=Version)
        span = f"{versions[0]} to {versions[-1]}" if versions else "none"
        raise UsageError(f"no {fw.name} release in the catalog matches {str(spec)!r} (catalogued: {span})")
    release = max(matching, key=lambda r: Version(r.version))
    rel = facts.pypi_release(cat, fw, release)
    out: dict = {
        "framework": fw.name,
        "distribution": fw.distribution,
        "version": release.version,
        "catalog_file": fw.file,
        "broken": release.broken,
        "note": release.note,
        "source": list(release.source),
    }
    if rel is not None:
        wheels = rel.wheels()
        platforms = sorted({p for w in wheels for p in wheel_platforms(w[0])}, key=PLATFORMS.index)
        out["pypi"] = {
            "requires_python": rel.requires_python,
            "yanked": rel.yanked,
            "wheels": len(wheels),
            "platforms": {p: list(wheel_pythons(w[0] for w in wheels if p in wheel_platforms(w[0])))
                          for p in platforms},
            "source": f"https://pypi.org/simple/{fw.distribution}/",
        }
    else:
        out["pypi"] = None
    out["companions"] = {c: companion_versions(cat, fw, release.version, c) for c in fw.companions}
    variants = []
    for v in release.variants:
        plats = facts.platforms(cat, fw, release, v)
        floors: dict[str, dict[str, str | None]] = {}
        entry: dict[str, Any] = {
            "name": v.name,
            "accelerator": v.accelerator,
            "index": v.index if v.index == "pypi" else v.index,
            "platforms": list(plats),
            "python": {p: list(facts.pythons(cat, fw, release, v, p)) for p in plats},
            "cuda": v.cuda,
            "cudnn": v.cudnn,
            "nccl": v.nccl,
            "kernels": {p: _kernels(cat, fw.distribution, release.version, v, p) for p in plats}
            if v.accelerator == "cuda" else {},
            "system_cuda": v.system_cuda,
            "extra": v.extra,
            "packages": list(v.packages),
            "requires": {p: [str(r) for r in facts.requires(cat, fw, release, v, p) if _is_gpu_lib(r.name)]
                         for p in plats},
            "driver_min": floors,
            "broken": v.broken,
            "note": v.note,
            "source": list(v.source),
        }
        if v.accelerator == "cuda":
            for family in ("linux", "windows"):
                floor = driver.floor_of(cat, v, family)
                floors[family] = {"full": floor.full, "minor_compat": floor.compat}
        variants.append(entry)
    out["variants"] = variants
    return out


def _kernels(cat: Catalog, distribution: str, version: str, variant: Variant, platform: str) -> dict[str, Any]:
    found = kernels.kernels_of(cat, distribution, version, variant, platform)
    return {"sass": list(found.sass), "ptx": list(found.ptx), "method": found.method, "source": list(found.source)}


def _is_gpu_lib(name: str) -> bool:
    return is_library(name.lower()) or name.lower() in ("triton", "pytorch-triton")


def _span(items: list[str]) -> str:
    if not items:
        return "-"
    return items[0] if len(items) == 1 else f"{items[0]}..{items[-1]}"


def format_facts(f: dict) -> str:
    """A readable summary of :func:`release_facts`."""
    lines = [f"{f['distribution']} {f['version']}  ({f['framework']}, {f['catalog_file']})"]
    if f["broken"]:
        lines.append(f"  BROKEN: {f['broken']}")
    if f["pypi"]:
        p = f["pypi"]
        lines.append(f"  PyPI: requires-python {p['requires_python'] or '(any)'}, {p['wheels']} wheels"
                     + (f", YANKED: {p['yanked']}" if p["yanked"] else ""))
        for plat, pys in p["platforms"].items():
            lines.append(f"    {plat:14} Python {_span(pys)}")
    else:
        lines.append("  PyPI: no generated data (run `envsolve catalog sync`)")
    if f["companions"]:
        lines.append("  companions: " + ", ".join(f"{c} {'/'.join(v) or '(none on PyPI)'}" for c, v in f["companions"].items()))
    lines.append("  variants:")
    for v in f["variants"]:
        head = f"    {v['name']:12} {v['accelerator']:5} from {v['index']}"
        if v["broken"]:
            head += f"  BROKEN: {v['broken']}"
        lines.append(head)
        lines.append(f"      platforms: {', '.join(v['platforms']) or '(none)'}")
        if v["cuda"]:
            lines.append(f"      CUDA {v['cuda']}{' (system install)' if v['system_cuda'] else ''}, "
                         f"cuDNN {v['cudnn'] or '?'}, NCCL {v['nccl'] or '?'}")
            for fam, floor in v["driver_min"].items():
                if floor["full"] or floor["minor_compat"]:
                    lines.append(f"      driver ({fam}): >= {floor['full'] or '?'}"
                                 f" (>= {floor['minor_compat'] or '?'} with minor-version compatibility)")
            for plat, k in v["kernels"].items():
                lines.append(f"      kernels on {plat}: {' '.join(k['sass']) or '-'}" + (f"; PTX: {' '.join(k['ptx'])}" if k["ptx"] else "")
                             + f"  ({k['method']})")
        for plat, reqs in v["requires"].items():
            if reqs:
                lines.append(f"      requires on {plat}: {', '.join(reqs)}")
                break
        if v["note"]:
            lines.append(f"      note: {v['note']}")
        lines.append(f"      source: {', '.join(v['source']) or '-'}")
    if f["source"]:
        lines.append(f"  source: {', '.join(f['source'])}")
    return "\n".join(lines)


def editions(cat: Catalog) -> dict:
    """The editions ``--os`` accepts, as a value (``envsolve.editions/1``)."""
    from .rules.glibc import key

    linux = sorted(cat.distributions.values(), key=lambda d: (d.os_release[0], key(d.glibc), d.name))
    return {
        "schema": "envsolve.editions/1",
        "linux": [{"name": d.name, "glibc": d.glibc, "arches": list(d.arches),
                   "os_release": {"id": d.os_release[0], "version_id": d.os_release[1]}, "image": d.image,
                   "pythons": [p.python for p in d.pythons], "note": d.note, "source": list(d.source)} for d in linux],
        "windows": [{"name": w.name, "note": w.note, "source": list(w.source)} for w in cat.windows_editions.values()],
    }


def format_editions(data: dict) -> str:
    rows = [("EDITION", "GLIBC", "CPUS", "IMAGE (PYTHONS)")]
    for d in data["linux"]:
        image = f"{d['image']} ({', '.join(d['pythons']) or 'none'})" if d["image"] else "-"
        rows.append((d["name"], d["glibc"], ",".join(d["arches"]) or "?", image))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3] for r in rows]
    lines += ["", "Windows editions (--os windows-server-2022...: windows, with what is known there):"]
    lines += [f"  {w['name']}: {w['note']}" for w in data["windows"]]
    lines += ["", "Any other Linux: --os linux --glibc X.Y (`ldd --version` prints it)."]
    return "\n".join(lines)

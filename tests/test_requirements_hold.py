"""Every pinned GPU library satisfies every chosen build's catalogued Requires-Dist.

For the README command and every successful answer in tests/cases/solve/real.yaml, the manifest's
pins are checked with packaging itself (not envsolve's marker table): the Requires-Dist lines of
each chosen framework build, of its plugins, and of the metapackage extras they name
(cuda-toolkit[cublas,...]==13.2.2), evaluated for the target's platform and Python.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from resolver import catalog
from resolver.platforms import environment
from resolver.rules.builds import index_release, pypi_release

HERE = Path(__file__).parent
README = "tensorflow+pytorch --gpu --os linux --python 3.12"
CASES = [c["args"] for c in yaml.safe_load((HERE / "cases" / "solve" / "real.yaml").read_text()) if c["exit"] == 0]


def _lines(group_lines, env: dict[str, str], extras: tuple[str, ...]) -> list[Requirement]:
    out = []
    for line in group_lines:
        req = Requirement(line)
        if req.marker is None or any(req.marker.evaluate({**env, "extra": e}) for e in ("", *extras)):
            out.append(req)
    return out


def _metadata(project, version: str, platform: str) -> tuple[str, ...] | None:
    rel = project.releases.get(version) if project else None
    group = next((g for g in rel.metadata if platform in g.platforms), None) if rel else None
    return group.requires_dist if group else None


def _requirements(cat, manifest: dict) -> list[Requirement]:
    target = manifest["target"]
    env = {**default_environment(), **environment(target["platform"], target["python"])}
    reqs: list[Requirement] = []
    for pkg in manifest["packages"]:
        extras = tuple(pkg["extras"])
        if pkg["role"] == "framework":
            fw = cat.framework(pkg["name"])
            release = fw.release(pkg["version"])
            variant = release.variant(pkg["variant"])
            if variant.index == "pypi":
                lines = _metadata(cat.pypi.get(fw.distribution), release.version, target["platform"])
            else:
                harvested = index_release(cat, fw, release, variant)
                group = next((g for g in harvested.metadata if target["platform"] in g.platforms), None) if harvested else None
                lines = group.requires_dist if group else (variant.requires or ())
            assert lines is not None or pypi_release(cat, fw, release) is None
            reqs += _lines(lines or (), env, extras)
        elif pkg["role"] == "plugin":
            reqs += _lines(_metadata(cat.pypi.get(pkg["name"]), pkg["version"], target["platform"]) or (), env, extras)
    # Metapackages named with extras pin the libraries they bring (cuda-toolkit[cublas,...]==X).
    queue = [r for r in reqs if r.extras and canonicalize_name(r.name) in cat.pypi]
    seen = set()
    while queue:
        meta = queue.pop()
        key = (canonicalize_name(meta.name), str(meta.specifier), tuple(sorted(meta.extras)))
        if key in seen:
            continue
        seen.add(key)
        project = cat.pypi[canonicalize_name(meta.name)]
        version = max((v for v in project.releases if meta.specifier.contains(v, prereleases=True)), default=None,
                      key=lambda v: tuple(int(x) for x in v.split(".") if x.isdigit()))
        assert version is not None, meta
        more = _lines(_metadata(project, version, target["platform"]) or (), env, tuple(meta.extras))
        reqs += more
        queue += [r for r in more if r.extras and canonicalize_name(r.name) in cat.pypi]
    return reqs


@pytest.mark.parametrize("args", [README, *CASES])
def test_pinned_libraries_meet_every_chosen_builds_requirements(args, envsolve):
    result = envsolve(*shlex.split(args), "--json")
    assert result.code == 0, result
    manifest = json.loads(result.out)
    cat = catalog.load()
    pins = {p["name"]: p["version"] for p in manifest["packages"] if p["role"] == "gpu-library"}
    checked = 0
    for req in _requirements(cat, manifest):
        name = canonicalize_name(req.name)
        if name in pins:
            assert req.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} breaks {req}"
            checked += 1
    if manifest["request"]["accelerator"] == "cuda" and pins:
        assert checked, "no GPU-library requirement was checked"

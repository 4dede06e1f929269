"""Property: on random small catalogs the solver's answer agrees with brute force.

Two frameworks, each release one CUDA build that pins one NCCL wheel; NCCL has a random set of
published versions. Brute force walks the pairs in the documented preference order (the first
framework's newest release first): the first compatible pair is the answer, and when there is
none the solver must report a conflict.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolver import catalog, explain, solver
from resolver.request import Request, Target, parse_stack

MINI = Path(__file__).parent / "fixtures" / "mini"
NCCL = ["2.18.1", "2.19.3", "2.20.5", "2.21.5", "2.23.4", "2.26.2", "2.27.3"]
CUDA = {"12": "12.4", "13": "13.0"}

release = st.tuples(st.sampled_from(["12", "13"]), st.sampled_from(NCCL))
framework = st.lists(release, min_size=1, max_size=5)


def _wheel(name: str, version: str) -> dict:
    filename = f"{name}-{version}-cp312-cp312-manylinux_2_28_x86_64.whl"
    digest = hashlib.sha256(filename.encode()).hexdigest()
    return {"filename": filename, "sha256": digest, "url": f"https://files.pythonhosted.org/packages/{digest[:2]}/{filename}"}


def _write(root: Path, frameworks: dict[str, list], published: dict[str, list[str]]) -> None:
    for name, releases in frameworks.items():
        versions = [f"1.{i}.0" for i in range(len(releases))]
        (root / f"{name}.yaml").write_text(yaml.safe_dump({
            "schema": "envsolve.catalog/1", "kind": "framework", "name": name, "distribution": name,
            "releases": [{"version": v, "source": "https://example.org/notes", "variants": [{
                "name": f"cu{CUDA[major].replace('.', '')}", "accelerator": "cuda", "index": "pypi",
                "pypi_default": ["linux-x86_64"], "cuda": CUDA[major]}]} for v, (major, _) in zip(versions, releases)],
        }))
        (root / "pypi" / f"{name}.yaml").write_text(yaml.safe_dump({
            "schema": "envsolve.catalog/1", "kind": "pypi", "project": name, "source": f"https://pypi.org/simple/{name}/",
            "releases": [{"version": v, "requires_python": ">=3.10", "wheels": [_wheel(name, v)], "metadata": [{
                "platforms": ["linux-x86_64"], "from": _wheel(name, v)["filename"],
                "requires_dist": [f"nvidia-nccl-cu{major}=={nccl}"]}]} for v, (major, nccl) in zip(versions, releases)],
        }))
    (root / "pypi" / "gpu-libraries.yaml").write_text(yaml.safe_dump({
        "schema": "envsolve.catalog/1", "kind": "pypi", "source": "https://pypi.org/simple/",
        "libraries": [{"name": f"nvidia-nccl-cu{major}", "versions": [{"version": v, "platforms": ["linux-x86_64"]} for v in vs]}
                      for major, vs in published.items()],
    }))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(framework, framework, st.fixed_dictionaries({"12": st.lists(st.sampled_from(NCCL), unique=True),
                                                    "13": st.lists(st.sampled_from(NCCL), unique=True)}))
def test_solver_agrees_with_brute_force(tmp_path_factory, alpha, beta, published):
    root = tmp_path_factory.mktemp("cat")
    (root / "pypi").mkdir()
    for name in ("cuda.yaml", "gpus.yaml", "os.yaml"):
        shutil.copy(MINI / name, root / name)
    _write(root, {"alpha": alpha, "beta": beta}, published)
    cat = catalog.load(root, use_cache=False)
    request = Request(parse_stack(cat, "alpha+beta"), "cuda", None, None)
    result = explain.answer(cat, request, Target("linux", "x86_64", "3.12", (), None), suggest=False)

    def ok(a, b):
        return a[0] == b[0] and a[1] == b[1] and a[1] in published[a[0]]

    expected = next(((i, j) for i in reversed(range(len(alpha))) for j in reversed(range(len(beta)))
                     if ok(alpha[i], beta[j])), None)
    if expected is None:
        assert isinstance(result, explain.Conflict), result
        assert result.causes
    else:
        assert isinstance(result, solver.Solution), result
        got = tuple(int(c.release.version.split(".")[1]) for c in result.chosen)
        assert got == expected
        nccl = {p.name: p.version for p in result.libraries}
        assert nccl == {f"nvidia-nccl-cu{alpha[expected[0]][0]}": alpha[expected[0]][1]}

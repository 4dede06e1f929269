"""The solver, driven by data: tests/cases/solve/*.yaml (request, target, expected pins or conflict)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import yaml

from resolver.rules.kernels import Coverage, coverage

HERE = Path(__file__).parent
MINI = HERE / "fixtures" / "mini"


def _cases(name: str):
    cases = yaml.safe_load((HERE / "cases" / "solve" / name).read_text(encoding="utf-8"))
    return pytest.mark.parametrize("case", cases, ids=[c["name"] for c in cases])


def _check(case: dict, envsolve, catalog_args: list):
    args = catalog_args + shlex.split(case["args"])
    if case["exit"] == 2:
        result = envsolve(*args)
        assert result.code == 2, result
        assert result.err.strip() == case["error"]
        return
    result = envsolve(*args, "--json")
    assert result.code == case["exit"], result
    manifest = json.loads(result.out)
    assert manifest["schema"] == "envsolve.solution/1"
    if case["exit"] == 0:
        got = {p["name"]: " ".join(x for x in (p["version"], p["variant"] if p["role"] != "gpu-library" and p["index"] != "https://pypi.org/simple" or p["role"] == "framework" else None) if x)
               for p in manifest["packages"]}
        for name, expected in case.get("pins", {}).items():
            assert got.get(name) == str(expected), (name, got)
        for key, expected in case.get("system", {}).items():
            assert manifest["system"][key] == expected, (key, manifest["system"])
        if "unverified" in case:  # exactly these packages carry "verified": false
            assert sorted(p["name"] for p in manifest["packages"] if not p["verified"]) == sorted(case["unverified"])
        for name in case.get("absent", []):
            assert name not in got, (name, got)
        if "relies_on" in case:
            assert manifest["system"]["driver_relies_on"] == case["relies_on"]
        for fragment in case.get("warnings", []):
            assert any(fragment in w for w in manifest["warnings"]), manifest["warnings"]
        # The human output says the same thing.
        human = envsolve(*args)
        assert human.code == 0 and "install:" in human.out
    else:
        assert manifest["status"] == "conflict"
        causes = [c["text"] for c in manifest["conflict"]["causes"]]
        # The listed causes come first, in order; os.yaml notes may follow them.
        assert causes[: len(case["causes"])] == case["causes"]
        suggestions = [s["text"] for s in manifest["conflict"]["suggestions"]]
        for expected in case.get("suggestions", []):
            assert expected in suggestions, suggestions
        human = envsolve(*args)
        assert human.code == 1
        assert all(f"  - {c}" in human.out.splitlines() for c in causes)


@_cases("mini.yaml")
def test_mini_catalog(case, envsolve):
    _check(case, envsolve, ["--catalog-dir", MINI])


@pytest.mark.parametrize(
    ("cc", "archs", "ptx", "expected"),
    [
        ("8.6", ["sm_80"], [], Coverage.SASS),  # same major, newer minor: binary compatible
        ("8.0", ["sm_86"], [], Coverage.NONE),  # older minor cannot run newer cubins
        ("9.0", ["sm_80"], [], Coverage.NONE),  # another major needs PTX
        ("9.0", ["sm_80"], ["sm_80"], Coverage.PTX),  # PTX JIT-compiles forward
        ("12.0", ["sm_90a"], [], Coverage.NONE),  # arch-specific cubins are not forward compatible
        ("9.0", ["sm_90a"], [], Coverage.SASS),
        ("12.1", ["sm_120"], [], Coverage.SASS),
        ("10.3", ["sm_100f"], [], Coverage.SASS),  # family-specific cubins run within their family
        ("10.0", ["sm_103f"], [], Coverage.NONE),
        ("7.0", ["sm_75"], ["sm_75"], Coverage.NONE),  # PTX does not run backwards
    ],
)
def test_kernel_coverage(cc, archs, ptx, expected):
    assert coverage(cc, archs, ptx) is expected


@_cases("real.yaml")
def test_shipped_catalog(case, envsolve):
    _check(case, envsolve, [])

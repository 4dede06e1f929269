"""Facts live in the catalog: a new Python and a new GPU architecture are catalog edits only.

A copy of the small test catalog gains a made-up Python 3.16, a made-up GPU architecture with
compute capability 13.0 (sm_130), a CUDA toolkit that builds it and a torch release with cp316
wheels and sm_130 kernels. Solve, matrix and explore handle them with no code change.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import yaml

from resolver.sync import render

MINI = Path(__file__).parent / "fixtures" / "mini"


def _future(tmp_path: Path) -> Path:
    cat = tmp_path / "catalogs"
    shutil.copytree(MINI, cat)
    os_data = yaml.safe_load((cat / "os.yaml").read_text())
    os_data["pythons"]["versions"].append("3.16")
    os_data["matrix"]["pythons"] = ["3.16"]
    (cat / "os.yaml").write_text(yaml.safe_dump(os_data, sort_keys=False))
    gpus = yaml.safe_load((cat / "gpus.yaml").read_text())
    gpus["architectures"].append({"name": "Futurist", "source": "gpus"})
    gpus["gpus"].append({"name": "Test GPU 130", "compute_capability": "13.0", "architecture": "Futurist",
                         "segment": "datacenter", "aliases": ["TG130"], "source": "gpus"})
    (cat / "gpus.yaml").write_text(yaml.safe_dump(gpus, sort_keys=False))
    cuda = yaml.safe_load((cat / "cuda.yaml").read_text())
    thirteen = next(m for m in cuda["majors"] if m["major"] == "13")
    thirteen["archs"].append("sm_130")
    cuda["toolkits"].append({"version": "13.9", "driver_min": {"linux": "610.10", "windows": "611.10"},
                             "archs": ["sm_120", "sm_130"], "source": "notes"})
    (cat / "cuda.yaml").write_text(yaml.safe_dump(cuda, sort_keys=False))
    torch = yaml.safe_load((cat / "torch.yaml").read_text())
    torch["releases"].append({"version": "2.9.0", "source": "matrix", "variants": [
        {"name": "cu139", "accelerator": "cuda", "index": "pypi", "pypi_default": ["linux-x86_64"], "cuda": "13.9",
         "kernels": [{"platforms": ["linux-x86_64"], "sass": ["sm_120", "sm_130"], "ptx": []}]}]})
    (cat / "torch.yaml").write_text(yaml.safe_dump(torch, sort_keys=False))
    pypi = yaml.safe_load((cat / "pypi" / "torch.yaml").read_text())
    filename = "torch-2.9.0-cp316-cp316-manylinux_2_28_x86_64.whl"
    digest = hashlib.sha256(filename.encode()).hexdigest()
    pypi["releases"].append({"version": "2.9.0", "requires_python": ">=3.16", "wheels": [
        {"filename": filename, "sha256": digest, "url": f"https://files.pythonhosted.org/packages/t/{filename}"}],
        "metadata": [{"platforms": ["linux-x86_64"], "from": filename, "requires_dist": ["filelock"]}]})
    (cat / "pypi" / "torch.yaml").write_bytes(render(pypi))
    return cat


def test_a_new_python_and_gpu_architecture_need_no_code(tmp_path, envsolve):
    cat = _future(tmp_path)
    lint = envsolve("--catalog-dir", cat, "catalog", "lint")
    assert lint.code == 0, lint

    solved = envsolve("--catalog-dir", cat, "torch", "--gpu", "--os", "linux", "--python", "3.16", "--gpu-model", "TG130",
                      "--json")
    assert solved.code == 0, solved
    manifest = json.loads(solved.out)
    assert {p["name"]: (p["version"], p["variant"]) for p in manifest["packages"]}["torch"] == ("2.9.0", "cu139")
    assert manifest["system"]["gpu_support"]["sass"][-1] == "13.0"
    by_sm = envsolve("--catalog-dir", cat, "torch", "--gpu", "--os", "linux", "--python", "3.16", "--gpu-model", "sm_130")
    assert by_sm.code == 0 and "pip install torch==2.9.0" in by_sm.out

    matrix = envsolve("--catalog-dir", cat, "matrix", "torch", "--os", "linux", "--arch", "x86_64",
                      "--accelerator", "cuda", "--gpu-model", "TG130", "--json")
    assert matrix.code == 0, matrix
    [cell] = json.loads(matrix.out)
    assert cell["target"]["python"] == "3.16" and cell["status"] == "ok"

    site = tmp_path / "site"
    explored = envsolve("--catalog-dir", cat, "explore", "--os", "linux", "--out", site)
    assert explored.code == 0, explored
    text = (site / "index.html").read_text()
    data = json.loads(re.search(r'<script id="data" type="application/json">(.*?)</script>', text, re.S).group(1))
    assert data["pythons"] == ["3.16"]
    assert any(cc == "13.0" and "Test GPU 130" in name for name, cc, _, _ in data["gpus"])
    plane = data["cells"]["pytorch|linux-x86_64|cuda|3.16"]["plane"]  # GPU classes x driver brackets
    answer = data["answers"][plane[1 + data["ccs"].index("13.0")][0]]  # this GPU, no driver
    assert answer["ok"] and ["torch", "2.9.0", "cu139", "framework"] in [p[:4] for p in data["parts"][answer["packages"]]]


def test_an_unlisted_architecture_is_a_catalog_error(tmp_path, envsolve):
    cat = tmp_path / "catalogs"
    shutil.copytree(MINI, cat)
    text = (cat / "gpus.yaml").read_text().replace("architecture: Hopper", "architecture: Hoper")
    (cat / "gpus.yaml").write_text(text)
    result = envsolve("--catalog-dir", cat, "torch", "--cpu", "--os", "linux", "--python", "3.12")
    assert result.code == 2
    assert "gpus[H100].architecture: 'Hoper' is not one of the architectures listed in this file" in result.err

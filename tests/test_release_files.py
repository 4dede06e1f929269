"""catalog import-matrix: index builds' requirements from PyTorch's release files, parsed, never run.

The files here are small stand-ins written by the test in the shape of PyTorch's matrix script and
generated workflows; no PyTorch file is copied.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from resolver import release_files

MINI = Path(__file__).parent / "fixtures" / "mini"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
L = "platform_system == 'Linux' and platform_machine == 'x86_64'"
SCRIPT = f'''
import os
CUDA_ARCHES = ["11.8", "12.4"]
CUDA_AARCH64_ARCHES = ["12.4-aarch64"]
PYTORCH_EXTRA_INSTALL_REQUIREMENTS = {{
    "11.8": (
        "nvidia-cudnn-cu11==9.1.0.70; {L} | "
        "nvidia-nccl-cu11==2.20.5; {L}"
    ),
    "12.4": "nvidia-cudnn-cu12==9.1.0.70; platform_system == 'Linux' | nvidia-nccl-cu12==2.20.5; platform_system == 'Linux'",
}}
os.system("echo this file is never run")
'''
WORKFLOW = {
    "name": "generated",
    "jobs": {
        "manywheel-py3_12-cuda11_8-build": {"env": {"DESIRED_CUDA": "cu118", "DESIRED_PYTHON": "3.12",
                                                    "PYTORCH_EXTRA_INSTALL_REQUIREMENTS": f"nvidia-cudnn-cu11==9.1.0.70; {L} | nvidia-nccl-cu11==2.21.5; {L}"}},
        "manywheel-py3_11-cuda11_8-build": {"env": {"DESIRED_CUDA": "cu118", "DESIRED_PYTHON": "3.11",
                                                    "PYTORCH_EXTRA_INSTALL_REQUIREMENTS": f"nvidia-cudnn-cu11==9.1.0.70; {L} | nvidia-nccl-cu11==2.21.5; {L}"}},
        "manywheel-py3_12-cpu-build": {"env": {"DESIRED_CUDA": "cpu", "DESIRED_PYTHON": "3.12"}},
    },
}


def test_the_script_is_read_as_a_syntax_tree():
    builds = release_files.from_matrix_script(SCRIPT, "github:pytorch/pytorch/x.py@" + COMMIT)
    assert [(b.label, b.platform) for b in builds] == [("cu118", "linux-x86_64"), ("cu124", "linux-x86_64"),
                                                       ("cu124", "linux-aarch64")]
    assert builds[0].requires == (f"nvidia-cudnn-cu11==9.1.0.70; {L}", f"nvidia-nccl-cu11==2.20.5; {L}")


@pytest.mark.parametrize(("text", "message"), [
    ("CUDA_ARCHES = ['11.8']\n", "no literal CUDA_ARCHES list and PYTORCH_EXTRA_INSTALL_REQUIREMENTS dict"),
    ("CUDA_ARCHES = make()\nPYTORCH_EXTRA_INSTALL_REQUIREMENTS = {}\n", "CUDA_ARCHES is not a literal"),
    ("CUDA_ARCHES = ['eleven']\nPYTORCH_EXTRA_INSTALL_REQUIREMENTS = {}\n", "'eleven' is not a CUDA version like 12.6"),
    ("def (:\n", "not Python source"),
])
def test_bad_scripts_are_one_line_errors(text, message):
    with pytest.raises(release_files.ReleaseFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        release_files.from_matrix_script(text, "x.py")


def _catalog(tmp_path: Path) -> Path:
    cat = tmp_path / "catalogs"
    shutil.copytree(MINI, cat)
    return cat


def test_import_writes_index_files_that_the_solver_uses(tmp_path, envsolve):
    cat = _catalog(tmp_path)
    script = tmp_path / "generate_binary_build_matrix.py"
    script.write_text(SCRIPT)
    workflow = tmp_path / "generated-linux-binary-manywheel-nightly.yml"
    workflow.write_text(yaml.safe_dump(WORKFLOW))
    result = envsolve("--catalog-dir", cat, "catalog", "import-matrix", "--release", "2.4.1", "--commit", COMMIT,
                      script, workflow)
    assert result.code == 0, result
    data = yaml.safe_load((cat / "index" / "download-pytorch-org-whl-cu118-torch.yaml").read_text())
    [build] = data["releases"]
    assert build["version"] == "2.4.1+cu118" and build["wheels"] == []
    [group] = build["metadata"]
    assert group["platforms"] == ["linux-x86_64"]
    assert group["from"] == f"github:pytorch/pytorch/.github/workflows/{workflow.name}@{COMMIT}"  # workflows win
    assert f"nvidia-nccl-cu11==2.21.5; {L}" in group["requires_dist"]
    assert envsolve("--catalog-dir", cat, "catalog", "lint").code == 0
    shown = json.loads(envsolve("--catalog-dir", cat, "catalog", "show", "torch==2.4.1", "--json").out)
    cu118 = next(v for v in shown["variants"] if v["name"] == "cu118")
    assert "nvidia-nccl-cu11==2.21.5" in cu118["requires"]["linux-x86_64"]  # the release file's pin, not the curated one
    # nvidia-nccl-cu11 2.21.5 is not published (the small catalog's library list), so 2.4.1+cu118 cannot be
    # installed and the solver takes 2.4.0, whose curated requirements it can meet.
    solved = envsolve("--catalog-dir", cat, "torch", "--gpu", "--os", "linux", "--python", "3.12", "--cuda", "11.8", "--json")
    manifest = json.loads(solved.out)
    pins = {p["name"]: p["version"] for p in manifest["packages"]}
    assert pins["torch"] == "2.4.0" and pins["nvidia-nccl-cu11"] == "2.20.5"
    assert all(p["verified"] for p in manifest["packages"])
    again = envsolve("--catalog-dir", cat, "catalog", "import-matrix", "--release", "2.4.1", "--commit", COMMIT,
                     script, workflow)
    assert again.code == 0
    assert yaml.safe_load((cat / "index" / "download-pytorch-org-whl-cu118-torch.yaml").read_text()) == data


def test_import_refuses_what_it_cannot_cite(tmp_path, envsolve):
    cat = _catalog(tmp_path)
    script = tmp_path / "generate_binary_build_matrix.py"
    script.write_text(SCRIPT)
    bad = envsolve("--catalog-dir", cat, "catalog", "import-matrix", "--release", "2.4.1", "--commit", "main", script)
    assert bad.code == 2 and "is not a 40-digit commit hash" in bad.err
    other = tmp_path / "notes.txt"
    other.write_text("x")
    worse = envsolve("--catalog-dir", cat, "catalog", "import-matrix", "--release", "2.4.1", "--commit", COMMIT, other)
    assert worse.code == 2 and "neither the matrix script" in worse.err
    assert not (cat / "index" / "download-pytorch-org-whl-cu118-torch.yaml").exists()

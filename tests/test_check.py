"""envsolve check: lockfiles envsolve wrote and lockfiles it did not, good and bad."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resolver import lockread

MINI = Path(__file__).parent / "fixtures" / "mini"
WINDOWS_CPU = ["torch", "--cpu", "--os", "windows", "--python", "3.12"]


@pytest.fixture
def lock_set(tmp_path, envsolve):
    cat = tmp_path / "catalogs"
    shutil.copytree(MINI, cat)
    out = tmp_path / "lockfiles"
    assert envsolve("--catalog-dir", cat, *WINDOWS_CPU, "--out", out, "--offline").code == 0
    return cat, out, out / "pytorch-cpu-windows-x86_64-py312"


def test_a_fresh_lock_set_is_clean(lock_set, envsolve):
    cat, out, _ = lock_set
    result = envsolve("--catalog-dir", cat, "check", out)
    assert result.code == 0, result
    assert "no problems found" in result.err


def test_a_tampered_file_is_named(lock_set, envsolve):
    cat, out, folder = lock_set
    req = folder / "requirements.txt"
    req.write_text(req.read_text().replace("torch==2.8.0", "torch==2.4.1"))
    result = envsolve("--catalog-dir", cat, "check", out)
    assert result.code == 1
    assert f"error {req}: does not match the sha256 recorded in envsolve.json (edited or tampered with)" in result.out


def test_a_stale_lock_set_is_found_and_fixed(lock_set, envsolve, monkeypatch):
    cat, out, folder = lock_set
    (cat / "gpus.yaml").write_text((cat / "gpus.yaml").read_text() + "# a catalog change\n")
    result = envsolve("--catalog-dir", cat, "check", out)
    assert result.code == 1
    assert "stale" in result.out and "generated from another catalog than the current one" in result.out
    assert "envsolve torch --cpu --os windows" not in result.out  # the recorded command is the canonical one
    assert "envsolve pytorch --cpu --os windows --arch x86_64 --python 3.12 --out" in result.out
    monkeypatch.setenv("ENVSOLVE_CATALOG_DIR", str(cat))  # --fix reruns the recorded command
    fixed = envsolve("--catalog-dir", cat, "check", out, "--fix")
    assert fixed.code == 0, fixed


def test_the_fleet(tmp_path, envsolve):
    out = tmp_path / "lockfiles"
    assert envsolve("--catalog-dir", MINI, "torch", "--gpu", "--os", "linux", "--python", "3.12", "--cuda", "11.8",
                    "--out", out, "--offline", "--allow-unhashed=torch", "--allow-unhashed=torchvision",
                    "--allow-unhashed=nvidia-cudnn-cu11", "--allow-unhashed=nvidia-nccl-cu11").code == 0
    result = envsolve("--catalog-dir", MINI, "check", out, "--driver", "440.33.01", "--gpu-model", "RTX 5090")
    assert result.code == 1
    lines = result.out.splitlines()
    assert any(line.endswith("needs driver >= 520.61.05; the 440.33.01 nodes cannot run it (below even the "
                             "minor-version-compatibility floor 450.80.02)") for line in lines)
    assert any("GeForce RTX 5090 (sm_120) has no kernels in this lock set" in line for line in lines)


def _req(tmp_path, text: str) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text(text)
    return path


def test_uv_style_output_with_two_cuda_majors(tmp_path, envsolve):
    """What `uv pip compile` gives for torch + tensorflow[and-cuda]: both majors side by side."""
    path = _req(tmp_path, "torch==2.11.0\ntensorflow==2.21.0\nnvidia-cudnn-cu13==9.19.0.56\nnvidia-cudnn-cu12==9.3.0.75\n"
                          "nvidia-nccl-cu12==2.27.7\nnvidia-nccl-cu13==2.28.9\n")
    result = envsolve("check", path)
    assert result.code == 1
    assert f"error {path}: two CUDA majors in one environment (CUDA 12: " \
           "nvidia-cudnn-cu12==9.3.0.75, nvidia-nccl-cu12==2.27.7; CUDA 13: torch==2.11.0 (cu130), " \
           "nvidia-cudnn-cu13==9.19.0.56, nvidia-nccl-cu13==2.28.9); the nvidia-cudnn wheels of both majors install " \
           "nvidia/cudnn/lib/libcudnn.so.9; the nvidia-nccl wheels of both majors install nvidia/nccl/lib/libnccl.so.2" \
        in result.out
    assert "(fix: envsolve tensorflow+pytorch --gpu (solve the stack together))" in result.out  # the real stack


def test_shared_pins_that_disagree(tmp_path, envsolve):
    path = _req(tmp_path, "torch==2.8.0\nnvidia-nccl-cu12==2.21.5\n")
    result = envsolve("check", path)
    assert result.code == 1
    assert f"error {path}:2: torch 2.8.0 (cu128) needs nvidia-nccl-cu12==2.27.3, the lock has nvidia-nccl-cu12==2.21.5" \
        in result.out.splitlines()


def test_hash_and_index_rules(tmp_path, envsolve):
    good = "a" * 64
    path = _req(tmp_path, f"--extra-index-url https://example.org/simple\n--trusted-host example.org\n"
                          f"numpy==2.1.0 --hash=sha256:{good}\nsix==1.16.0\nidna==3.10 --hash=md5:{'b' * 32}\n"
                          "requests>=2\n")
    result = envsolve("check", path)
    assert result.code == 1
    out = result.out.splitlines()
    for expected in (f"error {path}:1: --extra-index-url lets any index serve any package (dependency confusion); "
                     "give each index its own requirements file",
                     f"error {path}:2: --trusted-host example.org turns off TLS checks",
                     f"error {path}:4: six has no hash (others have one: pip's hash-checking mode refuses the whole file)",
                     f"error {path}:5: idna: md5 is not accepted as proof; use sha256",
                     f"error {path}:6: requests is not pinned with =="):
        assert expected in out, out


@pytest.mark.parametrize(("name", "text", "message"), [
    ("requirements.txt", "torch==2.8.0 \\\n", "file ends inside a line continuation (truncated?)"),
    ("requirements.txt", "", "file is empty"),
    ("requirements.txt", "torch==2.8.0\n<<<<<<< HEAD\n", "unresolved git merge conflict marker"),
    ("requirements.txt", "torch=2.8.0\n", "not a requirement"),
    ("requirements.txt", "torch==2.8.0 --hash=sha256:zz\n", "malformed --hash"),
    ("requirements.txt", "--index-url ${PRIVATE}\n", "environment-variable expansion"),
    ("pylock.toml", "lock-version = \"1.0\"\n[[packages]\n", "not valid TOML"),
    ("pylock.toml", "lock-version = \"2.0\"\ncreated-by = \"x\"\npackages = []\n", "unsupported lock-version"),
    ("envsolve.json", "{\"schema\": \"envsolve.solution/1\"", "not valid JSON"),
    ("conda-lock.yml", "version: 3\npackage: [\n", "not valid YAML"),
])
def test_unreadable_lockfiles_are_exit_2_with_a_location(tmp_path, envsolve, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    result = envsolve("check", path)
    assert result.code == 2, result
    assert result.err.startswith(f"error {path}") and message in result.err
    assert "Traceback" not in result.err


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["requirements.txt", "pylock.toml", "envsolve.json"]), st.binary(max_size=200))
def test_any_bytes_give_a_lockfile_or_a_parse_error(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    try:
        lockread.read(path)
    except lockread.LockParseError as exc:
        assert exc.file == str(path) and exc.message


def test_missing_path_is_a_usage_error(tmp_path, envsolve):
    result = envsolve("check", tmp_path / "nope")
    assert result.code == 2 and "no such file or folder" in result.err


def test_json_output(tmp_path, envsolve):
    path = _req(tmp_path, "torch==2.8.0\nnvidia-nccl-cu12==2.21.5\n")
    report = json.loads(envsolve("check", path, "--json").out)
    assert report["errors"] == [] and report["findings"][0]["severity"] == "error"


@pytest.mark.online
def test_pre_commit_hook(tmp_path):
    """Opt in (`pytest -m online`): the hook from .pre-commit-hooks.yaml, through pre-commit try-repo."""
    pre_commit = shutil.which("pre-commit")
    if pre_commit is None:
        pytest.skip("pre-commit is not installed")
    repo = tmp_path / "project"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "requirements.txt").write_text("torch==2.8.0\nnvidia-nccl-cu12==2.21.5\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([pre_commit, "try-repo", str(root), "envsolve-check", "--all-files"], cwd=repo,
                         capture_output=True, text=True)
    assert run.returncode != 0 and "nvidia-nccl-cu12==2.27.3" in run.stdout + run.stderr


def test_a_framework_build_from_the_wrong_index(tmp_path, envsolve):
    """A local version never comes from PyPI: with no index line it cannot install; with another
    framework index it is the wrong one; named through --extra-index-url it installs, and the only
    finding is the dependency confusion that option opens."""
    path = _req(tmp_path, "torch==2.6.0+cu126\n")
    result = envsolve("check", path, "--json")
    assert result.code == 1
    found = {(f["kind"], f["line"]) for f in json.loads(result.out)["findings"]}
    assert found == {("local-label-no-index", 1)}
    wrong = tmp_path / "requirements.cu118.txt"
    wrong.write_text("--index-url https://download.pytorch.org/whl/cu118\ntorch==2.6.0+cu126\n")
    out = envsolve("check", wrong).out
    assert f"error {wrong}:2: torch==2.6.0+cu126 is not on https://download.pytorch.org/whl/cu118: the cu126 build " \
           "comes only from https://download.pytorch.org/whl/cu126" in out
    extra = tmp_path / "requirements.extra.txt"
    extra.write_text("--extra-index-url https://download.pytorch.org/whl/cu126\ntorch==2.6.0+cu126\n")
    kinds = {f["kind"] for f in json.loads(envsolve("check", extra, "--json").out)["findings"]}
    assert kinds == {"extra-index"}
    right = tmp_path / "requirements.cu126.txt"
    right.write_text("--index-url https://download.pytorch.org/whl/cu126\ntorch==2.6.0+cu126\n")
    assert envsolve("check", right).code == 0


def test_a_fleet_edition_flags_wheels_that_need_a_newer_glibc(tmp_path, envsolve):
    """check --os amazonlinux-2: TensorFlow 2.21's wheels are manylinux_2_27 (catalog file list),
    torch 2.7.0's manylinux_2_28 (the pylock's wheel name); glibc 2.26 installs neither."""
    req = tmp_path / "requirements.txt"
    req.write_text("tensorflow==2.21.0\n")
    lock = tmp_path / "pylock.toml"
    lock.write_text('lock-version = "1.0"\ncreated-by = "hand"\n[[packages]]\nname = "torch"\nversion = "2.7.0"\n'
                    '[[packages.wheels]]\nname = "torch-2.7.0-cp312-cp312-manylinux_2_28_x86_64.whl"\n'
                    'url = "https://files.pythonhosted.org/packages/x/torch-2.7.0-cp312-cp312-manylinux_2_28_x86_64.whl"\n'
                    'hashes = {sha256 = "' + "0" * 64 + '"}\n')
    old = envsolve("check", req, lock, "--os", "amazonlinux-2", "--json")
    assert old.code == 1, old
    messages = [f["message"] for f in json.loads(old.out)["findings"]]
    assert "tensorflow==2.21.0 needs glibc 2.27 (its wheels' tags, from the catalog); amazonlinux-2 has glibc 2.26" in messages
    assert "torch==2.7.0 needs glibc 2.28 (the locked wheels' tags); amazonlinux-2 has glibc 2.26" in messages
    newer = envsolve("check", req, lock, "--os", "ubuntu-22.04", "--json")
    assert not any("glibc" in f["message"] for f in json.loads(newer.out)["findings"]), newer
    assert envsolve("check", req, "--glibc", "2.17").code == 1  # any other host: plain --glibc
    contradiction = envsolve("check", req, "--os", "amazonlinux-2", "--glibc", "2.28")
    assert contradiction.code == 2
    assert contradiction.err.strip() == ("error: amazonlinux-2 has glibc 2.26, not 2.28: drop --glibc, or give "
                                         "--os linux --glibc 2.28")

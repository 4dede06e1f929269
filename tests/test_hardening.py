"""Issue 12: envsolve on untrusted repositories. One test per defect the issue lists; each failed
before the fix (a crafted manifest, a hostile path, an odd nvidia-smi, a corrupt cache...)."""

from __future__ import annotations

import json
import lzma
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from resolver import catalog, probe, pypi, writer

HERE = Path(__file__).parent
MINI = HERE / "fixtures" / "mini"
SET = "pytorch-cpu-windows-x86_64-py312"
WINDOWS_CPU = ["torch", "--cpu", "--os", "windows", "--python", "3.12"]
H = "a" * 64


@pytest.fixture
def lock_set(tmp_path, envsolve):
    """A writable catalog and a fresh stack-level lock set written from it."""
    cat = tmp_path / "catalogs"
    shutil.copytree(MINI, cat)
    out = tmp_path / "lockfiles"
    result = envsolve("--catalog-dir", cat, *WINDOWS_CPU, "--out", out, "--offline")
    assert result.code == 0, result
    return cat, out, out / SET


def _edit_manifest(folder: Path, change) -> None:
    path = folder / "envsolve.json"
    meta = json.loads(path.read_text())
    change(meta)
    path.write_text(json.dumps(meta, indent=2))


def _stale(cat: Path) -> None:
    (cat / "gpus.yaml").write_text((cat / "gpus.yaml").read_text() + "# a catalog change\n")


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ---- 1. check --fix never runs a command taken from a file ---------------------------------------

def test_check_fix_ignores_the_recorded_command_and_writes_only_into_the_sets_folder(lock_set, envsolve, tmp_path):
    cat, out, folder = lock_set
    evil = tmp_path / "outside"
    _edit_manifest(folder, lambda m: m["lock"].update(
        command=f"envsolve torch --cpu --os windows --python 3.12 --out {evil} --offline"))
    _stale(cat)
    result = envsolve("--catalog-dir", cat, "check", out, "--fix")
    assert result.code == 0, result
    assert not evil.exists()
    assert f"--out {out}" in result.err and str(evil) not in result.err
    meta = json.loads((folder / "envsolve.json").read_text())
    assert meta["lock"]["command"].endswith(f"--out {out} --offline")  # rebuilt, not copied


def test_check_fix_refuses_a_manifest_whose_request_names_another_folder(lock_set, envsolve, tmp_path):
    cat, out, folder = lock_set
    _edit_manifest(folder, lambda m: m["target"].update(python="3.11"))  # would write ...-py311 beside it
    _stale(cat)
    result = envsolve("--catalog-dir", cat, "check", out, "--fix")
    assert result.code == 1
    assert "not its folder 'pytorch-cpu-windows-x86_64-py312'" in result.out
    assert sorted(p.name for p in out.iterdir()) == [SET]


# ---- 2. control characters never reach a generated file ----------------------------------------

@pytest.mark.parametrize("args", [
    ["--out", "lock\ntouch pwned"],
    ["--out", "lock", "--allow-unhashed", "torch\ntouch pwned"],
    ["--out", "lock\u2028x"],
])
def test_control_characters_in_values_that_reach_files_are_exit_2(tmp_path, envsolve, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = envsolve("--catalog-dir", MINI, *WINDOWS_CPU, "--offline", *args)
    assert result.code == 2, result
    assert not list(tmp_path.rglob("install.*")) and not (tmp_path / "pwned").exists()


# ---- 3. lock-set writes keep what is not the set's ---------------------------------------------

def test_rewriting_a_set_keeps_the_users_own_files(lock_set, envsolve):
    cat, out, folder = lock_set
    (folder / "NOTES.md").write_text("mine\n")
    (folder / "scripts").mkdir()
    (folder / "scripts" / "run.sh").write_text("echo mine\n")
    assert envsolve("--catalog-dir", cat, "torch", "--cpu", "--os", "windows", "--python", "3.12", "--out", out,
                    "--offline", "--driver", "572.60").code == 0  # same folder, new content
    assert (folder / "NOTES.md").read_text() == "mine\n" and (folder / "scripts" / "run.sh").read_text() == "echo mine\n"


def test_a_new_set_file_never_overwrites_a_file_the_old_set_did_not_list(lock_set, envsolve):
    cat, out, folder = lock_set
    _edit_manifest(folder, lambda m: m["lock"]["files"].pop("install.ps1"))  # not the set's any more: the user's
    before = _tree(out)
    result = envsolve("--catalog-dir", cat, *WINDOWS_CPU, "--out", out, "--offline")
    assert result.code == 2 and "install.ps1: not part of the previous lock set" in result.err
    assert _tree(out) == before


def test_stale_temporaries_are_swept(lock_set, envsolve):
    cat, out, folder = lock_set
    (folder / ".requirements.txt.abcd1234.tmp").write_text("half")
    stage = out / f".{SET}.new-0123456789ab"
    stage.mkdir()
    (stage / "requirements.txt").write_text("half")
    assert envsolve("--catalog-dir", cat, *WINDOWS_CPU, "--out", out, "--offline").code == 0
    assert not stage.exists() and not list(folder.glob(".*"))
    assert sorted(p.name for p in out.iterdir()) == [SET]


# ---- 4. every input path ------------------------------------------------------------------------

def test_check_refuses_lock_files_outside_the_set(lock_set, envsolve):
    cat, out, folder = lock_set
    _edit_manifest(folder, lambda m: m["lock"]["files"].update({"../../../../../../etc/passwd": H}))
    result = envsolve("--catalog-dir", cat, "check", out)
    assert result.code == 2
    assert "field lock.files: '../../../../../../etc/passwd' is not the name of a file inside the lock set" in result.err


@pytest.mark.parametrize(("change", "field"), [
    (lambda m: m["lock"].update(files=[1, 2]), "field lock.files: must be an object"),
    (lambda m: m.update(target=None), "field target: must be an object"),
    (lambda m: m.update(system=5), "field system: must be an object or null"),
    (lambda m: m["packages"][0].update(version=2), "field packages[0].version: must be a string"),
    (lambda m: m["request"]["stack"].append("torch"), "field request.stack[1]: must be an object"),
])
def test_malformed_manifest_fields_are_exit_2_naming_file_and_field(lock_set, envsolve, change, field):
    cat, out, folder = lock_set
    _edit_manifest(folder, change)
    result = envsolve("--catalog-dir", cat, "check", out, "--driver", "550.54.15")
    assert result.code == 2, result
    assert f"{folder / 'envsolve.json'}: {field}" in result.err


def test_a_symlink_out_of_the_tree_is_not_followed(tmp_path, envsolve):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "requirements.txt").write_text("SECRET-CONTENT is not a requirement\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "requirements.txt").symlink_to(secret / "requirements.txt")
    result = envsolve("check", repo)
    assert result.code == 2
    assert "a symbolic link leading out of" in result.err
    assert "SECRET" not in result.out + result.err


def _run(args: list[str], timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "resolver", *args], capture_output=True, text=True, timeout=timeout,
                          **kwargs)


def test_a_fifo_lockfile_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "requirements.txt")
    start = time.monotonic()
    run = _run(["check", str(tmp_path)], timeout=60)
    assert run.returncode == 2 and "not a regular file (a FIFO)" in run.stderr
    assert time.monotonic() - start < 30


def test_a_fifo_in_the_catalog_does_not_hang(tmp_path):
    cat = tmp_path / "catalogs"
    shutil.copytree(MINI, cat)
    os.mkfifo(cat / "extra.yaml")
    run = _run(["--catalog-dir", str(cat), *WINDOWS_CPU], timeout=60)
    assert run.returncode == 2 and "extra.yaml: not a regular file (a FIFO)" in run.stderr


def test_an_alias_bomb_in_conda_lock_does_not_hang(tmp_path):
    lines = ["version: 1", 'a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [*a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}]"
              for i in range(1, 9)]
    lines.append("package: [*a8]")
    (tmp_path / "conda-lock.yml").write_text("\n".join(lines) + "\n")
    run = _run(["check", str(tmp_path / "conda-lock.yml")], timeout=60)
    assert run.returncode == 2 and "aliases are not allowed" in run.stderr


def test_dev_zero_and_an_xz_bomb_are_bounded(tmp_path, envsolve, monkeypatch):
    assert "not a regular file (a character device)" in envsolve("catalog", "sync", "--replay", "/dev/zero",
                                                                 "--dry-run").err
    monkeypatch.setattr(pypi, "RECORDING_LIMIT", 1024 * 1024)
    bomb = tmp_path / "bomb.json.xz"
    bomb.write_bytes(lzma.compress(b"0" * (8 * 1024 * 1024)))
    result = envsolve("catalog", "sync", "--replay", bomb, "--dry-run")
    assert result.code == 2 and "more than 1 MiB decompressed" in result.err


@pytest.mark.parametrize(("answer", "field"), [
    ('{"files": 7}', "'files' is not a list"),
    ('{"files": [{"filename": 5}]}', "files[0].filename is missing or not text"),
    ('{"files": [{"filename": "torch-2.8.0-py3-none-any.whl", "url": "u", "hashes": []}]}', "files[0].hashes"),
])
def test_a_bad_recording_is_exit_2(tmp_path, envsolve, answer, field):
    recording = tmp_path / "bad.json.xz"
    recording.write_bytes(lzma.compress(json.dumps({"format": pypi.RECORDING_FORMAT,
                                                    "responses": {"simple:torch": answer}}).encode()))
    result = envsolve("--catalog-dir", MINI, "catalog", "sync", "torch", "--replay", recording, "--dry-run")
    assert result.code == 2 and field in result.err, result


@pytest.mark.parametrize("args", [
    [*WINDOWS_CPU, "--gpu"],                                  # --gpu --cpu: the last one used to win
    ["torch", "--gpu", "--os", "linux", "--python", "3.12", "--driver", ""],
    ["matrix", "torch", "--os", "windows", "--python", "3.12", "--driver", ""],  # was taken as no driver
    ["check", str(MINI), "--driver", ""],                                        # was taken as no driver
    ["torch", "--cpu", "--os", "linux", "--python", ""],
    [*WINDOWS_CPU, "--out", ""],                              # "" used to mean the current folder
    ["torch", "--gpu", "--os", "linux", "--python", "3.1\uff12"],  # full-width digit
    ["torch", "--gpu", "--os", "linux", "--python", "3.12", "--driver", "\uff15\uff15\uff10.54.15"],
    ["torch", "--gpu", "--os", "linux", "--python", "3.12", "--gpu-model", "sm_\uff18\uff16"],
    ["torch", "--rocm=abc", "--os", "linux", "--python", "3.12"],
    ["torch", "--cpu", "--os", "linux", "--python", "3.12", "--arch", ""],
    [*WINDOWS_CPU, "--offline"],                              # --offline without --out
    [*WINDOWS_CPU, "--out", "x", "--allow-unhashed", "torch"],  # unhashed needs --offline
    ["doctor", "--timeout", "nan"],
    ["doctor", "--timeout", "-1"],
    ["matrix", "--jobs", "0"],
    ["check", ""],
])
def test_bad_values_and_contradictory_flags_are_exit_2(tmp_path, envsolve, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = envsolve("--catalog-dir", MINI, *args)
    assert result.code == 2, result
    assert not any(tmp_path.iterdir())


def test_a_catalog_failing_its_cross_checks_refuses_to_solve(tmp_path, envsolve):
    cat = tmp_path / "catalogs"
    shutil.copytree(MINI, cat)
    text = (cat / "cuda.yaml").read_text()  # a toolkit arch its major does not list: a cross-check error
    (cat / "cuda.yaml").write_text(text.replace("archs: [sm_35, sm_37, sm_50, sm_60, sm_70, sm_75, sm_80, sm_86, sm_89, "
                                                "sm_90]\n    source: notes\n  - version", "archs: [sm_35, sm_37, sm_50, sm_60, "
                                                "sm_70, sm_75, sm_80, sm_86, sm_89, sm_90, sm_99]\n    source: notes\n  - "
                                                "version", 1))
    assert envsolve("--catalog-dir", cat, "catalog", "lint").code == 1
    result = envsolve("--catalog-dir", cat, *WINDOWS_CPU)
    assert result.code == 2, result
    assert "sm_99 is not listed for CUDA 11 in 'majors'" in result.err
    assert "`envsolve catalog lint` lists them all" in result.err


def test_a_catalog_without_its_pypi_data_says_run_sync(tmp_path, envsolve):
    cat = tmp_path / "catalogs"
    shutil.copytree(MINI, cat)
    shutil.rmtree(cat / "pypi")
    result = envsolve("--catalog-dir", cat, *WINDOWS_CPU)
    assert result.code == 2 and "run `envsolve catalog sync` to generate it" in result.err


def test_the_cache_sees_an_edit_that_keeps_size_and_mtime(tmp_path):
    cat = tmp_path / "catalogs"
    shutil.copytree(MINI, cat)
    gpus = cat / "gpus.yaml"
    first = catalog.load(cat)
    name = first.gpus[0].name
    stat = gpus.stat()
    text = gpus.read_text()
    swapped = name[:-1] + ("X" if name[-1] != "X" else "Y")
    gpus.write_text(text.replace(f"name: {name}", f"name: {swapped}", 1))
    os.utime(gpus, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert gpus.stat().st_size == stat.st_size and gpus.stat().st_mtime_ns == stat.st_mtime_ns
    assert catalog.load(cat).gpus[0].name == swapped


def test_a_corrupt_cache_entry_is_a_miss(tmp_path, envsolve):
    cat = tmp_path / "catalogs"
    shutil.copytree(MINI, cat)
    catalog.load(cat)
    cache = catalog._cache_dir()
    for entry in cache.glob("*"):
        if entry.is_file():
            entry.write_bytes(entry.read_bytes()[:40] + b"\xff" * 64)
    for _ in range(2):  # the first run replaces the entry; no run fails
        result = envsolve("--catalog-dir", cat, *WINDOWS_CPU)
        assert result.code == 0, result


# ---- 5. check: sources, majors, fleets, member files, verdicts ----------------------------------

def test_check_flags_every_dependency_confusion_and_unverified_source(tmp_path, envsolve):
    req = tmp_path / "requirements.txt"
    req.write_text("--index-url https://pypi.org/simple --extra-index-url https://evil.example/simple\n"
                   "--find-links https://evil.example/wheels/\n"
                   f"six==1.16.0 --hash=sha256:{H}\n"
                   "-e git+https://github.com/someone/thing#egg=thing\n"
                   "thing2 @ https://evil.example/thing2-1.0-py3-none-any.whl\n"
                   "-e .\n")
    result = envsolve("check", req)
    assert result.code == 1
    out = result.out
    assert f"error {req}:1: --extra-index-url lets any index serve any package" in out
    assert f"error {req}:2: --find-links https://evil.example/wheels/ adds a second source" in out
    assert f"error {req}:4: -e git+https://github.com/someone/thing#egg=thing: an editable checkout of a remote" in out
    assert f"error {req}:5: thing2 @ https://evil.example/thing2-1.0-py3-none-any.whl: a direct URL without a hash" in out
    # The project itself, installed editable, is normal; but not in a file with hashes: pip refuses it there.
    assert f"error {req}:6: -e . in a file with hashes: pip's hash-checking mode refuses editable requirements" in out
    req.write_text("six==1.16.0\n-e .\n")
    assert f"{req}:2" not in envsolve("check", req).out


def test_a_framework_builds_own_cuda_counts_in_the_one_major_rule(tmp_path, envsolve):
    req = tmp_path / "requirements.txt"
    req.write_text("torch==2.11.0\nnvidia-cudnn-cu12==9.10.2.21\nnvidia-nccl-cu12==2.27.3\n")
    result = envsolve("check", req)
    assert result.code == 1
    assert "two CUDA majors in one environment (CUDA 12: nvidia-cudnn-cu12==9.10.2.21, nvidia-nccl-cu12==2.27.3; " \
           "CUDA 13: torch==2.11.0 (cu130))" in result.out
    assert "(fix: envsolve pytorch --gpu" in result.out


def test_fleet_checks_work_on_any_lockfile(tmp_path, envsolve):
    req = tmp_path / "requirements.txt"  # what `uv pip compile` writes for torch 2.10
    req.write_text("torch==2.10.0\nnvidia-cudnn-cu12==9.10.2.21\n")
    result = envsolve("check", req, "--driver", "450.80.02", "--gpu-model", "Tesla K80")
    assert result.code == 1, result
    assert "Tesla K80 (sm_37) has no kernels in torch 2.10.0 (cu128)" in result.out
    assert "torch 2.10.0 (cu128) needs driver >= " in result.out and "the 450.80.02 nodes cannot run it" in result.out


def test_a_file_inside_a_set_is_checked_with_its_set(lock_set, envsolve):
    cat, out, folder = lock_set
    req = folder / "requirements.txt"
    req.write_text(req.read_text().replace("torch==2.8.0", "torch==2.4.1"))
    result = envsolve("--catalog-dir", cat, "check", req)  # what pre-commit passes: the changed file alone
    assert result.code == 1
    assert f"error {req}: does not match the sha256 recorded in envsolve.json" in result.out


def test_one_verdict_per_file(lock_set, envsolve, tmp_path):
    cat, out, folder = lock_set
    bad = tmp_path / "requirements.txt"
    bad.write_text("requests>=2\n")
    result = envsolve("--catalog-dir", cat, "check", bad, folder / "install.ps1", folder / "requirements.txt")
    lines = [line for line in result.out.splitlines() if line.startswith(("ok ", "FAIL "))]
    assert f"FAIL {bad} (1 error)" in lines
    assert f"ok {folder / 'requirements.txt'}" in lines and f"ok {folder / 'envsolve.json'}" in lines
    assert len(lines) == len(set(lines)) == 4


# ---- 6. lock sets that install ------------------------------------------------------------------

def test_bake_lists_only_written_sets_and_matrix_takes_allow_unhashed(tmp_path, envsolve):
    where = ["--catalog-dir", MINI, "matrix", "--os", "linux", "--arch", "x86_64", "--python", "3.12",
             "--accelerator", "cuda", "--accelerator", "cpu", "--offline", "--format", "bake"]
    result = envsolve(*where, "--write", tmp_path / "a")
    assert result.code == 1  # the CUDA cells have no GPU-library hashes in the small catalog
    assert "pytorch-cuda-linux-x86_64-py312" not in result.out
    written = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "tensorflow-cpu-linux-x86_64-py312" in written
    assert result.out.count("target \"") == len(written)
    unhashed = ("torch", "torchvision", "nvidia-cuda-runtime-cu12", "nvidia-cudnn-cu12", "nvidia-nccl-cu12")
    allowed = envsolve(*where, "torch", "--write", tmp_path / "b", *[f"--allow-unhashed={n}" for n in unhashed])
    assert allowed.code == 0, allowed
    assert 'target "pytorch-cuda-linux-x86_64-py312"' in allowed.out
    assert (tmp_path / "b" / "pytorch-cuda-linux-x86_64-py312" / "Dockerfile").is_file()


def test_out_is_recorded_relative_to_the_repository_root(tmp_path, envsolve, monkeypatch):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")
    assert envsolve("--catalog-dir", MINI, *WINDOWS_CPU, "--out", repo / "lockfiles", "--offline").code == 0
    meta = json.loads((repo / "lockfiles" / SET / "envsolve.json").read_text())
    assert meta["lock"]["command"].endswith("--out lockfiles --offline")
    assert str(tmp_path) not in (repo / "lockfiles" / SET / "requirements.txt").read_text()


# ---- 7. doctor ----------------------------------------------------------------------------------

def _dist(site: Path, name: str, version: str, requires: tuple[str, ...] = (), raw: bytes | None = None) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    text = "\n".join(["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
                      *[f"Requires-Dist: {r}" for r in requires]]) + "\n"
    (info / "METADATA").write_bytes(raw if raw is not None else text.encode())


@pytest.fixture
def bare_machine(monkeypatch, tmp_path):
    """A Linux x86_64 machine without NVIDIA driver or nvidia-smi."""
    monkeypatch.setattr(probe, "_read", lambda path: None)
    monkeypatch.setattr(probe, "host_os", lambda: "linux")
    monkeypatch.setattr(probe.platform, "machine", lambda: "x86_64")
    monkeypatch.delenv(probe.DRIVER_ENV, raising=False)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}/usr/bin:/bin")
    return tmp_path / "bin"


@pytest.mark.parametrize(("dists", "framework", "build"), [
    ({"jax": "0.12.0.1", "jaxlib": "0.12.0.1"}, "jax", "cpu"),
    ({"tensorflow": "2.21.0"}, "tensorflow", "cpu"),
    ({"torch": "2.10.0+cpu"}, "torch", "cpu-index"),
])
def test_doctor_tells_cpu_builds_from_cuda_builds(tmp_path, envsolve, bare_machine, dists, framework, build):
    site = tmp_path / "site"
    for name, version in dists.items():
        _dist(site, name, version)
    result = envsolve("doctor", "--json", "--path", site)
    report = json.loads(result.out)
    assert {f["name"]: f["build"] for f in report["frameworks"]}[framework] == build
    assert result.code == 0, report["findings"]  # a CPU build on a machine without a GPU is fine


def test_doctor_inspects_the_active_virtual_environment(tmp_path, envsolve, bare_machine, monkeypatch):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    _dist(site, "torch", "2.8.0+cpu")
    monkeypatch.setenv("VIRTUAL_ENV", str(venv))
    report = json.loads(envsolve("--catalog-dir", MINI, "doctor", "--json").out)
    assert report["frameworks"] == [{"name": "torch", "version": "2.8.0+cpu", "build": "cpu"}]
    assert report["environment"] == str(venv)
    monkeypatch.delenv("VIRTUAL_ENV")
    asked = json.loads(envsolve("--catalog-dir", MINI, "doctor", "--json", "--python", venv / "bin" / "python").out)
    assert asked["frameworks"] == report["frameworks"]


def test_non_utf8_metadata_is_a_warning_not_a_crash(tmp_path, envsolve, bare_machine):
    site = tmp_path / "site"
    _dist(site, "foo", "1.0", raw=b"Metadata-Version: 2.1\nName: foo\xff\nVersion: 1.0\n")
    result = envsolve("--catalog-dir", MINI, "doctor", "--path", site)
    assert result.code == 1 and "METADATA could not be read" in result.out


@pytest.mark.parametrize(("body", "note"), [
    ("printf '\\377\\376 A100, 550.54.15, 8.0\\n'", "nvidia-smi printed bytes that are not UTF-8 text"),
    ("printf 'NVIDIA A100\\033[2J, 550.54.15, 8.0\\n'", "unreadable nvidia-smi line"),
    ("cat /dev/zero", "nvidia-smi printed more than 1 MiB"),
])
def test_odd_nvidia_smi_output_is_unknown(tmp_path, envsolve, bare_machine, body, note):
    (bare_machine / "nvidia-smi").write_text(f"#!/bin/sh\n{body}\n")
    (bare_machine / "nvidia-smi").chmod(0o755)
    result = envsolve("--catalog-dir", MINI, "doctor", "--json")
    report = json.loads(result.out)
    assert report["machine"]["gpus"] == []
    assert any(note in f["message"] for f in report["findings"]), report["findings"]


def test_a_hung_nvidia_smi_is_killed_with_its_process_group(tmp_path, bare_machine):
    pidfile = tmp_path / "child.pid"
    (bare_machine / "nvidia-smi").write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pidfile}\nsleep 300\n")
    (bare_machine / "nvidia-smi").chmod(0o755)
    start = time.monotonic()
    out, problem = probe.run_smi(timeout=1)
    assert out is None and problem == "nvidia-smi did not answer within 1 s (killed)"
    assert time.monotonic() - start < 10
    child = int(pidfile.read_text())
    for _ in range(100):  # the orphaned grandchild is gone too (a zombie at most, until init reaps it)
        try:
            state = Path(f"/proc/{child}/stat").read_text().split(")")[-1].split()[0]
        except FileNotFoundError:
            break
        if state == "Z":
            break
        time.sleep(0.05)
    else:
        os.kill(child, 9)
        pytest.fail("nvidia-smi's child outlived the timeout")


# ---- exit 3 and --generate-hashes are in tests/test_closure.py; kills during writes in
# ---- tests/test_writes.py; the emitters' properties in tests/test_emit_properties.py.

def test_uv_is_asked_for_hashes(tmp_path, envsolve, monkeypatch):
    from resolver import closure

    seen = {}

    def run(args, cwd, timeout):
        seen["args"] = args
        return subprocess.CompletedProcess(args, 2, "", "error: Failed to fetch: `https://pypi.org/simple/torch/`")

    monkeypatch.setattr(closure, "run_uv", run)
    envsolve("--catalog-dir", MINI, *WINDOWS_CPU, "--out", tmp_path)
    assert "--generate-hashes" in seen["args"]


def test_conda_lock_of_an_unhashed_set_is_not_empty(tmp_path, envsolve):
    out = tmp_path / "out"
    result = envsolve("--catalog-dir", MINI, "torch", "--gpu", "--os", "linux", "--python", "3.12", "--cuda", "11.8",
                      "--out", out, "--offline", *[f"--allow-unhashed={n}" for n in
                                                    ("torch", "torchvision", "nvidia-cudnn-cu11", "nvidia-nccl-cu11")])
    assert result.code == 0, result
    conda = out / "pytorch-cuda-linux-x86_64-py312" / "conda-lock.yml"
    if conda.exists():  # written only when every package has an artifact with a hash
        assert yaml.safe_load(conda.read_text())["package"]


def test_doctor_counts_a_builds_own_cuda_in_the_one_major_rule(tmp_path, envsolve, bare_machine):
    site = tmp_path / "site"
    _dist(site, "torch", "2.11.0")  # the PyPI build of 2.11 on Linux is CUDA 13
    _dist(site, "nvidia-cudnn-cu12", "9.10.2.21")
    report = json.loads(envsolve("doctor", "--json", "--path", site).out)
    found = [f["message"] for f in report["findings"] if f["kind"] == "cuda-major"]
    assert found and "CUDA 12: nvidia-cudnn-cu12 9.10.2.21; CUDA 13: torch 2.11.0 (cu130)" in found[0]


def test_a_sets_files_meet_the_fleet_through_the_set(tmp_path, envsolve):
    out = tmp_path / "lockfiles"
    assert envsolve("--catalog-dir", MINI, "torch", "--gpu", "--os", "linux", "--python", "3.12", "--cuda", "11.8",
                    "--out", out, "--offline", *[f"--allow-unhashed={n}" for n in
                                                 ("torch", "torchvision", "nvidia-cudnn-cu11", "nvidia-nccl-cu11")]).code == 0
    result = envsolve("--catalog-dir", MINI, "check", out, "--driver", "440.33.01", "--gpu-model", "RTX 5090")
    findings = [line for line in result.out.splitlines() if line.startswith(("error ", "warning "))]
    assert findings and all("envsolve.json: " in line for line in findings), findings  # one verdict, not one per file
    assert "(it runs on compute capability" in result.out


def test_check_fix_regenerates_a_tampered_set_in_place(lock_set, envsolve):
    cat, out, folder = lock_set
    req = folder / "requirements.txt"
    good = req.read_bytes()
    req.write_text(req.read_text().replace("torch==2.8.0", "torch==2.4.1"))
    fixed = envsolve("--catalog-dir", cat, "check", req, "--fix")
    assert fixed.code == 0, fixed
    assert req.read_bytes() == good

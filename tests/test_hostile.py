"""The hostile-input suite: the cases in tests/hostile/cases.yaml (command, files, expected exit
code and message), each run as its own process with a time limit. No case may exit 70 (an internal
error), hang, or change anything outside its target."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).parent
MINI = HERE / "fixtures" / "mini"
CASES = yaml.safe_load((HERE / "hostile" / "cases.yaml").read_text(encoding="utf-8"))
SET = "pytorch-cpu-windows-x86_64-py312"
TIME_LIMIT = 60  # seconds: far above any case's need; reaching it is a hang


def _expand(value, tmp: Path):
    if isinstance(value, str):
        return value.replace("{tmp}", str(tmp)).replace("{mini}", str(tmp / "mini"))
    if isinstance(value, list):
        return [_expand(v, tmp) for v in value]
    if isinstance(value, dict):
        return {_expand(k, tmp): _expand(v, tmp) for k, v in value.items()}
    return value


def _set_field(data: dict, dotted: str, value) -> None:
    keys = dotted.split(".", 2) if dotted.startswith("lock.files.") else dotted.split(".")
    for key in keys[:-1]:
        data = data.setdefault(key, {})
    data[keys[-1]] = value


def _make(path: Path, spec) -> None:
    if not isinstance(spec, dict):
        spec = {"text": spec}
    if spec.get("remove"):
        path.unlink()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    if "json" in spec:
        data = json.loads(path.read_text())
        for dotted, value in spec["json"].items():
            _set_field(data, dotted, value)
        path.write_text(json.dumps(data, indent=2))
    elif "append" in spec:
        path.write_text(path.read_text() + spec["append"])
    elif "replace" in spec:
        old, new = spec["replace"]
        text = path.read_text()
        assert old in text, f"{path}: {old!r} not found"
        path.write_text(text.replace(old, new, 1))
    elif spec.get("fifo"):
        os.mkfifo(path)
    elif "symlink" in spec:
        if path.is_symlink() or path.exists():
            path.unlink()
        path.symlink_to(spec["symlink"])
    elif spec.get("dir"):
        path.mkdir()
    elif "size" in spec:
        with open(path, "wb") as fh:
            fh.truncate(spec["size"])
    elif "hex" in spec:
        path.write_bytes(bytes.fromhex(spec["hex"]))
    elif "repeat" in spec:
        path.write_text("".join(text * times for text, times in spec["repeat"]))
    else:
        path.write_text(spec["text"])
    if "mode" in spec:
        path.chmod(spec["mode"])


def _snapshot(root: Path, skip: set[Path]) -> dict[str, str]:
    """Every entry under ``root`` (links and FIFOs not followed or opened), by content."""
    out = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = Path(folder) / name
            if any(path == s or path.is_relative_to(s) for s in skip):
                continue
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                out[str(path)] = "link:" + os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                out[str(path)] = stat.filemode(info.st_mode)[0]
    return out


def _envsolve(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([sys.executable, "-m", "resolver", *args], capture_output=True, timeout=TIME_LIMIT,
                              env=env, cwd=cwd)
    except subprocess.TimeoutExpired:
        pytest.fail(f"envsolve {' '.join(args)!r} hung (no answer within {TIME_LIMIT} s)")


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hostile-cache")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_hostile_input(case, tmp_path, cache):
    tmp = tmp_path / "case"
    tmp.mkdir()
    shutil.copytree(MINI, tmp / "mini")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "ENVSOLVE_CATALOG_DIR")}
    env["ENVSOLVE_CACHE_DIR"] = str(cache)
    env.pop(next((k for k in env if k == "ENVSOLVE_DRIVER_VERSION"), "_"), None)
    for key, value in _expand(case.get("env", {}), tmp).items():
        env[key] = f"{value}{os.pathsep}/usr/bin:/bin" if key == "PATH" else value
    setup = case.get("setup")
    if setup == "lockset":
        done = _envsolve(["--catalog-dir", str(tmp / "mini"), "torch", "--cpu", "--os", "windows", "--python", "3.12",
                          "--offline", "--out", str(tmp / "lockfiles")], env, tmp)
        assert done.returncode == 0, done.stderr
    elif setup == "warm-cache":
        done = _envsolve(["--catalog-dir", str(tmp / "mini"), "catalog", "show", "torch"], env, tmp)
        assert done.returncode == 0, done.stderr
    for pattern, spec in _expand(case.get("files", {}), tmp).items():
        matches = sorted(glob.glob(str(tmp / pattern))) if any(c in pattern for c in "*?[") else [str(tmp / pattern)]
        assert matches, f"no file matches {pattern}"
        for match in matches:
            _make(Path(match), spec)
    target = tmp / case["target"] if case.get("target") else None
    skip = {target} if target else set()
    before = _snapshot(tmp, skip)
    run = _envsolve([str(a) for a in _expand(case["command"], tmp)], env, tmp)
    output = (run.stdout + run.stderr).decode("utf-8", errors="replace")
    assert run.returncode != 70, f"internal error:\n{output}"
    assert "Traceback" not in output, output
    assert run.returncode == case["exit"], f"exit {run.returncode}, not {case['exit']}:\n{output}"
    assert _expand(case["message"], tmp) in output, output
    for text in _expand(case.get("absent", []), tmp):
        assert text not in output, f"{text!r} in the output:\n{output}"
    assert _snapshot(tmp, skip) == before, "something outside the target changed"
    for path, text in _expand(case.get("after", {}), tmp).items():
        assert (tmp / path).read_text() == text, f"{path} changed or is gone"
    assert not (tmp / "pwned").exists()


GOLDEN = HERE / "golden"
LOCKFILES = sorted(p for p in GOLDEN.rglob("*") if p.is_file() and (
    p.name.startswith(("requirements", "pylock")) or p.name in ("conda-lock.yml", "envsolve.json")))


@pytest.mark.parametrize("golden", LOCKFILES, ids=[str(p.relative_to(GOLDEN)) for p in LOCKFILES])
def test_truncated_lockfiles_are_read_or_refused_never_crash(golden, tmp_path):
    """Every golden lockfile cut at 40 evenly spaced offsets and at its first 20 line ends:
    it reads, or is refused with a LockParseError naming it; the checks never raise."""
    from resolver import catalog, check, lockread

    cat = catalog.load(MINI)
    data = golden.read_bytes()
    line_ends = [i + 1 for i, b in enumerate(data) if b == 10][:20]
    offsets = sorted({len(data) * i // 40 for i in range(40)} | set(line_ends))
    folder = tmp_path / golden.parent.name
    folder.mkdir()
    for sibling in golden.parent.iterdir():  # the set around it, for envsolve.json
        (folder / sibling.name).write_bytes(sibling.read_bytes())
    for offset in offsets:
        cut = folder / golden.name
        cut.write_bytes(data[:offset])
        try:
            lockread.read(cut, folder)
        except lockread.LockParseError as exc:
            assert exc.file == str(cut) and exc.message
        check.check(cat, [cut], check.Fleet("550.54.15", (), None))

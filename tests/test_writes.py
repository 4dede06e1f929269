"""Lock-set writes under fire: a SIGKILL before every file-system call of a write, in both swap
modes (one atomic exchange, and two renames with recovery), leaves the old set or the new one,
never a mix; concurrent writers take turns; what a killed writer left is swept."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from resolver import writer

MINI = Path(__file__).parent / "fixtures" / "mini"
SET = "pytorch-cpu-windows-x86_64-py312"
OLD = ["--catalog-dir", str(MINI), "torch", "--cpu", "--os", "windows", "--python", "3.12", "--offline"]
NEW = OLD + ["--driver", "572.60"]  # the same folder, other bytes

# Runs envsolve with every file-system call of the lock-set write counted; the process kills
# itself (SIGKILL: no cleanup, no finally) just before call number KILL_AT.
DRIVER = r'''
import ctypes, os, shutil, signal, sys
from resolver import writer
kill_at, exchange = int(sys.argv[1]), sys.argv[2] == "1"
writer.EXCHANGE = exchange
state = {"inside": False, "n": 0}

def counted(fn):
    def call(*args, **kwargs):
        if state["inside"]:
            state["n"] += 1
            if state["n"] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        return fn(*args, **kwargs)
    return call

for name in ("mkdir", "open", "fsync", "chmod", "rename", "replace", "link", "symlink", "unlink", "rmdir", "remove"):
    setattr(os, name, counted(getattr(os, name)))
writer._exchange = counted(writer._exchange)
real = writer.replace_set

def replace_set(*args, **kwargs):
    state["inside"] = True
    try:
        return real(*args, **kwargs)
    finally:
        state["inside"] = False
        sys.stderr.write(f"calls={state['n']}\n")

writer.replace_set = replace_set
from resolver.cli import main
sys.exit(main(sys.argv[3:]))
'''


def _snapshot(folder: Path) -> dict[str, bytes] | None:
    if not folder.exists():
        return None
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _prepare(root: Path, envsolve) -> Path:
    """The old set, with a file only it lists (to be dropped) and the user's own files (to be kept)."""
    out = root / "lockfiles"
    assert envsolve(*OLD, "--out", out).code == 0
    folder = out / SET
    (folder / "old-only.txt").write_text("listed by the old manifest only\n")
    meta = json.loads((folder / "envsolve.json").read_text())
    meta["lock"]["files"]["old-only.txt"] = __import__("hashlib").sha256(b"listed by the old manifest only\n").hexdigest()
    (folder / "envsolve.json").write_text(json.dumps(meta, indent=2) + "\n")
    (folder / "NOTES.md").write_text("the user's\n")
    (folder / "data").mkdir()
    (folder / "data" / "keep.csv").write_text("1,2\n")
    return out


def _run(driver: Path, kill_at: int, exchange: bool, out: Path) -> subprocess.CompletedProcess:
    # --out relative to the copy, so every copy records the same command (the same bytes)
    return subprocess.run([sys.executable, str(driver), str(kill_at), "1" if exchange else "0", *NEW, "--out", out.name],
                          capture_output=True, text=True, timeout=120, cwd=out.parent)


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two-renames"])
def test_a_kill_before_any_file_system_call_leaves_the_old_set_or_the_new(tmp_path, envsolve, exchange):
    template = tmp_path / "template"
    template.mkdir()
    _prepare(template, envsolve)
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    old = _snapshot(template / "lockfiles" / SET)
    # A full run: the new set, and how many calls a write makes.
    full = tmp_path / "full"
    shutil.copytree(template, full, symlinks=True)
    run = _run(driver, 0, exchange, full / "lockfiles")
    assert run.returncode == 0, run.stderr
    calls = int(run.stderr.rsplit("calls=", 1)[1].split()[0])
    new = _snapshot(full / "lockfiles" / SET)
    assert new != old and new is not None
    assert "old-only.txt" not in new and new["NOTES.md"] == b"the user's\n" and new["data/keep.csv"] == b"1,2\n"
    assert sorted(os.listdir(full / "lockfiles")) == [SET]
    assert calls >= 20

    def killed_at(n: int) -> tuple[int, str]:
        root = tmp_path / f"k{n}"
        shutil.copytree(template, root, symlinks=True)
        out = root / "lockfiles"
        done = _run(driver, n, exchange, out)
        assert done.returncode == -9, (n, done.returncode, done.stderr[-500:])
        seen = _snapshot(out / SET)
        if exchange:
            assert seen in (old, new), f"a kill before call {n} left a mix"
        writer.recover(out, SET)  # what the next write does first, holding the lock
        seen = _snapshot(out / SET)
        assert seen in (old, new), f"a kill before call {n} left a mix (after recovery)"
        assert sorted(os.listdir(out)) == [SET], os.listdir(out)  # nothing left behind
        return n, "old" if seen == old else "new"

    with ThreadPoolExecutor(min(16, os.cpu_count() or 1)) as pool:
        outcomes = dict(pool.map(killed_at, range(1, calls + 1)))
    # Early kills keep the old set, late ones leave the new one: both happen.
    assert outcomes[1] == "old" and outcomes[calls] == "new", outcomes


def test_the_next_write_finishes_a_swap_cut_between_its_renames(tmp_path, envsolve):
    out = _prepare(tmp_path, envsolve)
    old = _snapshot(out / SET)
    stage = out / f".{SET}.new-0123456789ab"
    shutil.copytree(out / SET, stage)
    (stage / "NOTES.md").write_text("the new one\n")
    os.rename(out / SET, out / f".{SET}.old-0123456789ab")  # killed right here
    writer.recover(out, SET)
    assert _snapshot(out / SET) == {**old, "NOTES.md": b"the new one\n"}  # rolled forward: the new set was whole
    assert sorted(os.listdir(out)) == [SET]


def test_concurrent_writers_take_turns(tmp_path, envsolve, monkeypatch):
    expected = []
    for name, args in (("old", OLD), ("new", NEW)):  # what each writer alone writes (same relative --out)
        (tmp_path / name).mkdir()
        monkeypatch.chdir(tmp_path / name)
        assert envsolve(*args, "--out", "lockfiles").code == 0
        expected.append(_snapshot(tmp_path / name / "lockfiles" / SET))
    root = tmp_path / "race"
    root.mkdir()
    monkeypatch.chdir(root)
    assert envsolve(*OLD, "--out", "lockfiles").code == 0
    (root / "lockfiles" / SET / "NOTES.md").write_text("the user's\n")
    writers = [subprocess.Popen([sys.executable, "-m", "resolver", *(NEW if i % 2 else OLD), "--out", "lockfiles"],
                                cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for i in range(8)]
    for proc in writers:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    final = _snapshot(root / "lockfiles" / SET)
    assert final is not None and final.pop("NOTES.md") == b"the user's\n"
    assert final in expected
    assert sorted(os.listdir(root / "lockfiles")) == [SET]


def test_a_writer_waits_for_the_lock(tmp_path, envsolve):
    out = _prepare(tmp_path, envsolve)
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        proc = subprocess.Popen([sys.executable, "-m", "resolver", *NEW, "--out", str(out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(3)
        assert proc.poll() is None  # blocked on the lock
        assert b'"driver": null' in (out / SET / "envsolve.json").read_bytes()
    finally:
        os.close(fd)
    assert proc.wait(timeout=120) == 0
    assert b'"driver": "572.60"' in (out / SET / "envsolve.json").read_bytes()


def test_a_failed_write_changes_nothing_and_leaves_nothing(tmp_path, envsolve, monkeypatch):
    out = _prepare(tmp_path, envsolve)
    before = _snapshot(out / SET)
    calls = {"n": 0}
    real = os.fsync

    def full_disk(fd):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(28, "No space left on device")
        return real(fd)

    monkeypatch.setattr(writer.os, "fsync", full_disk)
    result = envsolve(*NEW, "--out", out)
    assert result.code == 2 and "No space left on device" in result.err
    assert _snapshot(out / SET) == before and sorted(os.listdir(out)) == [SET]


@pytest.mark.parametrize("make", ["file", "proc", "readonly"])
def test_an_unwritable_out_is_exit_2(tmp_path, envsolve, monkeypatch, make):
    if make == "file":
        (tmp_path / "afile").write_text("x")
        out = tmp_path / "afile" / "sub"
    elif make == "proc":
        out = Path("/proc/envsolve-test")
    else:  # a read-only file system (root ignores permission bits, so the error is injected)
        out = tmp_path / "ro"

        def refuse(*args, **kwargs):
            raise OSError(30, "Read-only file system", str(out))

        monkeypatch.setattr(writer.os, "mkdir", refuse)
        monkeypatch.setattr(Path, "mkdir", refuse)
    result = envsolve(*OLD, "--out", out)
    assert result.code == 2, result
    assert result.err.startswith("error: no lock set written: ")

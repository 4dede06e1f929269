"""catalog sync: harvesting PyPI pages and wheel metadata, replaying recordings, idempotence."""

from __future__ import annotations

import io
import json
import random
import zipfile
from pathlib import Path

import pytest

from resolver import catalog, pypi, sync
from resolver.errors import UsageError

ROOT = Path(__file__).resolve().parents[1]
RECORDING = ROOT / "tests" / "data" / "pypi-recording.json.xz"


class FakeSource(pypi.Source):
    """PyPI pages and METADATA headers from dicts; counts calls."""

    def __init__(self, pages: dict[str, dict], metadata: dict[str, str]):
        self.pages, self.meta, self.calls = pages, metadata, 0

    def simple(self, project):
        self.calls += 1
        return json.dumps(self.pages[project])

    def metadata(self, file):
        self.calls += 1
        return self.meta[file["filename"]]


def _file(name: str, rp: str = ">=3.10", yanked=False) -> dict:
    return {"filename": name, "url": f"https://files.pythonhosted.org/packages/aa/{name}", "hashes": {"sha256": "ab" * 32},
            "requires-python": rp, "yanked": yanked, "size": 100}


def _pages():
    torch = [_file(f"torch-2.8.0-cp3{m}-cp3{m}-manylinux_2_28_x86_64.whl") for m in (10, 11, 12)]
    torch += [_file("torch-2.8.0-cp312-cp312-win_amd64.whl"), _file("torch-2.9.0rc1-cp312-cp312-win_amd64.whl"),
              _file("torch-2.8.0.tar.gz"), _file("torch-1.13.0-cp310-cp310-win_amd64.whl")]
    meta = {
        "torch-2.8.0-cp312-cp312-manylinux_2_28_x86_64.whl":
            "Metadata-Version: 2.1\nName: torch\nRequires-Dist: filelock\nRequires-Dist: nvidia-cudnn-cu12 ==9.10.2.21 ; platform_system == 'Linux'\n",
        "torch-2.8.0-cp312-cp312-win_amd64.whl": "Metadata-Version: 2.1\nName: torch\nRequires-Dist: filelock\n",
        "torchvision-0.23.0-py3-none-any.whl": "Metadata-Version: 2.1\nName: torchvision\nRequires-Dist: torch==2.8.0\n",
    }
    pages = {
        "torch": {"meta": {"api-version": "1.1"}, "name": "torch", "files": torch},
        "torchvision": {"meta": {"api-version": "1.1"}, "name": "torchvision",
                        "files": [_file("torchvision-0.23.0-py3-none-any.whl"), _file("torchvision-0.14.0-py3-none-any.whl")]},
        "nvidia-cudnn-cu12": {"meta": {"api-version": "1.1"}, "name": "nvidia-cudnn-cu12",
                              "files": [_file("nvidia_cudnn_cu12-9.10.2.21-py3-none-manylinux_2_27_x86_64.whl"),
                                        _file("nvidia_cudnn_cu12-9.1.0.70-py3-none-win_amd64.whl", yanked="bad build")]},
    }
    return pages, meta


def test_harvest_keeps_final_releases_above_the_floor_and_groups_metadata(mini):
    pages, meta = _pages()
    src = FakeSource(pages, meta)
    cat = catalog.load(mini, use_cache=False)
    files, changes = sync.run(cat, src, {}, ["torch"])
    data = pypi_yaml(files["torch.yaml"])
    assert [r["version"] for r in data["releases"]] == ["2.8.0"]  # no rc, no sdist, nothing below 2.4.0
    release = data["releases"][0]
    assert release["requires_python"] == ">=3.10"
    assert len(release["wheels"]) == 4
    linux, windows = release["metadata"]
    assert linux == {"platforms": ["linux-x86_64"], "from": "torch-2.8.0-cp312-cp312-manylinux_2_28_x86_64.whl",
                     "requires_dist": ["filelock", "nvidia-cudnn-cu12==9.10.2.21; platform_system == \"Linux\""],
                     "provides_extra": []}
    assert windows["platforms"] == ["windows-amd64"]
    assert changes[0].describe() == "torch.yaml: added 2.8.0"


def pypi_yaml(blob: bytes) -> dict:
    import yaml

    return yaml.safe_load(blob)


def test_full_sync_lists_gpu_libraries_and_yanked_versions(mini):
    pages, meta = _pages()
    cat = catalog.load(mini, use_cache=False)
    # The mini catalog syncs torch, torchvision and tensorflow; give tensorflow an empty page.
    pages["tensorflow"] = {"meta": {"api-version": "1.1"}, "name": "tensorflow", "files": []}
    for name in ("nvidia-cuda-runtime-cu12", "nvidia-nccl-cu11", "nvidia-cudnn-cu11"):
        pages[name] = {"meta": {"api-version": "1.1"}, "name": name, "files": []}
    files, _ = sync.run(cat, FakeSource(pages, meta), {})
    libs = {lib["name"]: lib for lib in pypi_yaml(files["gpu-libraries.yaml"])["libraries"]}
    wheel = "https://files.pythonhosted.org/packages/aa/"
    assert libs["nvidia-cudnn-cu12"]["versions"] == [
        {"version": "9.1.0.70", "platforms": ["windows-amd64"], "requires_python": ">=3.10", "yanked": "bad build",
         "wheels": [{"filename": "nvidia_cudnn_cu12-9.1.0.70-py3-none-win_amd64.whl", "sha256": "ab" * 32,
                     "url": wheel + "nvidia_cudnn_cu12-9.1.0.70-py3-none-win_amd64.whl"}]},
        {"version": "9.10.2.21", "platforms": ["linux-x86_64"], "requires_python": ">=3.10",
         "wheels": [{"filename": "nvidia_cudnn_cu12-9.10.2.21-py3-none-manylinux_2_27_x86_64.whl", "sha256": "ab" * 32,
                     "url": wheel + "nvidia_cudnn_cu12-9.10.2.21-py3-none-manylinux_2_27_x86_64.whl"}]},
    ]
    # the curated index variant's requires (cu118) are covered too
    assert "nvidia-nccl-cu11" in libs


def test_second_run_changes_nothing(mini):
    pages, meta = _pages()
    cat = catalog.load(mini, use_cache=False)
    first, _ = sync.run(cat, FakeSource(pages, meta), {}, ["torch", "torchvision"])
    second, changes = sync.run(cat, FakeSource(pages, meta), first, ["torch", "torchvision"])
    assert first == second
    assert [c.describe() for c in changes] == ["torch.yaml: unchanged", "torchvision.yaml: unchanged"]


def test_unknown_project_is_refused(mini):
    cat = catalog.load(mini, use_cache=False)
    with pytest.raises(UsageError, match="not a catalogued project: numpy"):
        sync.plan(cat, ["numpy"])


def test_recording_round_trip():
    pages, meta = _pages()
    rec = pypi.RecordingSource(FakeSource(pages, meta))
    rec.simple("torch")
    replay = pypi.ReplaySource(rec.dump())
    assert json.loads(replay.simple("torch")) == pages["torch"]
    with pytest.raises(pypi.SyncError, match="no response for simple:jax"):
        replay.simple("jax")
    with pytest.raises(pypi.SyncError, match="not an envsolve recording"):
        pypi.ReplaySource(b"garbage")


# ---- reading METADATA out of a remote wheel with range requests ---------------------------------

def _wheel(padding_after: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("demo/__init__.py", "")
        zf.writestr("demo-1.0.dist-info/METADATA",
                    "Metadata-Version: 2.1\nName: demo\nRequires-Dist: nvidia-nccl-cu12==2.27.3\n\nLong description\n")
        noise = random.Random(0)
        for i in range(padding_after):
            zf.writestr(f"demo-1.0.data/padding/{'x' * 80}-{i:06d}.bin", noise.randbytes(600))
        zf.writestr("demo-1.0.dist-info/RECORD", "")
    return buf.getvalue()


class RangeServer(pypi.LiveSource):
    def __init__(self, blob: bytes):
        super().__init__()
        self.blob, self.requests = blob, []

    def _get(self, url, headers):
        start, end = headers["Range"].removeprefix("bytes=").split("-")
        self.requests.append((int(start), int(end)))
        return self.blob[int(start) : int(end) + 1]


@pytest.mark.parametrize("padding", [0, 4000], ids=["metadata-near-the-end", "central-directory-beyond-the-tail"])
def test_metadata_by_range_requests_never_reads_the_whole_wheel(padding):
    blob = _wheel(padding)
    server = RangeServer(blob)
    head = server.metadata({"url": "https://files.pythonhosted.org/x/demo-1.0-py3-none-any.whl", "size": len(blob)})
    assert head == "Metadata-Version: 2.1\nName: demo\nRequires-Dist: nvidia-nccl-cu12==2.27.3\n"
    if padding:
        assert len(server.requests) == 3  # tail, central directory, METADATA member
        assert sum(min(end, len(blob) - 1) - start + 1 for start, end in server.requests) < len(blob) / 2


def test_a_non_zip_is_a_sync_error():
    server = RangeServer(b"not a zip at all" * 10)
    with pytest.raises(pypi.SyncError):
        server.metadata({"url": "https://files.pythonhosted.org/x/demo-1.0-py3-none-any.whl", "size": 160})


def test_shipped_generated_data_is_reproduced_from_the_recording(envsolve):
    """`envsolve catalog sync --replay` over the committed recording changes nothing."""
    assert RECORDING.is_file(), "tests/data/pypi-recording.json.xz is missing: run envsolve catalog sync --record"
    result = envsolve("catalog", "sync", "--replay", RECORDING, "--check")
    assert result.code == 0, result
    assert all(line.endswith(": unchanged") for line in result.out.splitlines()), result.out


@pytest.mark.online
def test_live_pypi_harvest():
    """Opt in with `pytest -m online`: one small real project through the range-request path."""
    import concurrent.futures

    src = pypi.LiveSource()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        data = pypi.harvest_project(src, "jax-cuda12-pjrt", "0.6.0", pool)
    releases = {r["version"]: r for r in data["releases"]}
    assert "0.6.0" in releases
    assert all(len(w["sha256"]) == 64 for r in releases.values() for w in r["wheels"])
    assert releases["0.6.0"]["metadata"][0]["platforms"][0].startswith("linux-")


def test_unreachable_index_is_exit_3_and_writes_nothing(mini, envsolve, monkeypatch):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    monkeypatch.setattr(pypi, "PYPI_SIMPLE", f"https://127.0.0.1:{port}/simple/")
    monkeypatch.setattr(pypi.LiveSource.__init__, "__defaults__", (f"https://127.0.0.1:{port}/simple/", 2.0, 0))
    before = {p.name: p.read_bytes() for p in (mini / "pypi").glob("*.yaml")}
    result = envsolve("--catalog-dir", mini, "catalog", "sync", "torch")
    assert result.code == 3, result
    assert result.err.startswith("error: sync failed, nothing written: cannot reach https://127.0.0.1:")
    assert {p.name: p.read_bytes() for p in (mini / "pypi").glob("*.yaml")} == before

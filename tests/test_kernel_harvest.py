"""`envsolve catalog kernels`: a synthetic wheel served by a local HTTP server with range support,
measured through the command line into a copy of the small test catalog, then used by `catalog
show` and the solver. Also the ways a server or a wheel can fail it."""

from __future__ import annotations

import http.server
import io
import json
import random
import re
import struct
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from resolver import kernel_harvest
from resolver.catalog import load
from resolver.fatbin import MAGIC, PTX, SASS, Image
from resolver.rules.kernels import kernels_of

WHEEL = "torch-2.8.0-cp312-cp312-manylinux_2_28_x86_64.whl"
CHUNK = 64 * 1024  # small chunks, so members span many range requests
CONFIG_H = (
    "#pragma once\n#define AT_CUDNN_ENABLED() 1\n"
    '#define NVCC_FLAGS_EXTRA "-gencode;arch=compute_80,code=sm_80;-gencode;arch=compute_90,code=sm_90;'
    '-gencode;arch=compute_90,code=compute_90"\n'
)


def _entry(kind: int, arch: int, payload: bytes, flags: int = 0x8011) -> bytes:
    head = (struct.pack("<HHIQ", kind, 0x0101, 64, len(payload)) + bytes(12) + struct.pack("<I", arch) + bytes(8)
            + struct.pack("<Q", flags))
    return head + bytes(64 - len(head)) + payload


def _container(*entries: bytes) -> bytes:
    body = b"".join(entries)
    return struct.pack("<IHHQ", MAGIC, 1, 16, len(body)) + body


def _noise(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def library(*containers: bytes, seed: int = 0) -> bytes:
    """A shared library's bytes: incompressible filler with fatbin containers inside."""
    parts = [_noise(150_000, seed)]
    for i, c in enumerate(containers):
        parts += [c, _noise(90_000, seed + i + 1)]
    return b"".join(parts)


def _unit(seed: int, *extra: bytes) -> bytes:
    """One compiled source file's fatbin: the build's list (SASS sm_80, sm_90; PTX for 9.0), plus extras."""
    return _container(_entry(SASS, 80, _noise(20_000, seed)), _entry(SASS, 90, _noise(9_000, seed + 1)),
                      _entry(PTX, 90, b".target sm_90\n" * 500), *extra)


# Four units: one also carries an sm_90a image (flag 0x100000), one an sm_75 image.
TORCH_CUDA = library(_unit(50), _unit(52, _entry(SASS, 90, _noise(300, 54), flags=0x108011)), _unit(56), seed=1)
C10_CUDA = library(_unit(60, _entry(SASS, 75, _noise(1000, 62))), seed=20)
TORCH_CPU = library(_container(_entry(SASS, 50, _noise(1000, 70))), seed=30)  # not a CUDA library: never read
NOTE = "4 fatbin containers; in fewer than half of them, so not listed: SASS sm_75 (1), sm_90a (1)"


def make_wheel(cuda_method: int = zipfile.ZIP_DEFLATED, config: str = CONFIG_H) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("torch/__init__.py", "", zipfile.ZIP_DEFLATED)
        zf.writestr("torch/include/ATen/cuda/CUDAConfig.h", config, zipfile.ZIP_DEFLATED)
        zf.writestr("torch/lib/libc10_cuda.so", C10_CUDA, zipfile.ZIP_DEFLATED)
        zf.writestr("torch/lib/libtorch_cpu.so", TORCH_CPU, zipfile.ZIP_DEFLATED)
        zf.writestr("torch/lib/libtorch_cuda.so", TORCH_CUDA, cuda_method)
        zf.writestr("torch-2.8.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: torch\nVersion: 2.8.0\n")
    return buf.getvalue()


def shrink_member(wheel: bytes, name: str, by: int) -> bytes:
    """The wheel with ``name``'s compressed size in the central directory cut by ``by`` bytes: its
    deflate data, as the reader sees it, stops short."""
    encoded = name.encode()
    at = wheel.rfind(b"PK\x01\x02", 0, wheel.rfind(encoded))
    (comp,) = struct.unpack_from("<I", wheel, at + 20)
    return wheel[:at + 20] + struct.pack("<I", comp - by) + wheel[at + 24:]


class WheelServer:
    """A local HTTP server for one wheel, answering Range requests (or misbehaving on purpose)."""

    def __init__(self, wheel: bytes):
        self.wheel = wheel
        self.mode = "ok"  # ok | ignore-range | cut-short | stall
        self.requests: list[tuple[str, int]] = []  # (path, bytes sent)
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                data = server.wheel
                if not self.path.endswith(".whl"):
                    self.send_error(404)
                    return
                if server.mode == "stall":
                    time.sleep(1.5)
                m = re.match(r"bytes=(\d*)-(\d*)$", self.headers.get("Range", ""))
                if server.mode == "ignore-range" or not m:
                    self._send(200, data, {})
                    return
                if m.group(1):
                    first, last = int(m.group(1)), int(m.group(2) or len(data) - 1)
                else:
                    first, last = max(0, len(data) - int(m.group(2))), len(data) - 1
                if first >= len(data):
                    self._send(416, b"", {"Content-Range": f"bytes */{len(data)}"})
                    return
                last = min(last, len(data) - 1)
                body = data[first:last + 1]
                self._send(206, body, {"Content-Range": f"bytes {first}-{last}/{len(data)}"},
                           cut=server.mode == "cut-short" and len(body) > 1000)

            def _send(self, code, body, headers, cut=False):
                self.send_response(code)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                sent = body[:len(body) // 2] if cut else body
                try:
                    self.wfile.write(sent)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                server.requests.append((self.path, len(sent)))
                if cut:
                    self.close_connection = True

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.handle_error = lambda request, client_address: None  # type: ignore[method-assign]  # a client that stops reading is normal
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def served(monkeypatch):
    """Serve a wheel locally for the https URLs of the catalog; yields the server."""
    server = WheelServer(make_wheel())
    with server:
        monkeypatch.setattr(kernel_harvest, "default_source",
                            lambda: kernel_harvest.HttpSource(timeout=0.5, retries=1, rewrite=server.base))
        monkeypatch.setattr(kernel_harvest, "CHUNK", CHUNK)
        yield server


def measured_file(catalog: Path) -> Path:
    return catalog / "measured" / "kernels.yaml"


SOLVE_V100 = ("torch==2.8.0", "--gpu", "--os", "linux", "--arch", "x86_64", "--python", "3.12", "--gpu-model", "V100")


def test_measures_the_wheel_and_the_catalog_uses_it(mini, served, envsolve):
    assert envsolve("--catalog-dir", mini, *SOLVE_V100).code == 0  # documented: cu128 ships sm_70
    result = envsolve("--catalog-dir", mini, "catalog", "kernels", "torch==2.8.0")
    assert result.code == 0, result
    assert result.err == ""  # quiet when stderr is not a terminal
    assert result.out.startswith("torch 2.8.0 cu128 linux-x86_64: SASS sm_80 sm_90; PTX sm_90 (fatbin)")
    assert f"\n  {NOTE}\n" in result.out
    data = yaml.safe_load(measured_file(mini).read_text())
    assert data["kind"] == "kernels" and data["generated_by"] == "envsolve catalog kernels"
    (build,) = data["builds"]
    wheel = next(w for w in load(mini).pypi["torch"].releases["2.8.0"].wheels() if w[0] == WHEEL)
    assert build == {
        "project": "torch", "version": "2.8.0", "label": "cu128", "platform": "linux-x86_64", "method": "fatbin",
        "sass": ["sm_80", "sm_90"], "ptx": ["sm_90"],
        "wheel": {"filename": WHEEL, "sha256": wheel[1], "url": wheel[2]},
        "members": ["torch/lib/libc10_cuda.so", "torch/lib/libtorch_cuda.so"], "note": NOTE,
    }
    assert measured_file(mini).read_text().startswith("# Generated by `envsolve catalog kernels`")
    assert envsolve("--catalog-dir", mini, "catalog", "lint").code == 0

    facts = json.loads(envsolve("--catalog-dir", mini, "catalog", "show", "torch==2.8.0", "--json").out)
    cu128 = next(v for v in facts["variants"] if v["name"] == "cu128")
    assert cu128["kernels"]["linux-x86_64"] == {"sass": ["sm_80", "sm_90"], "ptx": ["sm_90"],
                                                 "method": "fatbin", "source": [wheel[2]]}
    shown = envsolve("--catalog-dir", mini, "catalog", "show", "torch==2.8.0").out
    assert "kernels on linux-x86_64: sm_80 sm_90; PTX: sm_90  (fatbin)" in shown

    # The measured list has no Volta kernel (the document said sm_70): a V100 now finds no 2.8.0.
    refused = envsolve("--catalog-dir", mini, *SOLVE_V100)
    assert refused.code == 1 and "sm_70" in refused.out


def test_only_the_cuda_libraries_are_read_in_chunks_never_the_whole_wheel(mini, served, envsolve):
    assert envsolve("--catalog-dir", mini, "catalog", "kernels", "torch==2.8.0").code == 0
    assert {path.rsplit("/", 1)[1] for path, _ in served.requests} == {WHEEL}
    sizes = [n for _, n in served.requests]
    assert sizes[0] == 128 * 1024  # the zip's tail, holding its central directory
    assert max(sizes[1:]) <= CHUNK and len(sizes) > 10
    # Every byte of the CUDA members is fetched once; libtorch_cpu.so and the rest are not.
    with zipfile.ZipFile(io.BytesIO(served.wheel)) as zf:
        cuda = sum(zf.getinfo(n).compress_size for n in ("torch/lib/libtorch_cuda.so", "torch/lib/libc10_cuda.so"))
    assert cuda <= sum(sizes[1:]) < cuda + 100  # and two 30-byte local headers


def test_a_second_run_changes_nothing(mini, served, envsolve):
    assert envsolve("--catalog-dir", mini, "catalog", "kernels", "torch==2.8.0").code == 0
    first = measured_file(mini).read_bytes()
    again = envsolve("--catalog-dir", mini, "catalog", "kernels", "torch==2.8.0")
    assert again.code == 0 and "already up to date" in again.out
    assert measured_file(mini).read_bytes() == first


def test_build_flags_then_fatbin_keeps_both_and_the_fatbin_wins(mini, served, envsolve):
    result = envsolve("--catalog-dir", mini, "catalog", "kernels", "torch==2.8.0", "--method", "build-flags")
    assert result.code == 0, result
    (build,) = yaml.safe_load(measured_file(mini).read_text())["builds"]
    assert (build["method"], build["sass"], build["ptx"]) == ("build-flags", ["sm_80", "sm_90"], ["sm_90"])
    assert "note" not in build
    assert build["members"] == ["torch/include/ATen/cuda/CUDAConfig.h"]
    assert len(served.requests) == 3 and sum(n for _, n in served.requests[1:]) < 1000  # tail, header, data
    cat = load(mini)
    variant = cat.framework("torch").release("2.8.0").variant("cu128")
    assert kernels_of(cat, "torch", "2.8.0", variant, "linux-x86_64").method == "build-flags"

    assert envsolve("--catalog-dir", mini, "catalog", "kernels", "torch==2.8.0").code == 0
    builds = yaml.safe_load(measured_file(mini).read_text())["builds"]
    assert [b["method"] for b in builds] == ["build-flags", "fatbin"]
    cat = load(mini)
    found = kernels_of(cat, "torch", "2.8.0", variant, "linux-x86_64")
    assert (found.method, found.sass) == ("fatbin", ("sm_80", "sm_90"))


def test_fatbin_wins_in_either_order(mini):
    entry = {"project": "torch", "version": "2.8.0", "label": "cu128", "platform": "linux-x86_64",
             "wheel": {"filename": WHEEL, "sha256": "0" * 64, "url": "https://files.pythonhosted.org/x/" + WHEEL}}
    builds = [entry | {"method": "fatbin", "sass": ["sm_80"], "ptx": []},
              entry | {"method": "build-flags", "sass": ["sm_90"], "ptx": []}]
    measured_file(mini).parent.mkdir()
    measured_file(mini).write_bytes(kernel_harvest.render(builds))  # fatbin listed first
    cat = load(mini)
    variant = cat.framework("torch").release("2.8.0").variant("cu128")
    assert kernels_of(cat, "torch", "2.8.0", variant, "linux-x86_64").sass == ("sm_80",)
    assert re.fullmatch(r"[0-9a-f]{64}", cat.digest)  # the loader's own names are left alone


def test_a_stored_member_is_scanned_as_is(mini, envsolve, monkeypatch):
    server = WheelServer(make_wheel(cuda_method=zipfile.ZIP_STORED))
    with server:
        monkeypatch.setattr(kernel_harvest, "default_source", lambda: kernel_harvest.HttpSource(rewrite=server.base))
        monkeypatch.setattr(kernel_harvest, "CHUNK", CHUNK)
        result = envsolve("--catalog-dir", mini, "catalog", "kernels", "torch==2.8.0")
    assert result.code == 0 and "SASS sm_80 sm_90; PTX sm_90" in result.out


def test_progress_on_a_terminal(mini, served, envsolve, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    result = envsolve("--catalog-dir", mini, "catalog", "kernels", "torch==2.8.0", "--dry-run")
    assert result.code == 0 and "measuring torch 2.8.0 cu128 linux-x86_64" in result.err
    assert re.search(r"\r  torch/lib/libtorch_cuda.so: [0-9.]+ of [0-9.]+ MiB read\n", result.err)
    assert not measured_file(mini).exists()  # --dry-run writes nothing


# ---- failures: one line, the right exit code, nothing written ---------------------------------------

def _fails(envsolve, mini, code: int, *args: str) -> str:
    before = measured_file(mini).read_bytes() if measured_file(mini).exists() else None
    result = envsolve("--catalog-dir", mini, "catalog", "kernels", "torch==2.8.0", *args)
    assert result.code == code, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: nothing written: "), result.err
    after = measured_file(mini).read_bytes() if measured_file(mini).exists() else None
    assert after == before
    assert not list(mini.rglob("*.tmp"))
    return lines[0]


@pytest.fixture
def with_existing(mini, served, envsolve):
    """A catalog that already has a measured file (so failures must leave it as it was)."""
    assert envsolve("--catalog-dir", mini, "catalog", "kernels", "torch==2.8.0", "--method", "build-flags").code == 0
    served.requests.clear()
    return mini


def test_a_server_that_ignores_range(with_existing, served, envsolve):
    served.mode = "ignore-range"
    message = _fails(envsolve, with_existing, 3)
    assert "ignored the range request" in message


def test_a_server_that_times_out(with_existing, served, envsolve):
    served.mode = "stall"
    assert "timed out" in _fails(envsolve, with_existing, 3)


def test_a_response_cut_short(with_existing, served, envsolve):
    served.mode = "cut-short"
    message = _fails(envsolve, with_existing, 3)
    assert "cannot read" in message and WHEEL in message


def test_a_truncated_member(with_existing, served, envsolve):
    served.wheel = shrink_member(served.wheel, "torch/lib/libtorch_cuda.so", 5000)
    assert "ends early" in _fails(envsolve, with_existing, 2)


def test_a_damaged_member(with_existing, served, envsolve):
    with zipfile.ZipFile(io.BytesIO(served.wheel)) as zf:
        info = zf.getinfo("torch/lib/libtorch_cuda.so")
    at = info.header_offset + 30 + len(info.filename) + 1000
    wheel = bytearray(served.wheel)
    wheel[at] ^= 0xFF
    served.wheel = bytes(wheel)
    message = _fails(envsolve, with_existing, 2)
    assert "torch/lib/libtorch_cuda.so" in message and ("corrupt deflate" in message or "CRC-32" in message)


def test_an_unsupported_compression(with_existing, served, envsolve):
    served.wheel = make_wheel(cuda_method=zipfile.ZIP_BZIP2)
    assert "compression method 12 is not supported" in _fails(envsolve, with_existing, 2)


def test_a_wheel_without_the_config_header(with_existing, served, envsolve):
    served.wheel = make_wheel(config="#pragma once\n")
    assert "no NVCC_FLAGS_EXTRA" in _fails(envsolve, with_existing, 2, "--method", "build-flags")


def test_not_a_zip(with_existing, served, envsolve):
    served.wheel = b"<html>not a wheel</html>" * 100
    assert "not a zip file" in _fails(envsolve, with_existing, 2)


def test_a_cpu_platform_is_refused(with_existing, envsolve):
    message = _fails(envsolve, with_existing, 2, "--platform", "windows-amd64")
    assert "the PyPI windows-amd64 wheel is a cpu build, not a CUDA build" in message


def test_an_unknown_platform_is_refused(with_existing, envsolve):
    assert "unknown platform 'linux-arm64'" in _fails(envsolve, with_existing, 2, "--platform", "linux-arm64")


def test_a_broken_measured_file_is_not_replaced(mini, served, envsolve):
    measured_file(mini).parent.mkdir()
    measured_file(mini).write_text("schema: envsolve.catalog/1\nkind: kernels\nbuilds: [{project: torch}]\n")
    result = envsolve("--catalog-dir", mini, "catalog", "kernels", "torch==2.8.0")
    assert result.code == 2  # the catalog itself no longer loads: nothing is measured or written
    assert "missing required field" in result.err


# ---- pieces -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("flags, sass, ptx", [
    ("-gencode;arch=compute_80,code=sm_80;-gencode;arch=compute_90,code=compute_90", ["sm_80"], ["sm_90"]),
    ("-gencode arch=compute_90a,code=sm_90a -gencode arch=compute_120,code=[sm_120,compute_120]",
     ["sm_90a", "sm_120"], ["sm_120"]),
    ("-gencode;arch=compute_100,code=sm_100;-gencode;arch=compute_75,code=sm_75", ["sm_75", "sm_100"], []),
])
def test_parse_build_flags(flags, sass, ptx):
    text = f'#pragma once\n#define NVCC_FLAGS_EXTRA "{flags}"\n'
    assert kernel_harvest.parse_build_flags(text, "x") == (tuple(sass), tuple(ptx))


def test_parse_build_flags_refuses_what_it_cannot_read():
    with pytest.raises(kernel_harvest.HarvestError, match="names no -gencode target"):
        kernel_harvest.parse_build_flags('#define NVCC_FLAGS_EXTRA ""\n', "x")
    with pytest.raises(kernel_harvest.HarvestError, match="cannot read the -gencode target 'lto_90'"):
        kernel_harvest.parse_build_flags('#define NVCC_FLAGS_EXTRA "arch=compute_90,code=lto_90"\n', "x")


def test_summarise_lists_what_most_containers_carry():
    images = {Image(SASS, 80): 10, Image(SASS, 90): 10, Image(SASS, 90, "a"): 2, Image(SASS, 50): 4,
              Image(PTX, 120): 5, Image(16, 100): 1}
    assert kernel_harvest.summarise(images, 10) == (
        ("sm_80", "sm_90"), ("sm_120",),
        "10 fatbin containers; in fewer than half of them, so not listed: SASS sm_50 (4), sm_90a (2); kind 16 sm_100 (1)")
    assert kernel_harvest.summarise({Image(SASS, 75): 3}, 3) == (("sm_75",), (), "3 fatbin containers; no PTX in any container")


def test_choose_wheel_prefers_cp312_then_the_newest_cpython():
    names = ["torch-2.8.0-cp313-cp313t-manylinux_2_28_x86_64.whl", "torch-2.8.0-cp313-cp313-manylinux_2_28_x86_64.whl",
             "torch-2.8.0-cp312-cp312-manylinux_2_28_x86_64.whl", "torch-2.8.0-cp312-cp312-win_amd64.whl"]
    wheels = [(n, "0" * 64, "https://x.org/" + n) for n in names]
    assert kernel_harvest.choose_wheel(wheels, "linux-x86_64")[0] == names[2]
    assert kernel_harvest.choose_wheel(wheels[:2], "linux-x86_64")[0] == names[1]
    assert kernel_harvest.choose_wheel(wheels, "linux-aarch64") is None


def test_zip64_records_are_read():
    name = b"torch/lib/libtorch_cuda.so"
    extra = struct.pack("<HHQQQ", 1, 24, 5_000_000_000, 4_800_000_000, 6_000_000_000)
    record = (b"PK\x01\x02" + struct.pack("<HHHHHHIIIHHHHHII", 45, 45, 0, 8, 0, 0, 123, 0xFFFFFFFF, 0xFFFFFFFF,
                                          len(name), len(extra), 0, 0, 0, 0, 0xFFFFFFFF) + name + extra)
    (member,) = kernel_harvest.parse_directory(record, "x")
    assert member == kernel_harvest.Member(name.decode(), 8, 123, 4_800_000_000, 5_000_000_000, 6_000_000_000)
    with pytest.raises(kernel_harvest.HarvestError, match="damaged"):
        kernel_harvest.parse_directory(record + b"junk", "x")


def test_the_shipped_catalog_uses_its_measured_lists():
    cat = load()
    release = cat.framework("torch").release("2.15.0")
    variant = next(v for v in release.variants if "linux-aarch64" in v.pypi_default)
    found = kernels_of(cat, "torch", "2.15.0", variant, "linux-aarch64")
    assert found.method == "fatbin" and found.verified and "sm_110" in found.sass

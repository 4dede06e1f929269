"""catalog sync --index: a stand-in simple index on 127.0.0.1, served as PEP 503 HTML or PEP 691
JSON, with small wheels built here; some offer PEP 658 .metadata files, the others are read with
range requests."""

from __future__ import annotations

import hashlib
import html
import io
import json
import lzma
import socket
import threading
import urllib.parse
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from resolver import catalog, pypi, sync

INDEX = "https://download.pytorch.org/whl/cu118"
ORIGIN = "https://download.pytorch.org"
TORCH_FILE = "download-pytorch-org-whl-cu118-torch.yaml"
VISION_FILE = "download-pytorch-org-whl-cu118-torchvision.yaml"
LINUX_REQUIRES = ["filelock", "nvidia-cudnn-cu11==9.1.0.70; platform_system == \"Linux\"",
                  "nvidia-nccl-cu11==2.20.5; platform_system == \"Linux\""]


class _QuietServer(ThreadingHTTPServer):
    """The stand-in index: a client that stops reading (the oversized-page case) is normal here, and
    its traceback must not reach the stderr the command under test writes to."""

    def handle_error(self, request, client_address) -> None:
        pass


# ---- the stand-in index ------------------------------------------------------------------------

def build_wheel(filename: str, requires: list[str]) -> bytes:
    """A small wheel whose METADATA sits before some other members (as real wheels have it)."""
    name, version = filename.split("-")[:2]
    members = {
        f"{name}/__init__.py": "# nothing here is ever run\n",
        f"{name}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        + "".join(f"Requires-Dist: {r}\n" for r in requires) + "\nA long description.\n",
        f"{name}-{version}.dist-info/WHEEL": f"Wheel-Version: 1.0\nTag: {'-'.join(filename[:-4].split('-')[2:])}\n",
        f"{name}-{version}.dist-info/RECORD": "",
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, text in members.items():  # a fixed date: the same wheel, the same sha256
            zf.writestr(zipfile.ZipInfo(member, date_time=(2024, 7, 24, 0, 0, 0)), text, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


class Wheel:
    def __init__(self, filename: str, requires: list[str], *, metadata: str | None = None,
                 yanked: str | None = None, requires_python: str | None = ">=3.8"):
        self.filename, self.requires = filename, requires
        self.blob = build_wheel(filename, requires)
        self.sha256 = hashlib.sha256(self.blob).hexdigest()
        self.metadata = metadata  # None: no .metadata file; "hash": offered with its sha256; "true": without
        self.meta_blob = zipfile.ZipFile(io.BytesIO(self.blob)).read(
            f"{'-'.join(filename.split('-')[:2])}.dist-info/METADATA")
        self.yanked, self.requires_python = yanked, requires_python

    @property
    def path(self) -> str:
        return "/whl/cu118/" + self.filename

    @property
    def url(self) -> str:
        return ORIGIN + "/whl/cu118/" + urllib.parse.quote(self.filename)


def projects() -> dict[str, list[Wheel]]:
    return {
        "torch": [
            Wheel("torch-2.4.0+cu118-cp312-cp312-linux_x86_64.whl", LINUX_REQUIRES, metadata="hash"),
            Wheel("torch-2.4.0+cu118-cp311-cp311-linux_x86_64.whl", LINUX_REQUIRES, metadata="hash"),
            Wheel("torch-2.4.0+cu118-cp312-cp312-win_amd64.whl", ["filelock"]),
            Wheel("torch-2.4.1+cu118-cp312-cp312-linux_x86_64.whl", LINUX_REQUIRES, metadata="true",
                  yanked="broken build"),
            Wheel("torch-2.3.1+cu118-cp312-cp312-linux_x86_64.whl", LINUX_REQUIRES),  # not catalogued
        ],
        "torchvision": [
            Wheel("torchvision-0.19.0+cu118-cp312-cp312-linux_x86_64.whl", ["numpy", "torch==2.4.0"]),
            Wheel("torchvision-0.19.0+cu118-cp312-cp312-win_amd64.whl", ["numpy", "torch==2.4.0"], metadata="hash"),
        ],  # no 0.19.1+cu118: the catalog pairs it with torch 2.4.1, the index lacks it
    }


def html_page(project: str, wheels: list[Wheel]) -> bytes:
    rows = []
    for i, w in enumerate(wheels):
        # Absolute-path and relative hrefs both resolve against the page URL.
        href = (f"/whl/cu118/{urllib.parse.quote(w.filename)}" if i % 2 == 0
                else f"../{urllib.parse.quote(w.filename)}") + f"#sha256={w.sha256}"
        attrs = [f'href="{html.escape(href)}"']
        if w.requires_python:
            attrs.append(f'data-requires-python="{html.escape(w.requires_python)}"')
        if w.metadata == "hash":
            attrs.append(f'data-core-metadata="sha256={hashlib.sha256(w.meta_blob).hexdigest()}"')
        elif w.metadata == "true":
            attrs.append('data-dist-info-metadata="true"')
        if w.yanked:
            attrs.append(f'data-yanked="{html.escape(w.yanked)}"')
        rows.append(f"<a {' '.join(attrs)}>{html.escape(w.filename)}</a><br/>")
    rows.append(f'<a href="/whl/cu118/{project}-0.1.tar.gz">{project}-0.1.tar.gz</a><br/>')  # an sdist: skipped
    return ("<!DOCTYPE html>\n<html>\n<body>\n<h1>Links for " + project + "</h1>\n" + "\n".join(rows)
            + "\n</body>\n</html>\n").encode()


def json_page(project: str, wheels: list[Wheel]) -> bytes:
    files = []
    for i, w in enumerate(wheels):
        url = w.url if i % 2 == 0 else "../" + urllib.parse.quote(w.filename)  # PEP 691 allows relative URLs
        entry: dict = {"filename": w.filename, "url": url, "hashes": {"sha256": w.sha256},
                       "requires-python": w.requires_python, "yanked": w.yanked or False, "size": len(w.blob)}
        if w.metadata == "hash":
            entry["core-metadata"] = {"sha256": hashlib.sha256(w.meta_blob).hexdigest()}
        elif w.metadata == "true":
            entry["dist-info-metadata"] = True
        files.append(entry)
    files.append({"filename": f"{project}-0.1.tar.gz", "url": f"{ORIGIN}/whl/cu118/{project}-0.1.tar.gz", "hashes": {}})
    return json.dumps({"meta": {"api-version": "1.1"}, "name": project, "files": files}).encode()


class StandIn:
    """A simple index on 127.0.0.1 serving ``form`` ("html" or "json") pages, wheels with HTTP
    Range support and .metadata files. ``override`` replaces one path's answer; ``log`` lists
    (path, Range header) of every request."""

    def __init__(self, form: str):
        self.form = form
        self.override: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.log: list[tuple[str, str | None]] = []
        self.files: dict[str, bytes] = {}
        self.pages: dict[str, tuple[str, bytes]] = {}
        for project, wheels in projects().items():
            page = (("application/vnd.pypi.simple.v1+json", json_page(project, wheels)) if form == "json"
                    else ("text/html; charset=utf-8", html_page(project, wheels)))
            self.pages[f"/whl/cu118/{project}/"] = page
            for w in wheels:
                self.files[w.path] = w.blob
                if w.metadata:
                    self.files[w.path + ".metadata"] = w.meta_blob
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
                stand_in.log.append((path, self.headers.get("Range")))
                if path in stand_in.override:
                    self.answer(*stand_in.override[path])
                elif path in stand_in.pages:
                    content_type, body = stand_in.pages[path]
                    self.answer(200, {"Content-Type": content_type}, body)
                elif path in stand_in.files:
                    self.serve_file(stand_in.files[path])
                else:
                    self.answer(404, {"Content-Type": "text/plain"}, b"not found")

            def serve_file(self, blob: bytes):
                wanted = self.headers.get("Range")
                if not wanted:
                    self.answer(200, {"Content-Type": "application/octet-stream"}, blob)
                    return
                first, _, last = wanted.removeprefix("bytes=").partition("-")
                if not first:
                    start, end = max(0, len(blob) - int(last)), len(blob) - 1
                else:
                    start, end = int(first), min(int(last) if last else len(blob) - 1, len(blob) - 1)
                self.answer(206, {"Content-Type": "application/octet-stream",
                                  "Content-Range": f"bytes {start}-{end}/{len(blob)}"}, blob[start : end + 1])

            def answer(self, status: int, headers: dict[str, str], body: bytes):
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture(params=["html", "json"])
def index(request, monkeypatch):
    """The stand-in, reached in place of download.pytorch.org (the URLs written stay the index's)."""
    server = StandIn(request.param)
    monkeypatch.setattr(pypi.LiveSource, "connect_to", {ORIGIN: server.origin})
    yield server
    server.stop()


def _sync(envsolve, mini: Path, *args: str):
    return envsolve("--catalog-dir", mini, "catalog", "sync", "--index", INDEX, *args)


def _written(mini: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((mini / "index").glob("*"))}


# ---- what is harvested -------------------------------------------------------------------------

def test_harvests_exactly_the_catalogued_builds(index, mini, envsolve):
    result = _sync(envsolve, mini)
    assert result.code == 0, result
    assert set(_written(mini)) == {TORCH_FILE, VISION_FILE}
    data = yaml.safe_load((mini / "index" / TORCH_FILE).read_bytes())
    wheels = {w.filename: w for w in projects()["torch"]}
    assert {k: data[k] for k in ("schema", "kind", "index", "project", "source", "generated_by")} == {
        "schema": "envsolve.catalog/1", "kind": "index", "index": INDEX, "project": "torch",
        "source": INDEX + "/torch/", "generated_by": f"envsolve catalog sync --index {INDEX} torch"}
    # 2.3.1+cu118 is on the index but not in the catalog: not harvested
    assert [r["version"] for r in data["releases"]] == ["2.4.0+cu118", "2.4.1+cu118"]
    first, second = data["releases"]
    assert first["requires_python"] == ">=3.8" and "yanked" not in first
    assert [(w["filename"], w["sha256"], w["url"]) for w in first["wheels"]] == [
        (name, wheels[name].sha256, wheels[name].url) for name in sorted(wheels) if name.startswith("torch-2.4.0")]
    assert first["metadata"] == [
        {"platforms": ["linux-x86_64"], "from": "torch-2.4.0+cu118-cp312-cp312-linux_x86_64.whl",
         "requires_dist": LINUX_REQUIRES, "provides_extra": []},
        {"platforms": ["windows-amd64"], "from": "torch-2.4.0+cu118-cp312-cp312-win_amd64.whl",
         "requires_dist": ["filelock"], "provides_extra": []},
    ]
    assert second["yanked"] == "broken build"
    assert second["wheels"][0]["url"] == ORIGIN + "/whl/cu118/torch-2.4.1%2Bcu118-cp312-cp312-linux_x86_64.whl"
    vision = yaml.safe_load((mini / "index" / VISION_FILE).read_bytes())
    assert [r["version"] for r in vision["releases"]] == ["0.19.0+cu118"]
    assert vision["releases"][0]["metadata"][0]["platforms"] == ["linux-x86_64", "windows-amd64"]
    assert vision["releases"][0]["metadata"][0]["requires_dist"] == ["numpy", "torch==2.4.0"]
    assert f"index/{VISION_FILE}: added 0.19.0+cu118; not on the index 0.19.1+cu118" in result.out
    # the catalog reads what was written
    cat = catalog.load(mini, use_cache=False)
    built = cat.indexed[(INDEX, "torch")]
    assert sorted(built.releases) == ["2.4.0+cu118", "2.4.1+cu118"]
    assert built.releases["2.4.0+cu118"].metadata[0].requires_dist == tuple(LINUX_REQUIRES)


def test_metadata_files_and_range_requests_are_both_used_never_a_whole_wheel(index, mini, envsolve):
    assert _sync(envsolve, mini).code == 0
    asked = {}
    for path, wanted in index.log:
        asked.setdefault(path, []).append(wanted)
    # .metadata where offered (with and without a sha256) ...
    assert asked["/whl/cu118/torch-2.4.0+cu118-cp312-cp312-linux_x86_64.whl.metadata"] == [None]
    assert asked["/whl/cu118/torch-2.4.1+cu118-cp312-cp312-linux_x86_64.whl.metadata"] == [None]
    # ... else range requests into the wheel (a suffix range when the page gives no size)
    windows = asked["/whl/cu118/torch-2.4.0+cu118-cp312-cp312-win_amd64.whl"]
    assert windows and all(r and r.startswith("bytes=") for r in windows)
    assert windows[0] == ("bytes=-262144" if index.form == "html" else f"bytes=0-{len(index.files['/whl/cu118/torch-2.4.0+cu118-cp312-cp312-win_amd64.whl']) - 1}")
    wheels_read_whole = [p for p, r in index.log if p.endswith(".whl") and r is None]
    assert wheels_read_whole == []
    # the representative is the newest CPython; uncatalogued builds are never read
    assert not any("cp311" in p or "2.3.1" in p for p in asked)


def test_html_and_json_pages_give_identical_files(mini, envsolve, monkeypatch, tmp_path):
    import shutil

    outputs = {}
    for form in ("html", "json"):
        folder = tmp_path / form
        shutil.copytree(mini, folder)
        server = StandIn(form)
        monkeypatch.setattr(pypi.LiveSource, "connect_to", {ORIGIN: server.origin})
        try:
            assert _sync(envsolve, folder).code == 0
        finally:
            server.stop()
        outputs[form] = _written(folder)
    assert outputs["html"] == outputs["json"]
    assert outputs["html"][TORCH_FILE].startswith(
        b"# Generated by `envsolve catalog sync --index` from a package index (" + INDEX.encode() + b"/torch/).\n")


def test_a_second_run_changes_nothing(index, mini, envsolve):
    assert _sync(envsolve, mini).code == 0
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (mini / "index").glob("*")}
    again = _sync(envsolve, mini)
    assert again.code == 0, again
    assert "catalog already up to date" in again.err + again.out
    assert f"index/{TORCH_FILE}: unchanged" in again.out
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (mini / "index").glob("*")} == before
    assert _sync(envsolve, mini, "--check").code == 0


def test_projects_narrow_and_all_means_every_named_index(index, mini, envsolve):
    result = _sync(envsolve, mini, "torchvision")
    assert result.code == 0, result
    assert set(_written(mini)) == {VISION_FILE}
    every = envsolve("--catalog-dir", mini, "catalog", "sync", "--index", "all", "--dry-run")
    assert every.code == 0, every
    # the CPU index is named, but the mini catalog has no build there
    assert "https://download.pytorch.org/whl/cpu: the catalog has no build of torch there; skipped" in every.out
    assert f"index/{TORCH_FILE}: added 2.4.0+cu118, 2.4.1+cu118" in every.out


def test_the_difference_against_a_generated_file_is_printed_then_replaced(index, mini, envsolve):
    generated = {
        "schema": "envsolve.catalog/1", "kind": "index", "index": INDEX, "project": "torch",
        "source": "github:pytorch/pytorch/.github/scripts/generate_binary_build_matrix.py@abc123",
        "generated_by": "envsolve catalog import-matrix",
        "releases": [{"version": "2.4.0+cu118", "wheels": [],
                      "metadata": [{"platforms": ["linux-x86_64", "windows-amd64"], "from": "torch-2.4.0+cu118",
                                    "requires_dist": ["filelock", "nvidia-cudnn-cu11==9.1.0.70; platform_system == 'Linux'",
                                                      "nvidia-cublas-cu11==11.11.3.6; platform_system == 'Linux'"]}]}],
    }
    (mini / "index").mkdir()
    (mini / "index" / TORCH_FILE).write_text(yaml.safe_dump(generated, sort_keys=False))
    result = _sync(envsolve, mini, "torch")
    assert result.code == 0, result
    lines = result.out.splitlines()
    start = lines.index(f"index/{TORCH_FILE}: replaces a file generated from {generated['source']}; the index's "
                        "Requires-Dist agrees on 0 build/platform pair(s), and differs:")
    assert lines[-1] == "1 file(s) updated"
    assert lines[start + 1 : -1] == [
        "  2.4.0+cu118 linux-x86_64: + nvidia-nccl-cu11==2.20.5; platform_system == \"Linux\"",
        "  2.4.0+cu118 linux-x86_64: - nvidia-cublas-cu11==11.11.3.6; platform_system == \"Linux\"",
        "  2.4.0+cu118 windows-amd64: - nvidia-cublas-cu11==11.11.3.6; platform_system == \"Linux\"",
        "  2.4.0+cu118 windows-amd64: - nvidia-cudnn-cu11==9.1.0.70; platform_system == \"Linux\"",
        "  2.4.1+cu118 linux-x86_64: only harvested (not in the replaced file)",
        *[f"  2.4.1+cu118 linux-x86_64: + {r}" for r in LINUX_REQUIRES],
    ]
    data = yaml.safe_load((mini / "index" / TORCH_FILE).read_bytes())
    assert data["source"] == INDEX + "/torch/"  # harvested data won
    # harvested once, the file is the index's own: a rerun prints no such difference
    assert "replaces a file" not in _sync(envsolve, mini, "torch").out


# ---- recording and replaying -------------------------------------------------------------------

def test_record_then_replay_without_the_index(index, mini, envsolve, tmp_path):
    recording = tmp_path / "index.json.xz"
    assert _sync(envsolve, mini, "--record", recording).code == 0
    data = json.loads(lzma.decompress(recording.read_bytes()))
    assert sorted(data["pages"]) == [INDEX + "/torch/", INDEX + "/torchvision/"]
    asked = len(index.log)
    written = _written(mini)
    (mini / "index" / TORCH_FILE).unlink()
    replayed = _sync(envsolve, mini, "--replay", recording)
    assert replayed.code == 0, replayed
    assert _written(mini) == written
    assert len(index.log) == asked  # the replay asked the index nothing


def test_a_pypi_recording_has_no_pages_table_and_old_recordings_replay():
    payload = {"format": pypi.RECORDING_FORMAT, "responses": {"simple:torch": "{}"}}
    old = lzma.compress(json.dumps(payload).encode())
    assert pypi.ReplaySource(old).simple("torch") == "{}"
    rec = pypi.RecordingSource(pypi.ReplaySource(old))
    rec.simple("torch")
    assert "pages" not in json.loads(lzma.decompress(rec.dump()))
    with pytest.raises(pypi.SyncError, match="has no page https://download.pytorch.org/whl/cu118/torch/"):
        pypi.ReplaySource(old).page(INDEX, "torch")


# ---- bad input ---------------------------------------------------------------------------------

def test_an_unreachable_index_is_exit_3_and_nothing_is_written(mini, envsolve, monkeypatch):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    monkeypatch.setattr(pypi.LiveSource, "connect_to", {ORIGIN: f"http://127.0.0.1:{port}"})
    monkeypatch.setattr(pypi.LiveSource.__init__, "__defaults__", (pypi.PYPI_SIMPLE, 2.0, 0))
    result = _sync(envsolve, mini)
    assert result.code == 3, result
    assert len(result.err.strip().splitlines()) == 1
    assert result.err.startswith(f"error: sync failed, nothing written: index {INDEX}: cannot reach {INDEX}/torch/")
    assert not (mini / "index").exists()


def _page(form: str, project: str = "torch") -> bytes:
    wheels = projects()[project]
    return html_page(project, wheels) if form == "html" else json_page(project, wheels)


def _html(*anchors: str) -> bytes:
    return ("<!DOCTYPE html><html><body>\n" + "\n".join(anchors) + "\n</body></html>").encode()


W = "torch-2.4.0+cu118-cp312-cp312-linux_x86_64.whl"
HTML = "text/html"
JSON = "application/vnd.pypi.simple.v1+json"
BAD_PAGES = {
    "json-truncated": (JSON, b'{"meta": {"api-version": "1.1"}, "files": [{"filename": "tor', "not JSON (Unterminated string"),
    "json-api-version": (JSON, b'{"meta": {"api-version": "2.0"}, "files": []}', "meta.api-version is '2.0'"),
    "json-bad-sha256": (JSON, json.dumps({"meta": {"api-version": "1.0"}, "files": [
        {"filename": W, "url": f"{ORIGIN}/whl/cu118/{W}", "hashes": {"sha256": "abc"}}]}).encode(),
        f"files[0] ('{W}').hashes.sha256: 'abc' is not a sha256"),
    "json-files-not-a-list": (JSON, b'{"meta": {"api-version": "1.0"}, "files": {}}', "files is not a list"),
    "json-yanked-type": (JSON, json.dumps({"meta": {"api-version": "1.0"}, "files": [
        {"filename": W, "url": f"{ORIGIN}/whl/cu118/{W}", "hashes": {}, "yanked": 3}]}).encode(),
        f"files[0] ('{W}').yanked is neither"),
    "html-bad-sha256": (HTML, _html(f'<a href="/whl/cu118/{W}#sha256=XYZ">{W}</a>'),
                        f"line 2 ('{W}'): #sha256: 'XYZ' is not a sha256"),
    "html-non-wheel-href": (HTML, _html('<a href="/whl/cu118/setup.exe">setup.exe</a>'),
                            "'setup.exe' is neither a wheel nor a source distribution"),
    "html-javascript-href": (HTML, _html('<a href="javascript:alert(1)">x</a>'), "only https URLs are allowed"),
    "html-http-href": (HTML, _html(f'<a href="http://download.pytorch.org/whl/cu118/{W}">{W}</a>'),
                       "only https URLs are allowed, not 'http'"),
    "html-other-host": (HTML, _html(f'<a href="https://download.pytorch.org.evil.example/{W}">{W}</a>'),
                        "leaves the index's host for 'download.pytorch.org.evil.example'"),
    "html-wrong-project": (HTML, _html('<a href="/whl/cu118/numpy-2.0.0-cp312-cp312-linux_x86_64.whl">n</a>'),
                           "a wheel of numpy, not of torch"),
    "html-bad-wheel-name": (HTML, _html('<a href="/whl/cu118/torch-latest.whl">t</a>'), "not a wheel filename"),
    "html-no-href": (HTML, _html("<a>torch</a>"), "line 2: <a> without href"),
    "html-bad-metadata-attr": (HTML, _html(f'<a href="/whl/cu118/{W}" data-core-metadata="sha256=zz">{W}</a>'),
                               "data-core-metadata: 'zz' is not a sha256"),
    "html-bad-requires-python": (HTML, _html(f'<a href="/whl/cu118/{W}" data-requires-python="&gt;=3.8,&lt;">{W}</a>'),
                                 "requires-python '>=3.8,<' is not a version specifier"),
    "not-a-page": (HTML, b"\x00\x01binary", "not an HTML page (no tags)"),
    "wrong-content-type": ("application/octet-stream", b"{}", "served as 'application/octet-stream'"),
}


@pytest.mark.parametrize("case", sorted(BAD_PAGES))
def test_a_malformed_page_is_exit_2_naming_the_page_and_field(case, mini, envsolve, monkeypatch):
    content_type, body, message = BAD_PAGES[case]
    server = StandIn("html")
    server.override["/whl/cu118/torch/"] = (200, {"Content-Type": content_type}, body)
    monkeypatch.setattr(pypi.LiveSource, "connect_to", {ORIGIN: server.origin})
    try:
        result = _sync(envsolve, mini, "torch")
    finally:
        server.stop()
    assert result.code == 2, result
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert result.err.startswith(f"error: sync failed, nothing written: {INDEX}/torch/: "), result.err
    assert message in result.err
    assert "Traceback" not in result.err
    assert not (mini / "index").exists()


def test_bad_answers_from_the_server_are_exit_2(mini, envsolve, monkeypatch):
    server = StandIn("html")
    monkeypatch.setattr(pypi.LiveSource, "connect_to", {ORIGIN: server.origin})
    metadata = f"/whl/cu118/{W}.metadata"
    cases = {
        "redirect to another host": ("/whl/cu118/torch/", (302, {"Location": "https://evil.example/simple/torch/"}, b""),
                                     "redirected to another host ('https://evil.example/simple/torch/'); not followed"),
        "oversized page": ("/whl/cu118/torch/", (200, {"Content-Type": "text/html"}, b"<a>" * (1024 * 1024)),
                           f"{INDEX}/torch/: response larger than 1048576 bytes; refused"),
        "metadata sha256 mismatch": (metadata, (200, {}, b"Metadata-Version: 2.1\nName: torch\nRequires-Dist: evil\n"),
                                     f"{ORIGIN}/whl/cu118/torch-2.4.0%2Bcu118-cp312-cp312-linux_x86_64.whl.metadata: "
                                     "its sha256 is"),
        "range ignored": ("/whl/cu118/torch-2.4.0+cu118-cp312-cp312-win_amd64.whl",
                          (200, {}, b"PK" * 1000), "the server ignored the range request"),
    }
    monkeypatch.setattr(pypi, "PAGE_LIMIT", 1024 * 1024)
    try:
        for name, (path, answer, message) in cases.items():
            server.override = {path: answer}
            result = _sync(envsolve, mini, "torch")
            assert result.code == 2, (name, result)
            assert len(result.err.strip().splitlines()) == 1, (name, result.err)
            assert message in result.err, (name, result.err)
            assert not (mini / "index").exists(), name
    finally:
        server.stop()


def test_index_urls_are_checked(mini, envsolve):
    plain = envsolve("--catalog-dir", mini, "catalog", "sync", "--index", "http://download.pytorch.org/whl/cu118")
    assert plain.code == 2 and "only https URLs are allowed" in plain.err, plain
    unknown = envsolve("--catalog-dir", mini, "catalog", "sync", "--index", "https://download.pytorch.org/whl/cu119")
    assert unknown.code == 2, unknown
    assert "no framework names this index in its indexes: map; did you mean https://download.pytorch.org/whl/cu118?" in unknown.err
    wrong = envsolve("--catalog-dir", mini, "catalog", "sync", "--index", INDEX, "numpy")
    assert wrong.code == 2 and "not a project of this index: numpy (known: torch, torchvision)" in wrong.err, wrong


def test_plan_and_file_names(mini):
    cat = catalog.load(mini, use_cache=False)
    assert sync.index_file_name("https://download.pytorch.org/whl/cu126", "torch") == "download-pytorch-org-whl-cu126-torch.yaml"
    assert sync.index_file_name("https://download.pytorch.org/whl/rocm6.2.4/", "Torch_Vision") == (
        "download-pytorch-org-whl-rocm6-2-4-torch-vision.yaml")
    plans = {(p.index, p.project): p.versions for p in sync.index_plan(cat, ["all"])}
    assert plans == {
        (INDEX, "torch"): ("2.4.0+cu118", "2.4.1+cu118"),
        (INDEX, "torchvision"): ("0.19.0+cu118", "0.19.1+cu118"),
        ("https://download.pytorch.org/whl/cpu", "torch"): (),
        ("https://download.pytorch.org/whl/cpu", "torchvision"): (),
    }


def test_fetching_is_https_only_but_for_a_loopback_stand_in():
    assert pypi.fetch_url_error("https://download.pytorch.org/whl/cu118/torch/") is None
    assert pypi.fetch_url_error("http://127.0.0.1:8080/whl/") is None
    assert "only https" in pypi.fetch_url_error("http://download.pytorch.org/whl/")
    assert "only https" in pypi.fetch_url_error("file:///etc/passwd")
    assert "credentials" in pypi.fetch_url_error("https://user:token@download.pytorch.org/whl/")

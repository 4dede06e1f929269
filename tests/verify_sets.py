"""Small lock sets for the verify tests, written by hand (not by envsolve's solver): tiny wheels
with a real RECORD, a PEP 751 pylock whose wheel URLs are file:// URLs into a local folder, a
requirements file whose --index-url is a local PEP 503 folder, and an envsolve.json that lists
every file's sha256. Nothing here reaches a network."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import zipfile
from pathlib import Path

from resolver import probe
from resolver.rules.platform import platform_of

HOST_PLATFORM = platform_of(probe.host_os(), probe.host_arch())
HOST_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"

FAKEDEP = {"fakedep/__init__.py": "VALUE = 42\n"}
FAKEFW = {  # a framework stand-in whose import checks its own dependency and data file
    "fakefw/__init__.py": (
        "import json, pathlib\n"
        "import fakedep\n"
        "__version__ = '1.0'\n"
        "_data = json.loads((pathlib.Path(__file__).parent / 'data.json').read_text())\n"
        "if fakedep.VALUE != _data['value']:\n"
        "    raise RuntimeError('fakefw self-check: fakedep.VALUE is %r, expected %r' % (fakedep.VALUE, _data['value']))\n"
    ),
    "fakefw/data.json": '{"value": 42}\n',
}
FAKEFW_BROKEN = dict(FAKEFW, **{"fakefw/data.json": '{"value": 41}\n'})
FAKE_TORCH = {  # just enough of torch's API for envsolve's CPU and library steps (a CUDA build, no GPU)
    "torch/__init__.py": (
        "__version__ = '2.8.0+cpu'\n"
        "float32 = 'float32'\n"
        "class version:\n"
        "    cuda = None\n"
        "    hip = None\n"
        "class cuda:\n"
        "    @staticmethod\n"
        "    def is_available():\n"
        "        return False\n"
        "    class nccl:\n"
        "        @staticmethod\n"
        "        def version():\n"
        "            return (2, 27, 3)\n"
        "class backends:\n"
        "    class cudnn:\n"
        "        @staticmethod\n"
        "        def version():\n"
        "            return 91002\n"
        "def get_num_threads():\n"
        "    return 1\n"
        "class Tensor:\n"
        "    def __init__(self, rows):\n"
        "        self.rows = [list(r) for r in rows]\n"
        "    @property\n"
        "    def T(self):\n"
        "        return Tensor(zip(*self.rows))\n"
        "    def __matmul__(self, other):\n"
        "        cols = list(zip(*other.rows))\n"
        "        return Tensor([[sum(a * b for a, b in zip(r, c)) for c in cols] for r in self.rows])\n"
        "    def tolist(self):\n"
        "        return self.rows\n"
        "def tensor(rows, dtype=None):\n"
        "    return Tensor(rows)\n"
    ),
}


def wheel(folder: Path, name: str, version: str, files: dict[str, str], requires: tuple[str, ...] = ()) -> Path:
    """A pure-Python wheel with a valid RECORD."""
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    entries = dict(files)
    entries[f"{info}/METADATA"] = (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                                   + "".join(f"Requires-Dist: {r}\n" for r in requires))
    entries[f"{info}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: envsolve-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = []
    for path, text in entries.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    entries[f"{info}/RECORD"] = "\n".join(record + [f"{info}/RECORD,,"]) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(out, "w") as zf:
        for path, text in sorted(entries.items()):
            zf.writestr(zipfile.ZipInfo(path, (2020, 1, 1, 0, 0, 0)), text)
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_set(root: Path, packages: list[tuple[str, str, str, dict[str, str], tuple[str, ...]]], *,
             accelerator: str = "cpu", platform: str = HOST_PLATFORM, python: str = HOST_PYTHON,
             nccl: str | None = None, cudnn: str | None = None, url_base: str | None = None,
             name: str | None = None) -> Path:
    """A lock set in root/<name> of ``packages``: (name, version, role, files, requires). Wheels go
    to root/files, a PEP 503 index of them to root/simple; ``url_base`` replaces the wheels' file://
    URLs in the pylock (to point them somewhere unreachable)."""
    frameworks = [p for p in packages if p[2] == "framework"]
    name = name or f"{'-'.join(p[0] for p in frameworks)}-{accelerator}-{platform}-py{python.replace('.', '')}"
    files_dir, simple = root / "files", root / "simple"
    built = []
    for dist, version, role, files, requires in packages:
        path = wheel(files_dir, dist, version, files, requires)
        built.append((dist, version, role, path))
        page = simple / dist
        page.mkdir(parents=True, exist_ok=True)
        page.joinpath("index.html").write_text(
            f'<html><body><a href="{path.resolve().as_uri()}#sha256={_sha(path)}">{path.name}</a></body></html>\n')
    folder = root / name
    folder.mkdir(parents=True)
    header = f"# Generated by envsolve (test). Do not edit.\n# Regenerate: envsolve {name}\n"
    docs: dict[str, str] = {}
    lines = [header, f"--index-url {simple.resolve().as_uri()}/\n"]
    for dist, version, _, path in built:
        lines.append(f"{dist}=={version} \\\n    --hash=sha256:{_sha(path)}\n")
    docs["requirements.txt"] = "".join(lines)
    env = {"linux": ("linux", "x86_64"), "windows": ("win32", "AMD64"), "macos": ("darwin", "arm64")}
    sys_platform, machine = env[platform.split("-")[0]]
    machine = platform.split("-")[1] if platform.startswith("linux-") else machine
    pylock = [header, 'lock-version = "1.0"\n',
              f'environments = ["sys_platform == \\"{sys_platform}\\" and platform_machine == \\"{machine}\\""]\n',
              f'requires-python = "=={python}.*"\ncreated-by = "envsolve"\n']
    for dist, version, _, path in built:
        url = f"{url_base}/{path.name}" if url_base else path.resolve().as_uri()
        pylock.append(f'\n[[packages]]\nname = "{dist}"\nversion = "{version}"\n\n[[packages.wheels]]\n'
                      f'name = "{path.name}"\nurl = "{url}"\n\n[packages.wheels.hashes]\nsha256 = "{_sha(path)}"\n')
    docs[f"pylock.{name}.toml"] = "".join(pylock)
    for doc, text in docs.items():
        (folder / doc).write_text(text)
    os_name = {"linux": "linux", "windows": "windows", "macos": "macos"}[platform.split("-")[0]]
    manifest = {
        "schema": "envsolve.solution/1", "status": "ok", "envsolve": "0.1.0", "catalog_digest": "0" * 64,
        "request": {"stack": [{"framework": p[0], "specifier": ""} for p in frameworks], "accelerator": accelerator,
                    "cuda": None, "rocm": None, "strict": False},
        "target": {"os": os_name, "arch": platform.split("-")[1], "platform": platform, "python": python,
                   "edition": None, "glibc": None, "driver": None, "gpus": []},
        "packages": [{"name": d, "version": v, "role": r, "variant": None, "index": "https://pypi.org/simple",
                      "extras": [], "verified": True} for d, v, r, _ in built if r != "dependency"],
        "system": {"cuda": None, "cudnn": cudnn, "nccl": nccl, "driver_min": {}, "gpu_support": {"sass": [], "ptx": []}},
        "warnings": [], "install": [], "conflict": None,
        "lock": {"schema": "envsolve.lock/1", "name": name, "command": f"envsolve {name}", "transitive": True,
                 "unhashed": [],
                 "artifacts": {d: [{"filename": p.name, "url": p.resolve().as_uri(), "sha256": _sha(p)}]
                               for d, _, _, p in built},
                 "files": {doc: _sha(folder / doc) for doc in sorted(docs)}},
    }
    (folder / "envsolve.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return folder


def fakefw_set(root: Path, broken: bool = False, **kw) -> Path:
    return make_set(root, [("fakefw", "1.0", "framework", FAKEFW_BROKEN if broken else FAKEFW, ("fakedep==2.0",)),
                           ("fakedep", "2.0", "dependency", FAKEDEP, ())], **kw)


def torch_set(root: Path, **kw) -> Path:
    return make_set(root, [("torch", "2.8.0", "framework", FAKE_TORCH, ())], **kw)

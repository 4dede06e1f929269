"""The smoke tests ``envsolve verify`` runs inside the environment it installed.

This file is fixed code: it runs as ``python -I smoke.py`` under the lock set's own interpreter,
where envsolve is not installed, so it uses the standard library only and never imports envsolve.
Nothing in it is built from lockfile text; the values it needs arrive as one JSON object on stdin
and are checked by :func:`validate` (the same function :mod:`resolver.verify` calls before
sending them):

    {"protocol": 1, "distribution": "torch", "version": "2.8.0",
     "steps": ["import", "version", "cpu", ...], "expect": {"cudnn": "9.10.2.21", "nccl": "2.27.3"}}

It writes one JSON line per step to its stdout, ``{"step", "status", "seconds", "output"}`` with
status ``passed``, ``failed`` or ``skipped``, in the order asked; everything else the frameworks
print (on fd 1 or 2) goes to stderr. It exits 0 after the last step, 2 on input it refuses.

Steps: ``import``; ``version`` (the distribution's metadata version, and the module's own
``__version__``, equal the lock's); ``cpu`` (a small matrix product on the CPU, checked); and on a
GPU: ``gpu-devices`` (count and names), ``gpu-matmul`` (a matrix product on the GPU, checked against
the CPU) and ``gpu-conv`` (a convolution through cuDNN/MIOpen, checked against the CPU). For torch,
``cudnn`` and ``nccl`` compare the cuDNN and NCCL the framework loads with the lock's; they need no
GPU. A framework without its own steps here gets ``import`` and ``version`` only.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
import time
import traceback
from typing import Any, Callable

PROTOCOL = 1
DISTRIBUTION = re.compile(r"^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$")
VERSION = re.compile(r"^[0-9][0-9A-Za-z.+!_-]{0,63}$")
DOTTED = re.compile(r"^\d{1,4}(\.\d{1,6}){1,3}$")

COMMON = ("import", "version")
GPU_STEPS = ("gpu-devices", "gpu-matmul", "gpu-conv")  # need a GPU
LIBRARY_STEPS = ("cudnn", "nccl")  # the loaded library's version against the lock's: no GPU needed
STEPS = {  # distribution -> its steps, in the order they run
    "torch": COMMON + ("cpu", "cudnn", "nccl", "gpu-devices", "gpu-matmul", "gpu-conv"),
    "tensorflow": COMMON + ("cpu", "gpu-devices", "gpu-matmul", "gpu-conv"),
    "jax": COMMON + ("cpu", "gpu-devices", "gpu-matmul"),
}
MODULES = {"torch": "torch", "tensorflow": "tensorflow", "jax": "jax"}
OUTPUT_LINES = 30


class Refused(ValueError):
    """Input this script does not accept."""


class StepFailed(Exception):
    """A check inside a step did not hold; the message says what was seen."""


def steps_for(distribution: str) -> tuple[str, ...]:
    """The steps a framework distribution has (``import`` and ``version`` for one not known here)."""
    return STEPS.get(distribution, COMMON)


def module_for(distribution: str) -> str:
    """The module a framework distribution installs (its name with ``_`` for ``-`` and ``.``)."""
    return MODULES.get(distribution, re.sub(r"[-.]", "_", distribution))


def validate(payload: object) -> dict[str, Any]:
    """The payload if every field is as expected; raises :class:`Refused` naming the field."""
    if not isinstance(payload, dict):
        raise Refused("input: not a JSON object")
    unknown = sorted(set(payload) - {"protocol", "distribution", "version", "steps", "expect"})
    if unknown:
        raise Refused(f"input: unknown field {unknown[0]!r}")
    if payload.get("protocol") != PROTOCOL:
        raise Refused(f"input.protocol: expected {PROTOCOL}")
    dist = payload.get("distribution")
    if not isinstance(dist, str) or not DISTRIBUTION.match(dist) or not module_for(dist).isidentifier():
        raise Refused("input.distribution: not a distribution name")
    version = payload.get("version")
    if not isinstance(version, str) or not VERSION.match(version):
        raise Refused("input.version: not a version")
    steps = payload.get("steps")
    known = steps_for(dist)
    if not isinstance(steps, list) or not all(isinstance(s, str) and s in known for s in steps) \
            or len(set(steps)) != len(steps):
        raise Refused(f"input.steps: a list of distinct steps among {', '.join(known)}")
    expect = payload.get("expect", {})
    if not isinstance(expect, dict) or set(expect) - set(LIBRARY_STEPS):
        raise Refused("input.expect: an object with at most 'cudnn' and 'nccl'")
    for library in LIBRARY_STEPS:
        value = expect.get(library)
        if value is not None and (not isinstance(value, str) or not DOTTED.match(value)):
            raise Refused(f"input.expect.{library}: not a version")
        if library in steps and value is None:
            raise Refused(f"input.steps: '{library}' needs input.expect.{library}")
    return {"protocol": PROTOCOL, "distribution": dist, "version": version, "steps": list(steps),
            "expect": {library: expect.get(library) for library in LIBRARY_STEPS}}


def _public(version: str) -> str:
    return version.split("+", 1)[0].strip().lower()


def same_version(installed: str, locked: str) -> bool:
    """Is ``installed`` the locked version? Exact, or equal release numbers (2.8 == 2.8.0) with the
    same local label when the lock names one."""
    if installed.strip().lower() == locked.strip().lower():
        return True

    def parts(v: str) -> tuple[tuple[int, ...], str] | None:
        public, _, local = v.strip().lower().partition("+")
        if not re.fullmatch(r"\d+(\.\d+)*", public):
            return None
        numbers = [int(p) for p in public.split(".")]
        while len(numbers) > 1 and numbers[-1] == 0:
            numbers.pop()
        return tuple(numbers), local

    a, b = parts(installed), parts(locked)
    return a is not None and b is not None and a[0] == b[0] and (not b[1] or a[1] == b[1])


def _close(got: Any, want: Any, what: str, tolerance: float = 1e-3) -> None:
    flat_got, flat_want = _flatten(got), _flatten(want)
    if len(flat_got) != len(flat_want):
        raise StepFailed(f"{what}: {len(flat_got)} values, expected {len(flat_want)}")
    for i, (g, w) in enumerate(zip(flat_got, flat_want)):
        if abs(float(g) - float(w)) > tolerance * max(1.0, abs(float(w))):
            raise StepFailed(f"{what}: value {i} is {g}, expected {w}")


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _flatten(item)]
    return [value]


SMALL = [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
SMALL_PRODUCT = [[5.0, 14.0], [14.0, 50.0]]  # SMALL @ SMALL.T


# --- the steps, per framework; each returns a one-line detail or raises ---------------------------

def _version(mod: Any, payload: dict[str, Any]) -> str:
    from importlib import metadata

    dist, locked = payload["distribution"], payload["version"]
    installed = metadata.version(dist)
    if not same_version(installed, locked):
        raise StepFailed(f"{dist} {installed} is installed, the lock has {locked}")
    reported = getattr(mod, "__version__", None)
    if isinstance(reported, str) and not same_version(_public(reported), _public(installed)):
        raise StepFailed(f"{module_for(dist)}.__version__ is {reported}, the installed {dist} is {installed} "
                         f"(another copy shadows it?)")
    where = os.path.dirname(os.path.abspath(getattr(mod, "__file__", None) or "?"))
    if not where.startswith(os.path.abspath(sys.prefix) + os.sep):
        raise StepFailed(f"{module_for(dist)} was imported from {where}, outside the environment {sys.prefix}")
    return f"{dist} {installed}" + (f" (module {reported})" if isinstance(reported, str) and reported != installed
                                    else "") + f" from {os.path.relpath(where, sys.prefix)}"


def _torch_cpu(torch: Any, payload: dict[str, Any]) -> str:
    a = torch.tensor(SMALL, dtype=torch.float32)
    _close((a @ a.T).tolist(), SMALL_PRODUCT, "2x3 @ 3x2 on the CPU")
    return "float32 matrix product on the CPU"


def _torch_devices(torch: Any, payload: dict[str, Any]) -> str:
    if not torch.cuda.is_available():
        raise StepFailed("torch.cuda.is_available() is False (a CPU build, or the driver/runtime does not load)")
    count = torch.cuda.device_count()
    names = [torch.cuda.get_device_name(i) for i in range(count)]
    runtime = f"HIP {torch.version.hip}" if getattr(torch.version, "hip", None) else f"CUDA {torch.version.cuda}"
    return f"{count} device(s): {', '.join(names)} ({runtime})"


def _torch_matmul(torch: Any, payload: dict[str, Any]) -> str:
    torch.backends.cuda.matmul.allow_tf32 = False
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(256, 256, generator=gen)
    want = (a @ a).tolist()
    got = (a.to("cuda") @ a.to("cuda"))
    torch.cuda.synchronize()
    _close(got.cpu().tolist(), want, "256x256 matrix product on the GPU", 1e-3)
    return f"256x256 float32 matrix product on {torch.cuda.get_device_name(0)} matches the CPU"


def _torch_conv(torch: Any, payload: dict[str, Any]) -> str:
    if not torch.backends.cudnn.is_available():
        raise StepFailed("torch.backends.cudnn.is_available() is False")
    torch.backends.cudnn.enabled = True
    torch.backends.cudnn.allow_tf32 = False
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 16, 16, generator=gen)
    w = torch.rand(4, 3, 3, 3, generator=gen)
    want = torch.nn.functional.conv2d(x, w).tolist()
    got = torch.nn.functional.conv2d(x.to("cuda"), w.to("cuda"))
    torch.cuda.synchronize()
    _close(got.cpu().tolist(), want, "conv2d on the GPU", 1e-3)
    library = "MIOpen" if getattr(torch.version, "hip", None) else "cuDNN"
    return f"conv2d through {library} {torch.backends.cudnn.version()} matches the CPU"


def nccl_text(value: Any) -> str:
    """torch.cuda.nccl.version() as "2.27.3": a tuple, or an int (NCCL_VERSION_CODE: major*10000 +
    minor*100 + patch from 2.9, major*1000 + minor*100 + patch before)."""
    if isinstance(value, (tuple, list)):
        return ".".join(str(int(v)) for v in value[:3])
    code = int(value)
    if code >= 10000:
        return f"{code // 10000}.{code // 100 % 100}.{code % 100}"
    return f"{code // 1000}.{code // 100 % 10}.{code % 100}"


def cudnn_text(code: Any) -> str:
    """torch.backends.cudnn.version() as "9.10.2": CUDNN_VERSION is major*10000 + minor*100 + patch
    from cuDNN 9, major*1000 + minor*100 + patch before."""
    code = int(code)
    if code >= 90000:
        return f"{code // 10000}.{code // 100 % 100}.{code % 100}"
    return f"{code // 1000}.{code // 100 % 10}.{code % 100}"


def _torch_cudnn(torch: Any, payload: dict[str, Any]) -> str:
    found = torch.backends.cudnn.version()
    want = payload["expect"]["cudnn"]
    if found is None:
        raise StepFailed(f"torch loads no cuDNN (torch.backends.cudnn.version() is None); the lock has {want}")
    have = cudnn_text(found)
    if have.split(".")[:3] != want.split(".")[:3]:
        raise StepFailed(f"torch loads cuDNN {have}, the lock has {want} (another cuDNN on the library path?)")
    return f"cuDNN {have}, as locked"


def _torch_nccl(torch: Any, payload: dict[str, Any]) -> str:
    have = nccl_text(torch.cuda.nccl.version())
    want = payload["expect"]["nccl"]
    if have.split(".")[:3] != want.split(".")[:3]:
        raise StepFailed(f"torch loads NCCL {have}, the lock has {want} (another NCCL on the library path?)")
    return f"NCCL {have}, as locked"


def _tf_cpu(tf: Any, payload: dict[str, Any]) -> str:
    with tf.device("/CPU:0"):
        a = tf.constant(SMALL, dtype=tf.float32)
        got = tf.linalg.matmul(a, a, transpose_b=True)
    _close(got.numpy().tolist(), SMALL_PRODUCT, "2x3 @ 3x2 on the CPU")
    return "float32 matrix product on the CPU"


def _tf_gpus(tf: Any) -> list[Any]:
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        built = "a CUDA build" if tf.test.is_built_with_cuda() else "not built with CUDA"
        raise StepFailed(f"TensorFlow lists no GPU ({built}; see its log below)")
    return list(gpus)


def _tf_devices(tf: Any, payload: dict[str, Any]) -> str:
    gpus = _tf_gpus(tf)
    names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
    info = tf.sysconfig.get_build_info()
    runtime = f"CUDA {info.get('cuda_version')}, cuDNN {info.get('cudnn_version')}" if info.get("is_cuda_build") \
        else ("ROCm" if info.get("is_rocm_build") else "?")
    return f"{len(gpus)} device(s): {', '.join(names)} ({runtime})"


def _tf_matmul(tf: Any, payload: dict[str, Any]) -> str:
    _tf_gpus(tf)
    tf.config.experimental.enable_tensor_float_32_execution(False)
    a = tf.random.stateless_uniform((256, 256), seed=(1, 2), dtype=tf.float32)
    with tf.device("/CPU:0"):
        want = tf.linalg.matmul(a, a).numpy().tolist()
    with tf.device("/GPU:0"):
        got = tf.linalg.matmul(a, a)
    if "GPU" not in got.device.upper():
        raise StepFailed(f"the product ran on {got.device}, not on the GPU")
    _close(got.numpy().tolist(), want, "256x256 matrix product on the GPU", 1e-3)
    return "256x256 float32 matrix product on /GPU:0 matches the CPU"


def _tf_conv(tf: Any, payload: dict[str, Any]) -> str:
    _tf_gpus(tf)
    tf.config.experimental.enable_tensor_float_32_execution(False)
    x = tf.random.stateless_uniform((2, 16, 16, 3), seed=(3, 4), dtype=tf.float32)
    w = tf.random.stateless_uniform((3, 3, 3, 4), seed=(5, 6), dtype=tf.float32)
    with tf.device("/CPU:0"):
        want = tf.nn.conv2d(x, w, strides=1, padding="VALID").numpy().tolist()
    with tf.device("/GPU:0"):
        got = tf.nn.conv2d(x, w, strides=1, padding="VALID")
    if "GPU" not in got.device.upper():
        raise StepFailed(f"the convolution ran on {got.device}, not on the GPU")
    _close(got.numpy().tolist(), want, "conv2d on the GPU", 1e-3)
    return "conv2d on /GPU:0 (cuDNN) matches the CPU"


def _jax_cpu(jax: Any, payload: dict[str, Any]) -> str:
    jnp = importlib.import_module("jax.numpy")
    cpu = jax.devices("cpu")[0]
    a = jax.device_put(jnp.asarray(SMALL, dtype=jnp.float32), cpu)
    got = jax.jit(lambda m: m @ m.T)(a)
    _close(got.tolist(), SMALL_PRODUCT, "2x3 @ 3x2 on the CPU")
    return f"jit-compiled float32 matrix product on {cpu}"


def _jax_gpus(jax: Any) -> list[Any]:
    found = [d for d in jax.devices() if d.platform != "cpu"]
    if not found:
        raise StepFailed(f"JAX sees no GPU (devices: {', '.join(str(d) for d in jax.devices())}; see its log below)")
    return found


def _jax_devices(jax: Any, payload: dict[str, Any]) -> str:
    gpus = _jax_gpus(jax)
    return f"{len(gpus)} device(s): {', '.join(str(d.device_kind) for d in gpus)} ({gpus[0].platform})"


def _jax_matmul(jax: Any, payload: dict[str, Any]) -> str:
    jnp = importlib.import_module("jax.numpy")
    gpu = _jax_gpus(jax)[0]
    a = jax.random.uniform(jax.random.PRNGKey(0), (256, 256), dtype=jnp.float32)
    want = jax.device_put(a, jax.devices("cpu")[0])
    want = jnp.matmul(want, want, precision="highest").tolist()
    on_gpu = jax.device_put(a, gpu)
    got = jax.jit(lambda m: jnp.matmul(m, m, precision="highest"))(on_gpu)
    got.block_until_ready()
    _close(got.tolist(), want, "256x256 matrix product on the GPU", 1e-3)
    return f"256x256 float32 matrix product on {gpu} matches the CPU"


STEP_CODE: dict[tuple[str, str], Callable[[Any, dict[str, Any]], str]] = {
    ("torch", "cpu"): _torch_cpu, ("torch", "gpu-devices"): _torch_devices, ("torch", "gpu-matmul"): _torch_matmul,
    ("torch", "gpu-conv"): _torch_conv, ("torch", "cudnn"): _torch_cudnn, ("torch", "nccl"): _torch_nccl,
    ("tensorflow", "cpu"): _tf_cpu, ("tensorflow", "gpu-devices"): _tf_devices,
    ("tensorflow", "gpu-matmul"): _tf_matmul, ("tensorflow", "gpu-conv"): _tf_conv,
    ("jax", "cpu"): _jax_cpu, ("jax", "gpu-devices"): _jax_devices, ("jax", "gpu-matmul"): _jax_matmul,
}


def _tail(text: str) -> str:
    return "\n".join(text.rstrip().splitlines()[-OUTPUT_LINES:])


def _traceback(exc: BaseException) -> str:
    """The traceback without this script's and importlib's own frames (chained causes kept)."""
    found = traceback.TracebackException.from_exception(exc)
    found.stack = traceback.StackSummary.from_list(
        [f for f in found.stack if f.filename != __file__ and "importlib" not in f.filename])
    return _tail("".join(found.format()))


def run(payload: dict[str, Any], emit: Callable[[dict[str, Any]], None]) -> None:
    """Run the payload's steps in order, calling ``emit`` with each result. After a failed import
    the framework's other steps are skipped."""
    dist = payload["distribution"]
    module: Any = None
    broken: str | None = None
    for step in payload["steps"]:
        if broken is not None:
            emit({"step": step, "status": "skipped", "seconds": None, "output": f"not run: {broken}"})
            continue
        started = time.perf_counter()
        try:
            if step == "import":
                module = importlib.import_module(module_for(dist))
                detail = f"import {module_for(dist)}"
            else:
                if module is None:
                    module = importlib.import_module(module_for(dist))
                code = _version if step == "version" else STEP_CODE[(dist, step)]
                detail = code(module, payload)
            emit({"step": step, "status": "passed", "seconds": round(time.perf_counter() - started, 3),
                  "output": detail})
        except StepFailed as exc:
            emit({"step": step, "status": "failed", "seconds": round(time.perf_counter() - started, 3),
                  "output": str(exc)})
        except BaseException as exc:  # noqa: BLE001 - whatever a framework raises is this step's failure
            if isinstance(exc, KeyboardInterrupt):
                raise
            emit({"step": step, "status": "failed", "seconds": round(time.perf_counter() - started, 3),
                  "output": _traceback(exc)})
            if step == "import":
                broken = f"import {module_for(dist)} failed"


def main() -> int:
    results = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever the frameworks print goes to stderr; stdout carries results only
    sys.stdout = sys.stderr
    try:
        payload = validate(json.loads(sys.stdin.read(65536) or "null"))
    except (Refused, ValueError) as exc:
        print(f"smoke: {exc}", file=sys.stderr)
        return 2

    def emit(record: dict[str, Any]) -> None:
        results.write(json.dumps(record) + "\n")
        results.flush()

    run(payload, emit)
    return 0


if __name__ == "__main__":
    sys.exit(main())

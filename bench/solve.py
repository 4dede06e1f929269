"""Benchmark: the README command and --help in fresh processes, and 1,000 in-process solves.

Targets (issue 3): `envsolve tensorflow+pytorch --gpu --os linux --python 3.12` median <= 150 ms,
`envsolve --help` <= 100 ms, 1,000 mixed solves <= 5 s. Usage: python bench/solve.py [N]
"""

from __future__ import annotations

import itertools
import os
import shutil
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "envsolve tensorflow+pytorch --gpu --os linux --python 3.12": ["tensorflow+pytorch", "--gpu", "--os", "linux", "--python", "3.12"],
    "envsolve --help": ["--help"],
}


def wall(args: list[str], n: int) -> list[float]:
    exe = shutil.which("envsolve") or sys.exit("envsolve is not installed in this environment")
    subprocess.run([exe, *args], capture_output=True)  # warm the catalog cache
    times = []
    for _ in range(n):
        start = time.perf_counter()
        subprocess.run([exe, *args], capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def in_process(count: int) -> float:
    from resolver import catalog, solver
    from resolver.request import Request, Target, lookup_gpu, parse_stack

    cat = catalog.load()
    stacks = ["torch", "tensorflow", "jax", "torch+jax", "tensorflow+pytorch", "jax+tensorflow", "torch==2.5.*"]
    targets = [
        Target("linux", "x86_64", "3.12", (), None),
        Target("linux", "x86_64", "3.11", (lookup_gpu(cat, "V100"),), "535.104.05"),
        Target("windows", "x86_64", "3.12", (lookup_gpu(cat, "sm_89"),), "551.61"),
        Target("linux", "aarch64", "3.12", (lookup_gpu(cat, "sm_90"),), None),
        Target("wsl2", "x86_64", "3.10", (), "572.60"),
    ]
    accels = ["cuda", "cpu"]
    combos = list(itertools.product(stacks, targets, accels))
    requests = [(Request(parse_stack(cat, s), a, None, None), t) for s, t, a in combos]
    start = time.perf_counter()
    for request, target in itertools.islice(itertools.cycle(requests), count):
        solver.solve(cat, request, target)
    return time.perf_counter() - start


def main() -> None:
    # pip compiles bytecode when it installs; do the same so an editable checkout is measured
    # like an install (PYTHONDONTWRITEBYTECODE would otherwise recompile every module each run).
    import compileall
    import resolver

    compileall.compile_dir(os.path.dirname(resolver.__file__), quiet=1)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    for label, args in COMMANDS.items():
        t = wall(args, n)
        print(f"{label}: median {statistics.median(t) * 1000:.0f} ms over {n} runs (min {min(t) * 1000:.0f} ms)")
    elapsed = in_process(1000)
    print(f"1000 in-process solves of mixed requests: {elapsed:.2f} s ({1000 / elapsed:.0f} solves/s)")


if __name__ == "__main__":
    main()

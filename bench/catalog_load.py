"""Benchmark: loading every catalog in a fresh process (issue: at most 50 ms).

Runs N fresh interpreters; each times `import resolver.catalog` + `load()` with perf_counter and
prints it. Reports the median (warm cache: the compiled catalog already exists) and the time of a
cold build (no cache). Usage: python bench/catalog_load.py [N]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile

PROBE = (
    "import time; t=time.perf_counter(); from resolver.catalog import load; c=load(); "
    "print(time.perf_counter()-t, len(c.pypi), sum(len(p.releases) for p in c.pypi.values()))"
)


def run(n: int, cache: str) -> list[float]:
    env = dict(os.environ, ENVSOLVE_CACHE_DIR=cache)
    times = []
    for _ in range(n):
        out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True).stdout
        times.append(float(out.split()[0]))
    return times


def main() -> None:
    # pip compiles bytecode when it installs; do the same so an editable checkout is measured
    # like an install (PYTHONDONTWRITEBYTECODE would otherwise recompile every module each run).
    import compileall
    import resolver

    compileall.compile_dir(os.path.dirname(resolver.__file__), quiet=1)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory() as cache:
        cold = run(1, cache)[0]
        warm = run(n, cache)
    print(f"catalog load, fresh process: median {statistics.median(warm) * 1000:.1f} ms over {n} runs "
          f"(min {min(warm) * 1000:.1f}, max {max(warm) * 1000:.1f}); cold build without cache {cold * 1000:.0f} ms")


if __name__ == "__main__":
    main()

"""Benchmark: how much of writing a lock set is envsolve's own work, and how much is uv.

Issue target: everything but the uv call is at most 10% of the lock step's wall time. Each run is
a fresh process (imports included: conda-lock's models alone take ~0.9 s here) that times the uv
call separately. The first run fills uv's cache and is not counted. Needs the network (PyPI).
Usage: python bench/lock.py [N] [STACK]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile

PROBE = """
import sys, time
start = time.perf_counter()
from resolver import cli, closure
real, spent = closure.run_uv, []
def timed(*a, **k):
    t = time.perf_counter()
    try:
        return real(*a, **k)
    finally:
        spent.append(time.perf_counter() - t)
closure.run_uv = timed
code = cli.main(sys.argv[1:])
print("TIMING", code, time.perf_counter() - start, sum(spent), file=sys.stderr)
"""


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    stack = sys.argv[2] if len(sys.argv) > 2 else "tensorflow+jax"
    totals, shares = [], []
    for i in range(n + 1):
        with tempfile.TemporaryDirectory() as out:
            args = [stack, "--gpu", "--os", "linux", "--arch", "x86_64", "--python", "3.13", "--out", out]
            run = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True)
        line = next((x for x in run.stderr.splitlines() if x.startswith("TIMING")), None)
        if line is None or line.split()[1] != "0":
            sys.exit(f"envsolve failed: {run.stderr[-500:]}")
        _, _, total, uv = line.split()
        if i:
            totals.append(float(total))
            shares.append((float(total) - float(uv)) / float(total))
    print(f"lock {stack} (fresh process): median {statistics.median(totals):.2f} s per lock set over {n} runs; "
          f"envsolve's own share median {statistics.median(shares) * 100:.1f}% (uv the rest)")


if __name__ == "__main__":
    main()

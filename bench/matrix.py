"""Benchmark: the default `envsolve matrix` (each framework alone and each pair, every OS,
accelerator and Python 3.10-3.14) in a fresh process, using every core. Target: at most 10 s.
Reports the median wall time and solves per second. Usage: python bench/matrix.py [N]
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    exe = shutil.which("envsolve") or sys.exit("envsolve is not installed in this environment")
    subprocess.run([exe, "matrix"], capture_output=True)  # warm the catalog cache
    times, cells = [], 0
    for _ in range(n):
        start = time.perf_counter()
        out = subprocess.run([exe, "matrix", "--json"], capture_output=True, text=True).stdout
        times.append(time.perf_counter() - start)
        cells = out.count('"schema": "envsolve.solution/1"')
    median = statistics.median(times)
    print(f"default matrix: {cells} combinations, median {median:.2f} s over {n} runs "
          f"({cells / median:.0f} solves/s)")


if __name__ == "__main__":
    main()

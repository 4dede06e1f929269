"""Benchmark: the default `envsolve explore` page in a fresh process on two cores.

Targets (issue 15): the default page in at most 10 s (median) on two cores, at most 1.5 MB.
Each run is a fresh `envsolve explore --out DIR` pinned to two CPUs (`--jobs 2`); the first run
warms the catalog cache and is not counted. Reports the median, min and max wall time, the median
CPU time of envsolve and its workers (what a machine shared with other work cannot inflate), the
load average, the page's size and what it holds. Usage: python bench/explore.py [N] [extra explore options...]
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def main() -> None:
    # pip compiles bytecode when it installs; do the same so an editable checkout is measured
    # like an install (PYTHONDONTWRITEBYTECODE would otherwise recompile every module each run).
    import compileall

    import resolver

    compileall.compile_dir(os.path.dirname(resolver.__file__), quiet=1)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    extra = sys.argv[2:]
    exe = shutil.which("envsolve", path=os.path.dirname(sys.executable)) or shutil.which("envsolve") or \
        sys.exit("envsolve is not installed in this environment")
    cores = sorted(os.sched_getaffinity(0))[:2] if hasattr(os, "sched_getaffinity") else []

    def pin() -> None:
        if cores:
            os.sched_setaffinity(0, cores)

    times, cpus, size, said = [], [], 0, ""
    for i in range(n + 1):
        with tempfile.TemporaryDirectory() as out:
            used = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            run = subprocess.run([exe, "--quiet", "explore", "--out", out, "--jobs", "2", *extra],
                                 capture_output=True, text=True, preexec_fn=pin)
            elapsed = time.perf_counter() - start
            now = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = now.ru_utime + now.ru_stime - used.ru_utime - used.ru_stime
            if run.returncode != 0:
                sys.exit(f"envsolve explore failed: {run.stderr[-800:]}")
            size = os.path.getsize(os.path.join(out, "index.html"))
            said = run.stdout.strip()
        if i:
            times.append(elapsed)
            cpus.append(cpu)
    median = statistics.median(times)
    # CPU time (envsolve and its workers) does not grow when other programs share the cores; on
    # two cores of its own the wall time is about half of it plus the serial part.
    print(f"default explore page on {len(cores) or 'all'} cores: median {median:.2f} s over {n} runs "
          f"(min {min(times):.2f}, max {max(times):.2f}); CPU time median {statistics.median(cpus):.2f} s; "
          f"load average {os.getloadavg()[0]:.1f}; page {size / 1e6:.2f} MB")
    print(said)


if __name__ == "__main__":
    main()

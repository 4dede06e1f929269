"""Progress on stderr: a bar on a terminal (checked in a real terminal under tmux), sparse lines
off one, nothing with --quiet."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from resolver.progress import Progress

TMUX = shutil.which("tmux")
ROOT = Path(__file__).resolve().parents[1]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _progress(tty: bool, **kw) -> tuple[Progress, io.StringIO, Clock]:
    clock = Clock()
    stream = io.StringIO()
    return Progress("explore", stream=stream, tty=tty, clock=clock, watch=False, **kw), stream, clock


def test_off_a_terminal_a_short_command_says_nothing():
    p, out, clock = _progress(tty=False)
    task = p.task("solving", 10, "answers")
    for _ in range(10):
        clock.now += 0.1
        task.advance()
        p.tick()
    p.finish()
    assert out.getvalue() == ""


def test_off_a_terminal_a_start_line_a_line_every_few_seconds_and_a_summary():
    p, out, clock = _progress(tty=False, after=2.0, every=5.0)
    task = p.task("solving", 100, "answers")
    for _ in range(100):
        clock.now += 0.15  # 15 s in all
        task.advance(1, solves=3)
        p.tick()
    p.finish()
    lines = out.getvalue().splitlines()
    assert lines[0] == ("envsolve explore: running for 2.1 s: solving: 14/100 answers · 14% · 42 solves · "
                        "6.7 answers/s · ETA 13 s")
    assert [line.split(":")[1].strip() for line in lines[1:-1]] == ["7.2 s", "12 s"]  # every 5 s
    assert lines[-1] == ("envsolve explore: done in 15 s (solving: 100/100 answers · 100% · 300 solves · in 15 s)")


def test_off_a_terminal_an_uncounted_wait_still_says_something():
    p, out, clock = _progress(tty=False)
    p.start()
    p.task("resolving the dependency closure with uv")
    clock.now += 2.5
    p.tick()
    clock.now += 6
    p.tick()
    p.finish()
    assert out.getvalue().splitlines() == [
        "envsolve explore: running for 2.5 s: resolving the dependency closure with uv: 2.5 s",
        "envsolve explore: 8.5 s: resolving the dependency closure with uv: 8.5 s",
        "envsolve explore: done in 8.5 s",
    ]


def test_on_a_terminal_the_bar_counts_and_the_eta_comes_from_the_measured_rate():
    p, out, clock = _progress(tty=True)
    task = p.task("solving", 100, "combinations")
    frames = []
    for i in range(40):
        clock.now += 0.1 if i < 20 else 0.5  # 10/s, then 2/s
        task.advance()
        frames.append(task.status(clock.now, 100))
    assert frames[19].startswith("solving [") and "20/100 combinations · 20%" in frames[19]
    assert "10 combinations/s · ETA 8.0 s" in frames[19]
    # 8 s later the window holds only the slow part: the ETA follows the rate now measured
    assert "40/100 combinations · 40%" in frames[-1] and "2.0 combinations/s · ETA 30 s" in frames[-1]
    p.finish()
    screen = out.getvalue()
    assert "\r" in screen and screen.endswith("40/100 combinations · 40% · in 12 s\n")


def test_quiet_says_nothing_anywhere():
    for tty in (True, False):
        p, out, clock = _progress(tty=tty, quiet=True)
        task = p.task("solving", 10)
        clock.now += 30
        task.advance(10)
        p.tick()
        p.message("wrote x")  # messages for people are not progress: they still come
        p.finish()
        assert out.getvalue() == "wrote x\n"


def test_messages_do_not_collide_with_the_bar():
    p, out, clock = _progress(tty=True)
    task = p.task("writing lock sets", 3, "lock sets")
    task.advance()
    p.message("wrote lockfiles/a/requirements.txt")
    text = out.getvalue()
    assert "\r\x1b[Kwrote lockfiles/a/requirements.txt\n\r" in text  # the bar cleared, the line, the bar again
    assert "1/3 lock sets · 33%" in text.rsplit("\n", 1)[1]


def _envsolve(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "resolver", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, **kw)


def test_off_a_terminal_a_long_command_reports_on_stderr(tmp_path):
    run = _envsolve("explore", "--os", "linux", "--python", "3.12", "--out", str(tmp_path / "site"))
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert lines and lines[0].startswith("envsolve explore: running for ")
    assert lines[-1].startswith("envsolve explore: done in ") and "solves" in lines[-1]
    assert run.stdout.startswith("wrote ")
    quiet = _envsolve("explore", "--os", "linux", "--python", "3.12", "--out", str(tmp_path / "q"), "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""


def _capture(session: str) -> str:
    return subprocess.run([TMUX, "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_on_a_real_terminal_the_bar_moves_to_the_end(tmp_path):
    """explore in a tmux pane: the bar's counts only grow, it shows a rate and an ETA while it
    runs, and each phase ends on its full count."""
    session = f"envsolve-test-{os.getpid()}"
    log = tmp_path / "done"
    command = (f"cd {ROOT} && {sys.executable} -m resolver explore --os linux --python 3.12 --out {tmp_path / 'site'}"
               f"; echo EXIT=$? > {log}; sleep 60")  # the pane stays for the last capture
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMUX")}
    subprocess.run([TMUX, "new-session", "-d", "-s", session, "-x", "160", "-y", "20", command], check=True, env=env)
    frames = []
    try:
        deadline = time.monotonic() + 240
        while not log.exists() and time.monotonic() < deadline:
            frames.append(_capture(session))
            time.sleep(0.2)
        frames.append(_capture(session))
    finally:
        subprocess.run([TMUX, "kill-session", "-t", session], capture_output=True)
    assert log.read_text().strip() == "EXIT=0"
    bars = [m for f in frames for m in re.findall(r"(solving[^\[\n]*) \[([#-]+)\] ([\d,]+)/([\d,]+) (\w+)", f)]
    assert bars, frames[-1]
    seen: dict[str, int] = {}
    for label, bar, done, total, unit in bars:
        n, t = int(done.replace(",", "")), int(total.replace(",", ""))
        assert 0 <= n <= t and seen.get(label, 0) <= n  # counts never go back
        seen[label] = n
        assert bar.count("#") == round(n / t * len(bar))  # the bar says what the numbers say
    running = [f for f in frames if re.search(r"[\d.,]+ \w+/s · ETA [\d.]+ s", f)]
    assert running, "no frame showed a rate and an ETA"
    final = frames[-1]
    assert re.search(r"solving every stack, target and Python \[#+\] ([\d,]+)/\1 answers · 100%", final), final
    assert re.search(r"solving GPU classes x driver brackets \[#+\] ([\d,]+)/\1 tasks · 100% · [\d,]+ solves", final)
    assert "wrote " in final

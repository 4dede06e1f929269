"""Progress on stderr for commands that take a while; the command line owns one per command.

On a terminal: one line redrawn in place. For counted work (``task(total=...)``) it is a bar with
done/total, the rate measured so far (over the last few seconds once there are some) and the ETA
that rate gives; for work that cannot be counted (a ``uv`` run) a spinner with the elapsed time,
shown only once the command has run for ``after`` seconds. A background thread redraws, so the line
keeps moving while the caller waits on a worker pool or a subprocess.

Off a terminal (CI logs, pipes): nothing for a command that ends within ``after`` seconds; past
that, a start line, a line every ``every`` seconds and a summary when the command ends. ``quiet``
silences everything. The solver knows nothing of this module: callers count what they do.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import IO, Any

SPINNER = "|/-\\"


def _seconds(value: float) -> str:
    value = max(0.0, value)
    if value < 60:
        return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"
    minutes, secs = divmod(int(value + 0.5), 60)
    return f"{minutes} min {secs:02d} s"


def _count(n: int) -> str:
    return f"{n:,}"


class Task:
    """One phase of a command: ``label`` with ``done`` of ``total`` ``unit`` (total None: uncounted).

    ``extra`` holds named side counts shown after the bar (``solves``: the distinct solves a
    page build ran for its tasks)."""

    def __init__(self, owner: Progress, label: str, total: int | None, unit: str) -> None:
        self.owner, self.label, self.total, self.unit = owner, label, total, unit
        self.done = 0
        self.extra: dict[str, int] = {}
        self.started = owner.clock()
        self.ended: float | None = None
        self.samples: deque[tuple[float, int]] = deque([(self.started, 0)])

    def advance(self, n: int = 1, **extra: int) -> None:
        """``n`` more units done; ``extra`` adds to the side counts."""
        with self.owner.lock:
            self.done += n
            for key, value in extra.items():
                self.extra[key] = self.extra.get(key, 0) + value
            now = self.owner.clock()
            self.samples.append((now, self.done))
            while len(self.samples) > 2 and now - self.samples[1][0] >= Progress.WINDOW:
                self.samples.popleft()
        self.owner._changed()

    def rate(self, now: float) -> float | None:
        """Units per second: over the last WINDOW seconds when that much has passed, else since the start."""
        first_time, first_done = self.samples[0]
        if now - first_time >= Progress.WINDOW / 2 and self.done > first_done:
            return (self.done - first_done) / (now - first_time)
        if self.done and now > self.started:
            return self.done / (now - self.started)
        return None

    def status(self, now: float, width: int | None = None) -> str:
        """``label [####----] 12/40 planes 30% · 1,234 solves · 52/s · ETA 3 s`` (no bar without width)."""
        elapsed = (self.ended or now) - self.started
        parts = []
        extra = " · ".join(f"{_count(v)} {k}" for k, v in self.extra.items())
        if self.total is None:
            text = f"{self.label}: {_seconds(elapsed)}" + (f" · {extra}" if extra else "")
            return text
        frac = self.done / self.total if self.total else 1.0
        parts.append(f"{_count(self.done)}/{_count(self.total)} {self.unit}".rstrip())
        parts.append(f"{frac * 100:.0f}%")
        if extra:
            parts.append(extra)
        if self.ended is None:
            rate = self.rate(now)
            if rate:
                per = f"{self.unit}/s" if self.unit else "/s"
                parts.append(f"{rate:,.0f} {per}" if rate >= 10 else f"{rate:.1f} {per}")
                parts.append(f"ETA {_seconds((self.total - self.done) / rate)}")
            else:
                parts.append(f"{_seconds(elapsed)}")
        else:
            parts.append(f"in {_seconds(elapsed)}")
        tail = " · ".join(parts)
        if width is None:
            return f"{self.label}: {tail}"
        room = width - len(self.label) - len(tail) - 5
        if room >= 10:
            filled = int(round(min(frac, 1.0) * min(room, 30)))
            bar = "#" * filled + "-" * (min(room, 30) - filled)
            return f"{self.label} [{bar}] {tail}"
        return f"{self.label}: {tail}"


class Progress:
    """Progress of one command on ``stream`` (stderr). Use :meth:`task` for each phase and call
    :meth:`finish` once at the end (the command line does); messages for people go through
    :meth:`message` so they do not collide with the bar."""

    WINDOW = 8.0  # seconds of history the rate is measured over

    def __init__(self, command: str, *, stream: IO[str] | None = None, tty: bool | None = None,
                 quiet: bool = False, after: float = 2.0, every: float = 5.0,
                 clock: Callable[[], float] = time.monotonic, redraw: float = 0.2, watch: bool = True) -> None:
        self.command = command
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self._isatty() if tty is None else tty
        self.quiet = quiet
        self.after, self.every, self.redraw = after, every, redraw
        self.clock = clock
        self.watch = watch  # a thread calls tick() every `redraw` seconds (tests call it themselves)
        self.lock = threading.RLock()
        self.started = clock()
        self.tasks: list[Task] = []
        self.current: Task | None = None
        self.spoke = False  # off a terminal: the start line was printed
        self.last_line = 0.0
        self.drawn = 0  # on a terminal: length of the line on screen
        self.spin = 0
        self.last_draw = -1.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.finished = False

    def _isatty(self) -> bool:
        try:
            return self.stream.isatty()
        except (AttributeError, ValueError):
            return False

    # -- what callers use -------------------------------------------------------------------------

    def task(self, label: str, total: int | None = None, unit: str = "") -> Task:
        """Begin a phase (ending the previous one). ``total`` None: uncounted (elapsed time only)."""
        with self.lock:
            if self.current is not None:
                self._end_task()
            task = Task(self, label, total, unit)
            self.tasks.append(task)
            self.current = task
        self._ensure_thread()
        self._changed()
        return task

    def end(self, task: Task | None = None) -> None:
        """End ``task`` (default: the current one); on a terminal its last state stays on screen
        when it was counted."""
        with self.lock:
            if self.current is not None and (task is None or task is self.current):
                self._end_task()

    def message(self, text: str) -> None:
        """A line for people on the same stream, printed above the bar."""
        with self.lock:
            self._clear()
            self.stream.write(text + "\n")
            self.stream.flush()
            self._draw(force=True)

    def finish(self) -> None:
        """The command is over: stop redrawing, and off a terminal print the summary when the start
        line was printed. Safe to call twice."""
        with self.lock:
            if self.finished:
                return
            self.finished = True
            if self.current is not None:
                self._end_task()
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        with self.lock:
            if self.quiet:
                return
            if self.tty:
                self._clear()
            elif self.spoke:
                self._line(f"done in {_seconds(self.clock() - self.started)}" + self._summary())

    # -- drawing ----------------------------------------------------------------------------------

    def _summary(self) -> str:
        done = [t for t in self.tasks if t.total is not None or t.extra]
        if not done:
            return ""
        return " (" + "; ".join(t.status(t.ended or self.clock()) for t in done) + ")"

    def _end_task(self) -> None:
        task = self.current
        assert task is not None
        task.ended = self.clock()
        self.current = None
        if self.quiet:
            return
        if self.tty and task.total is not None:
            self._clear()
            self.stream.write(task.status(task.ended, self._width()) + "\n")
            self.stream.flush()
        elif self.tty:
            self._clear()

    def _ensure_thread(self) -> None:
        if self.quiet or not self.watch or self._thread is not None or self.finished:
            return
        self._thread = threading.Thread(target=self._run, name="envsolve-progress", daemon=True)
        self._thread.start()

    def start(self) -> None:
        """Start watching the clock (so an uncounted command still says something after ``after`` s)."""
        self._ensure_thread()

    def _run(self) -> None:
        while not self._stop.wait(self.redraw if self.tty else min(self.redraw * 2.5, 0.5)):
            self.tick()

    def tick(self) -> None:
        """Redraw (on a terminal) or print the start or periodic line when due (off one)."""
        with self.lock:
            if not self.finished:
                self._draw(force=True)

    def _changed(self) -> None:
        if self.quiet:
            return
        with self.lock:
            self._draw()

    def _width(self) -> int:
        try:
            return os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            return 80

    def _clear(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = 0

    def _line(self, text: str) -> None:
        self.stream.write(f"envsolve {self.command}: {text}\n")
        self.stream.flush()
        self.last_line = self.clock()

    def _draw(self, force: bool = False) -> None:
        if self.quiet or self.finished:
            return
        now = self.clock()
        elapsed = now - self.started
        task = self.current
        if self.tty:
            if task is None:
                return
            if task.total is None and elapsed < self.after:
                return
            if not force and now - self.last_draw < 0.05:
                return  # at most 20 redraws a second, however fast the work goes
            self.last_draw = now
            width = self._width()
            if task.total is None:
                self.spin = (self.spin + 1) % len(SPINNER)
                text = f"{SPINNER[self.spin]} {task.status(now)}"
            else:
                text = task.status(now, width)
            text = text[: max(10, width - 1)]
            self.stream.write("\r" + text + ("\x1b[K" if len(text) < self.drawn else ""))
            self.stream.flush()
            self.drawn = len(text)
            return
        if elapsed < self.after:
            return
        if not self.spoke:
            self.spoke = True
            self._line(f"running for {_seconds(elapsed)}" + (f": {task.status(now)}" if task else ""))
        elif now - self.last_line >= self.every:
            self._line(f"{_seconds(elapsed)}" + (f": {task.status(now)}" if task else ": working"))


def silent(command: str = "") -> Progress:
    """A Progress that says nothing (library callers and tests)."""
    return Progress(command, quiet=True)


def counter(task: Task | None) -> Callable[..., Any] | None:
    """``task.advance`` or None: the callback form :func:`resolver.matrix.solve_all` takes."""
    return task.advance if task is not None else None

"""Progress on stderr: tqdm bars on a terminal, plain one-line records in a log, nothing when asked.

``ARCHGEN_PROGRESS`` chooses: ``0`` hides progress, ``bars`` (or ``1``) forces tqdm bars, ``lines``
forces plain lines, and unset (or ``auto``) picks bars when stderr is a terminal and lines otherwise,
so a redirected log holds readable lines instead of cursor-movement codes.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from typing import IO, Any, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")

#: A step count up to which line mode writes a line for every step (epochs, seeds, trials).
EVERY_STEP_UP_TO = 1_000
#: Otherwise (long loops over architectures) at most one line per this many seconds, and the last.
MIN_SECONDS_BETWEEN_LINES = 10.0
MODES = ("0", "1", "auto", "bars", "lines")


def progress_mode(environ: Mapping[str, str] | None = None, stream: IO[str] | None = None) -> str:
    """``"off"``, ``"bars"`` or ``"lines"`` from ``ARCHGEN_PROGRESS`` and whether ``stream`` is a terminal.

    Args:
        environ: The environment (default: ``os.environ``).
        stream: Where progress goes (default: ``sys.stderr``).
    """
    value = (environ if environ is not None else os.environ).get("ARCHGEN_PROGRESS", "auto").strip().lower()
    if value == "0":
        return "off"
    if value in ("1", "bars"):
        return "bars"
    if value == "lines":
        return "lines"
    stream = stream if stream is not None else sys.stderr
    return "bars" if getattr(stream, "isatty", lambda: False)() else "lines"


def progress(iterable: Iterable[T] | None = None, *, desc: str, total: int | None = None, **kwargs: Any) -> Any:
    """Progress over ``iterable`` on stderr, as :func:`progress_mode` chooses.

    Args:
        iterable: What to iterate (or ``None`` for a manually updated progress).
        desc: The step's name, shown first.
        total: Length when ``iterable`` has none.
        **kwargs: Passed to tqdm (bars only).

    Returns:
        An iterable with tqdm's ``update``, ``set_postfix`` and ``close``.
    """
    mode = progress_mode()
    if mode == "lines":
        return LineProgress(iterable, desc=desc, total=total)
    return tqdm(iterable, desc=desc, total=total, disable=mode == "off", dynamic_ncols=True, leave=False, **kwargs)


class LineProgress:
    """tqdm's iteration, ``update``, ``set_postfix`` and ``close``, written as plain lines.

    Each line reads ``desc: step/total [elapsed, eta ...] key=value ...``; short loops get a line per
    step, long ones one line per :data:`MIN_SECONDS_BETWEEN_LINES` and a last line at the end.

    Args:
        iterable: What to iterate (or ``None`` for manual :meth:`update` calls).
        desc: The step's name.
        total: The number of steps (default ``len(iterable)`` where it has one).
        stream: Where lines go (default: ``sys.stderr`` at write time).
        clock: Seconds since some fixed point (tests pass a fake one).
    """

    def __init__(
        self, iterable: Iterable[Any] | None = None, *, desc: str, total: int | None = None,
        stream: IO[str] | None = None, clock: Any = time.monotonic,
    ):
        self.iterable = iterable
        self.desc = desc
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)  # type: ignore[arg-type]
        self.n = 0
        self._stream = stream
        self._clock = clock
        self._started = clock()
        self._last_line: float | None = None
        self._postfix = ""
        self._written_at = -1

    def __iter__(self) -> Iterator[Any]:
        for item in self.iterable or ():
            yield item
            self.update(1)
        self.close()

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def set_postfix(self, ordered_dict: Mapping[str, Any] | None = None, refresh: bool = True, **kwargs: Any) -> None:
        """Values shown at the end of the next line (tqdm's signature)."""
        values = {**(ordered_dict or {}), **kwargs}
        self._postfix = " ".join(f"{key}={value}" for key, value in values.items())

    def update(self, n: int = 1) -> None:
        """Counts ``n`` more steps; writes a line when one is due."""
        self.n += n
        now = self._clock()
        short = self.total is not None and self.total <= EVERY_STEP_UP_TO
        due = self._last_line is None or now - self._last_line >= MIN_SECONDS_BETWEEN_LINES
        if short or due or self.n == self.total:
            self._write(now)

    def close(self) -> None:
        """Writes the last line if the last step has none yet."""
        if self.n and self._written_at != self.n:
            self._write(self._clock())

    def line(self, now: float) -> str:
        """The record for the current step at time ``now``."""
        elapsed = now - self._started
        count = f"{self.n}/{self.total}" if self.total is not None else str(self.n)
        timing = _clock_text(elapsed)
        if self.total and self.n and self.n < self.total:
            timing += f", eta {_clock_text(elapsed / self.n * (self.total - self.n))}"
        return f"{self.desc}: {count} [{timing}]" + (f" {self._postfix}" if self._postfix else "")

    def _write(self, now: float) -> None:
        stream = self._stream if self._stream is not None else sys.stderr
        stream.write(self.line(now) + "\n")
        stream.flush()
        self._last_line, self._written_at = now, self.n


def _clock_text(seconds: float) -> str:
    """``0:01:05`` style, whole seconds."""
    return str(timedelta(seconds=round(seconds)))


class Stages:
    """One overall progress line over the stages of a multi-stage command, with an ETA.

    Each stage has a weight, its expected share of the time (e.g. the epochs of a training
    stage); the ETA is the elapsed time per unit of weight done times the weight left, so it
    sharpens as the command goes. A stage reports progress inside it with :meth:`within`.
    Bars mode shows a tqdm bar at position 0 (the steps' own bars open below it); lines mode
    writes ``run: stage 3/5 (prior seed 1) [0:02:10, eta 0:04:20]`` when a stage or its detail
    changes, so a log gets a handful of lines, not one per epoch.

    Args:
        name: The command, shown first (``"run"``).
        stages: ``(label, weight)`` in the order they run; weights > 0.
        mode: ``"off"``, ``"bars"`` or ``"lines"`` (default: :func:`progress_mode`).
        stream: Where lines go (default: ``sys.stderr`` at write time).
        clock: Seconds since some fixed point (tests pass a fake one).
    """

    def __init__(self, name: str, stages: Iterable[tuple[str, float]], *, mode: str | None = None,
                 stream: IO[str] | None = None, clock: Any = time.monotonic):
        self.name = name
        self.labels, self.weights = zip(*stages) if stages else ((), ())
        if not self.labels or min(self.weights) <= 0:
            raise ValueError(f"Stages needs at least one stage and positive weights, got {list(zip(self.labels, self.weights))}")
        self.total = float(sum(self.weights))
        self.index, self.fraction, self.detail, self.closed = -1, 0.0, "", False
        self._mode = mode or progress_mode()
        self._stream, self._clock = stream, clock
        self._started = clock()
        self._bar = tqdm(total=1000, desc=name, position=0, dynamic_ncols=True, leave=False,
                         bar_format="{desc} {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]") if self._mode == "bars" else None

    @property
    def done(self) -> float:
        """Weight done: the finished stages and the current one's finished fraction."""
        finished = sum(self.weights[: max(self.index, 0)])
        return finished + (self.weights[self.index] * self.fraction if self.index >= 0 else 0.0)

    def start(self, label: str, detail: str | None = None) -> None:
        """Begins stage ``label`` (the stages before it count as done).

        Raises:
            ValueError: For a label that is not a stage after the current one.
        """
        later = [i for i, name in enumerate(self.labels) if name == label and i > self.index]
        if not later:
            raise ValueError(f"no stage {label!r} after stage {self.index + 1} of {list(self.labels)}")
        self.index, self.fraction, self.detail = later[0], 0.0, detail or label
        self._show(force=True)

    def within(self, fraction: float, detail: str | None = None) -> None:
        """The current stage is ``fraction`` done (clipped to [0, 1]); a new ``detail`` names its sub-step."""
        self.fraction = min(max(float(fraction), 0.0), 1.0)
        changed = detail is not None and detail != self.detail
        self.detail = detail if detail is not None else self.detail
        self._show(force=changed)

    def close(self) -> None:
        """Counts every stage done and writes the last line (or closes the bar)."""
        if self.index < 0 or self.closed:
            return
        self.index, self.fraction, self.detail = len(self.labels) - 1, 1.0, "done"
        self._show(force=True)
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        self.closed = True

    def line(self, now: float) -> str:
        """The overall record at time ``now``."""
        elapsed = now - self._started
        timing = _clock_text(elapsed)
        done = self.done
        if 0 < done < self.total:
            timing += f", eta {_clock_text(elapsed / done * (self.total - done))}"
        return f"{self.name}: stage {self.index + 1}/{len(self.labels)} ({self.detail}) [{timing}]"

    def _show(self, force: bool) -> None:
        if self.closed or self._mode == "off":
            return
        if self._bar is not None:
            self._bar.set_description_str(f"{self.name}: stage {self.index + 1}/{len(self.labels)} ({self.detail})", refresh=False)
            self._bar.n = round(1000 * self.done / self.total)
            self._bar.refresh()
        elif self._mode == "lines" and force:
            stream = self._stream if self._stream is not None else sys.stderr
            stream.write(self.line(self._clock()) + "\n")
            stream.flush()

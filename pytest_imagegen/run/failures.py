"""Short failure reports: the plugin's message first, the user's own frames only.

A cassette miss raised inside ``client.images.generate(...)`` travels up through some fifty frames of the
openai SDK, httpx2 and this plugin before pytest prints it, so the message that says what to do came
last, after ~75 lines. When a test fails with one of the plugin's errors (anywhere in the exception's
chain), the report is instead: the frames of the user's code (the test and the application, never
site-packages, the standard library or this plugin), then the plugin's message, then one line naming the
exception the test saw if a library wrapped it. ``--tb=long`` (or any other explicit style) keeps pytest's
own report. The plugin hands over the exception and its traceback's entries (anything with ``path``,
``lineno``, ``name`` and ``statement``, as pytest's are); nothing here imports pytest.
"""

from __future__ import annotations

import sysconfig
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from pytest_imagegen.errors import (
    CassetteError,
    CassetteMiss,
    EmulatorCannotAnswer,
    NetworkBlockedError,
    RecordingNeedsKeyError,
    SchemaAssertionError,
    SecretLeakError,
)

__all__ = ["short_report"]

PLUGIN_ERRORS: tuple[type[BaseException], ...] = (
    CassetteMiss,
    CassetteError,
    SecretLeakError,
    SchemaAssertionError,
    RecordingNeedsKeyError,
    EmulatorCannotAnswer,
    NetworkBlockedError,
)
_SHOWN_FRAMES = 3
_PACKAGE = Path(__file__).resolve().parents[1]  # pytest_imagegen/, all of it
_LIBRARY_DIRS = tuple(
    Path(p).resolve()
    for key in ("stdlib", "platstdlib", "purelib", "platlib")
    if (p := sysconfig.get_path(key))
)


class Frame(Protocol):
    """One entry of a traceback, as pytest's ``TracebackEntry`` has it (``lineno`` counts from 0)."""

    @property
    def path(self) -> object: ...
    @property
    def lineno(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def statement(self) -> object: ...


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def plugin_error(exc: BaseException) -> BaseException | None:
    """The first of the plugin's errors in ``exc``'s chain (``exc`` itself, its cause, its context...)."""
    return next((e for e in _chain(exc) if isinstance(e, PLUGIN_ERRORS)), None)


def _is_users(path: Path) -> bool:
    resolved = path.resolve()
    if resolved.is_relative_to(_PACKAGE):
        return False
    return not any(resolved.is_relative_to(d) for d in _LIBRARY_DIRS)


def _frames(traceback: Sequence[Frame]) -> list[str]:
    lines: list[str] = []
    entries = [e for e in traceback if _is_users(Path(str(e.path)))]
    here = Path.cwd()
    for entry in entries[-_SHOWN_FRAMES:]:
        path = Path(str(entry.path))
        shown = path.relative_to(here) if path.is_relative_to(here) else path  # as pytest shows it
        lines.append(f"{shown}:{entry.lineno + 1}: in {entry.name}")
        try:
            statement = str(entry.statement).strip().splitlines()
        except Exception:  # a frame without source (a generated module): its location is enough
            statement = []
        if statement:
            lines.append(f"    {statement[0]}")
    return lines


class _Crash:
    """What pytest's one-line summary (``-r``) reads from a report: ``message``."""

    def __init__(self, path: str, lineno: int, message: str) -> None:
        self.path, self.lineno, self.message = path, lineno, message


class ShortReport:
    """A failure report as pytest draws it (``toterminal``), prints it in junit XML (``str``) and
    summarizes it (``reprcrash.message``)."""

    def __init__(self, text: str, crash: _Crash) -> None:
        self.text = text
        self.reprcrash = crash

    def toterminal(self, tw: Any) -> None:
        for line in self.text.splitlines():
            tw.line(line, red=line.startswith("E "), bold=line.startswith("E "))

    def __str__(self) -> str:
        return self.text


def short_report(exc: BaseException, traceback: Sequence[Frame]) -> ShortReport | None:
    """The short report of a failure (the exception and its traceback's entries), or None when none of
    the plugin's errors caused it."""
    error = plugin_error(exc)
    if error is None:
        return None
    lines = _frames(traceback)
    kind = type(error)
    message = str(error).splitlines() or [""]
    lines.append(f"E   {kind.__module__}.{kind.__qualname__}: {message[0]}")
    lines += [f"E   {line}" for line in message[1:]]
    if error is not exc:
        outer = type(exc)
        lines.append(f"    (the test saw it as {outer.__module__}.{outer.__qualname__})")
    last = traceback[-1] if traceback else None
    crash = _Crash(
        str(last.path) if last else "", (last.lineno + 1) if last else 0, f"{kind.__name__}: {message[0]}"
    )
    return ShortReport("\n".join(lines), crash)

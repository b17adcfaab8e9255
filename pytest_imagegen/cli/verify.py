"""``imagegen-cassettes verify``: every contract problem and every leak in cassette files, per file.

The contract verdict of each interaction is the engine's (``cassette/checks.py``, the same one replay
uses); this adds what only the command needs: reading the file (an unreadable or empty one is a problem,
not an error), every field checked whatever its index says, the leak scan with the default credential
patterns and any literal secrets the caller passes, every match key and verdict of an index replay would
trust recomputed and compared (``index.disagreements``), and problems as lines a reader can act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_imagegen.cassette.checks import contract_problems
from pytest_imagegen.cassette.index import disagreements
from pytest_imagegen.cassette.storage import Interaction, read_document
from pytest_imagegen.errors import CassetteError
from pytest_imagegen.safety.leaks import DEFAULT_PATTERNS, scan_for_leaks

__all__ = ["verify_file"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a cassette: which interaction (None: the file), where in it, and what."""

    index: int | None
    where: str
    message: str

    def describe(self, path: str, label: str = "") -> str:
        place = "" if self.index is None else f"interaction {self.index}{label}: "
        return f"{path}: {place}{self.where}: {self.message}"


@dataclass(frozen=True)
class FileReport:
    """What ``verify_file`` found in one cassette file."""

    path: Path
    interactions: list[Interaction]
    problems: list[Problem]


def check_interactions(
    interactions: Sequence[Mapping[str, Any]], *, strict: bool = False, secrets: Iterable[str] = ()
) -> list[Problem]:
    """Every contract problem and every leak in a cassette's interactions, in interaction order."""
    problems: list[Problem] = []
    for index, interaction in enumerate(interactions):
        try:
            found = contract_problems(interaction, strict=strict)
        except (KeyError, TypeError, ValueError) as exc:
            found = [("interaction", f"cannot be checked, it is malformed: {type(exc).__name__}: {exc}")]
        problems += [Problem(index, where, message) for where, message in found]
    for index, field, what in scan_for_leaks(interactions, secrets=secrets, patterns=DEFAULT_PATTERNS):
        problems.append(Problem(index, field, f"secret on disk: {what}"))
    problems.sort(key=lambda p: -1 if p.index is None else p.index)
    return problems


def _cassette_error_problem(exc: CassetteError) -> Problem:
    hint = str(exc).split("\n", 1)[1].strip() if "\n" in str(exc) else ""
    where = f"line {exc.line}" if exc.line is not None else "file"
    return Problem(None, where, exc.problem + (f". {hint}" if hint else ""))


def verify_file(path: Path, *, strict: bool = False, secrets: Iterable[str] = ()) -> FileReport:
    """Read one cassette and check everything in it; an unreadable file is one problem, not an error."""
    try:
        document = read_document(path)
    except CassetteError as exc:
        return FileReport(path, [], [_cassette_error_problem(exc)])
    except OSError as exc:
        return FileReport(path, [], [Problem(None, "file", f"cannot be read: {exc.strerror or exc}")])
    interactions = None if document is None else document.interactions
    if document is None or interactions is None:
        # The engine treats an empty file as "no cassette yet"; a file named for checking is one that
        # should hold a cassette, so empty means truncated or never written.
        empty = "is empty: not a cassette (cut short, or never written). Re-record it, or delete it"
        return FileReport(path, [], [Problem(None, "file", empty)])
    problems = check_interactions(interactions, strict=strict, secrets=secrets)
    hint = " (`imagegen-cassettes scrub` re-stamps it)"
    problems += [
        Problem(index, "index", what + hint)
        for index, what in disagreements(document.index, document.indexed_text, interactions)
    ]
    problems.sort(key=lambda p: -1 if p.index is None else p.index)
    return FileReport(path, interactions, problems)

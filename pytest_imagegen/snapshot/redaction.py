"""What a snapshot is redacted with: the test's redaction rules and the run's literal secrets, set by the
``imagegen_snapshot`` fixture for the running test, and the leak scan a finished snapshot text passes.

Everything written is a cassette: a snapshot is redacted as a recorded reply would be, and refused like
a cassette when a secret survives.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pytest_imagegen.config import ImagegenConfig
from pytest_imagegen.contract import registry
from pytest_imagegen.errors import SecretLeakError
from pytest_imagegen.safety.leaks import scan_for_leaks
from pytest_imagegen.safety.redact import redact_interaction
from pytest_imagegen.safety.redact_rules import DEFAULT_LEAK_PATTERNS, RedactionRules

__all__ = ["SnapshotRedaction", "current", "leak_check", "redacted", "redaction_for", "rules_for"]


@dataclass(frozen=True)
class SnapshotRedaction:
    """What a snapshot is redacted with: the rules of the test's configuration, and the literal secrets of
    the run (asked for at each snapshot, so those a recording found after the fixture was set up count)."""

    rules: RedactionRules = field(default_factory=RedactionRules)
    secrets: Callable[[], Iterable[str]] = field(default=lambda: ())

    def literals(self) -> set[str]:
        key = os.environ.get("OPENAI_API_KEY", "")  # the key a recording uses, whatever its shape
        return {*self.secrets(), *self.rules.values, *([key] if key else [])}


# The redaction in force for the snapshots of the running test (set by the ``imagegen_snapshot`` fixture);
# without one, the built-in rules and OPENAI_API_KEY still apply.
_REDACTION: contextvars.ContextVar[SnapshotRedaction | None] = contextvars.ContextVar(
    "imagegen_snapshot_redaction", default=None
)
_DEFAULT_REDACTION = SnapshotRedaction()


def current() -> SnapshotRedaction:
    """The redaction in force for the running test's snapshots (the built-in rules when none is set)."""
    return _REDACTION.get() or _DEFAULT_REDACTION


def rules_for(config: ImagegenConfig) -> RedactionRules:
    """The redaction rules a cassette of ``config`` records with."""
    return RedactionRules(
        headers=(*config.redact_headers, *registry.credential_headers()),
        query_keys=(*config.redact_query, *registry.credential_query_keys()),
        patterns=tuple(re.compile(p) for p in config.redact_patterns),
        values=config.secret_values,
        redact_user=config.redact_user,
    )


@contextlib.contextmanager
def redaction_for(
    config: ImagegenConfig | RedactionRules, secrets: Callable[[], Iterable[str]] = lambda: ()
) -> Iterator[SnapshotRedaction]:
    """Snapshots taken inside redact with ``config``'s rules and the literal ``secrets()``."""
    rules = config if isinstance(config, RedactionRules) else rules_for(config)
    redaction = SnapshotRedaction(rules, secrets)
    token = _REDACTION.set(redaction)
    try:
        yield redaction
    finally:
        _REDACTION.reset(token)


def redacted(document: Any, redaction: SnapshotRedaction, literals: set[str]) -> Any:
    """The reply as a cassette stores it: the same function, as a reply (fixed markers)."""
    stored, _ = redact_interaction(
        {"response": {"body": {"json": document}}}, redaction.rules, literals=literals
    )
    return stored["response"]["body"]["json"]


def leak_check(heading: str, lines: list[str], redaction: SnapshotRedaction, literals: set[str]) -> None:
    """Refuse (``SecretLeakError``) a snapshot text in which the leak scan still finds a secret."""
    patterns = DEFAULT_LEAK_PATTERNS + redaction.rules.patterns
    findings: list[tuple[int | None, str, str]] = []
    for number, line in enumerate(lines, start=1):
        for _, _, what in scan_for_leaks([{"": line}], secrets=literals, patterns=patterns):
            findings.append((None, f"line {number}", what))
    if findings:
        raise SecretLeakError(f"of the {heading}", findings, kind="snapshot")

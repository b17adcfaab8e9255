"""The API keys application code finds in the environment, changed with monkeypatch's semantics.

SDKs refuse to build a client without a key, and replay needs none, so a missing key variable holds
``DUMMY_API_KEY``, an obvious dummy that never leaves the machine (``stubs.py`` stops a recording that
would send it anywhere but the bundled emulator). Two scopes set it:

- **the session** (``session_keys``), from its start to its end, in a session that cannot record: record
  mode ``none``, or no ``OPENAI_API_KEY`` and no emulator to record from. An application that builds a
  module-level client (``client = openai.OpenAI()`` at import) is imported at collection, before any
  test runs; with the dummy already there it imports in a CI job with no secrets. A test that checks the
  application's missing-key path deletes it (``monkeypatch.delenv``) and gets it back afterwards.
- **a test's cassette** (``cassette/session.py``), while it is open.

Every change is undone last in, first out, as ``pytest.MonkeyPatch`` does. The plugin hands a test's own
``monkeypatch`` to the cassette (``EnvPatcher``), so that a test that itself calls
``monkeypatch.setenv("OPENAI_API_KEY", ...)`` after its cassette opened has that undone first, then the
cassette's: the variable ends as it was before the test (two independent restores, the cassette's first,
used to leave the dummy behind for every later test). Outside pytest, ``Environment`` does the same.

Importing this module is cheap: the plugin does it at the start of every session.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, MutableMapping
from typing import Protocol

__all__ = [
    "KEY_ALTERNATIVES",
    "KEY_VARIABLES",
    "EnvPatcher",
    "Environment",
    "begin_session",
    "missing_keys",
    "session_keys",
]

#: The variables the built-in API shapes' clients read a key from: the openai SDK (``OpenAI`` and
#: ``AzureOpenAI``) and Gemini clients (google-genai reads ``GOOGLE_API_KEY``, else ``GEMINI_API_KEY``).
#: The registry's ``key_variables()`` is the full list (a shape registered later may add one), and a
#: cassette uses it; the session starts with this copy because loading the registry loads the contract
#: and Pillow, which a session that never opens a cassette must not pay for.
#: ``tests/engine/test_session_environment.py`` checks that the two agree for the built-in shapes.
KEY_VARIABLES = (
    "OPENAI_API_KEY",
    "AZURE_OPENAI_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "BFL_API_KEY",
    "FAL_KEY",
    "REPLICATE_API_TOKEN",
    "STABILITY_API_KEY",
)
#: Variables that stand in for each other: while one of a group holds a key, the others are not set (a
#: dummy GOOGLE_API_KEY would hide a real GEMINI_API_KEY from google-genai, which prefers it).
KEY_ALTERNATIVES = (
    frozenset({"GEMINI_API_KEY", "GOOGLE_API_KEY"}),
    frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"}),
)


class EnvPatcher(Protocol):
    """What changes the environment: ``pytest.MonkeyPatch`` (a test's ``monkeypatch``) or ``Environment``."""

    def setenv(self, name: str, value: str) -> None: ...


def missing_keys(
    env: MutableMapping[str, str],
    variables: Iterable[str] = KEY_VARIABLES,
    alternatives: Iterable[frozenset[str]] = KEY_ALTERNATIVES,
) -> list[str]:
    """The key ``variables`` a client may find empty, less those whose alternative holds a key."""
    taken = {name for group in alternatives if any(env.get(n) for n in group) for name in group}
    return [name for name in variables if not env.get(name) and name not in taken]


class Environment:
    """Environment changes undone last in, first out (``undo``), like ``pytest.MonkeyPatch``'s."""

    def __init__(self, environ: MutableMapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ
        self._saved: list[tuple[str, str | None]] = []

    def setenv(self, name: str, value: str) -> None:
        self._saved.append((name, self.environ.get(name)))
        self.environ[name] = value

    def undo(self) -> None:
        while self._saved:
            name, value = self._saved.pop()
            if value is None:
                self.environ.pop(name, None)
            else:
                self.environ[name] = value


def session_keys(
    record_mode: str | None, base_url: str | None, environ: MutableMapping[str, str] | None = None
) -> Callable[[], None]:
    """Give the missing key variables the dummy for a session that cannot record (see the module
    docstring); returns what undoes it at the session's end."""
    env = Environment(environ)
    can_record = (record_mode or "none") != "none" and (
        base_url == "emulator" or bool(env.environ.get("OPENAI_API_KEY"))
    )
    missing = [] if can_record else missing_keys(env.environ)
    if missing:
        from pytest_imagegen.errors import DUMMY_API_KEY  # loaded only when a key is missing

        for name in missing:
            env.setenv(name, DUMMY_API_KEY)
        if not (env.environ.get("AWS_REGION") or env.environ.get("AWS_DEFAULT_REGION")):
            env.setenv("AWS_DEFAULT_REGION", "us-east-1")  # boto3 builds no client without a region
    return env.undo


def begin_session(
    record_mode: str | None,
    base_url: str | None,
    allowed_hosts: Iterable[str] = (),
    *,
    drift: object = None,
) -> Callable[[], None]:
    """What holds from a session's start to its end, given its record mode and base URL (command line >
    environment > ini): the dummy keys where it cannot record (``session_keys``) and, in record mode
    ``none`` (not a drift check, which sends live), the network blocked (``network.block_session``).
    Returns what ends both."""
    undo = [session_keys(record_mode, base_url)]
    if (record_mode or "none") == "none" and not drift:
        from pytest_imagegen.cassette.network import block_session

        undo.append(block_session(allowed_hosts, service=base_url))

    def end() -> None:
        while undo:
            undo.pop()()

    return end

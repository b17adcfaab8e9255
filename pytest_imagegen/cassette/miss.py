"""The error for a request a cassette cannot answer: the request, the nearest recorded one and what
differs, and the command that records it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from pytest_imagegen.cassette import match
from pytest_imagegen.cassette.requests import UNUSABLE, RecordedRequest
from pytest_imagegen.config import ImagegenConfig
from pytest_imagegen.errors import CassetteError, CassetteMiss

__all__ = ["key_variable", "miss_error"]

#: The variable a client reads its key from, by the host a request asked for (else ``OPENAI_API_KEY``).
_KEY_BY_HOST = (("googleapis.com", "GEMINI_API_KEY"), ("azure.com", "AZURE_OPENAI_API_KEY"))


def key_variable(url: str) -> str:
    """The key variable of the service ``url`` belongs to: the Gemini API's, Azure's or OpenAI's."""
    host = urlsplit(url).hostname or ""
    return next((name for suffix, name in _KEY_BY_HOST if host.endswith(suffix)), "OPENAI_API_KEY")


def _record_hint(
    request: RecordedRequest, config: ImagegenConfig, *, rewound: bool, test_id: str | None
) -> list[str]:
    """The command that records the request: with no cassette yet, ``once``; with one, the test's
    cassette recorded again with ``rewrite``, which leaves nothing stale behind (``new_episodes`` would
    keep the interaction this request replaced, never played again)."""
    target = test_id or "<your test>"
    command = f"pytest '{target}' --imagegen-record={'rewrite' if rewound else 'once'}"
    lines = [f"  record mode is {config.record_mode!r}."]
    if rewound:
        lines[0] += " To record this test's cassette again (it then holds exactly what the test sends now):"
    else:
        lines[0] += " To record it:"
    lines.append(f"    {key_variable(str(request.record['uri']))}=<your key> {command}")
    lines.append(f"  or, with no key, from the bundled emulator: {command} --imagegen-base-url=emulator")
    if rewound and config.cassette:
        lines.append(
            f"  (the cassette {config.cassette!r} is shared: name every test that uses it in that command, "
            "or rewrite drops their interactions)"
        )
    return lines


def miss_error(
    request: RecordedRequest,
    records: Sequence[Mapping[str, Any]],
    *,
    exhausted: int,
    path: str,
    config: ImagegenConfig,
    rewound: bool,
    test_id: str | None,
    secrets: Iterable[str],
    record_hint: bool = True,
) -> CassetteMiss:
    """The ``CassetteMiss`` for ``request`` in the cassette at ``path`` holding ``records``, of which
    ``exhausted`` match it but were all played already. ``record_hint``: end with the command that
    records it (the drift check, which records nothing, says something else)."""
    lines = [
        f"no recorded reply for {request.record['method']} {request.record['uri']}",
        f"  cassette: {path}",
    ]
    lines.append(f"  request: {match.summarize(request.record)}")
    nearest_text: str | None = None
    differences: list[str] = []
    if exhausted:
        lines.append(
            f"  {exhausted} recorded interaction(s) match it, and all of them were already played "
            "in this test (identical requests play back once each, in recorded order)."
        )
    elif records:
        try:
            best = match.nearest(request.record, records, config.match_on)
        except UNUSABLE as exc:  # a recorded request replay cannot read (as ImagegenCassette.rendered)
            raise CassetteError(
                path, f"a recorded request cannot be compared ({type(exc).__name__}: {exc})"
            ) from None
        if best is not None:
            nearest_text = match.summarize(records[best])
            differences = match.describe_differences(request.record, records[best], config.match_on)
            lines.append(f"  nearest recorded request (#{best} of {len(records)}): {nearest_text}")
            lines.append("  what differs:")
            lines += [f"    {d}" for d in differences]
    else:
        lines.append("  the cassette holds no interactions" + ("" if rewound else " (no file yet)"))
    if record_hint:
        lines += _record_hint(request, config, rewound=rewound, test_id=test_id)
    return CassetteMiss(
        "\n".join(lines),
        path=path,
        request=match.summarize(request.record),
        nearest=nearest_text,
        differences=differences,
        secrets=secrets,
    )

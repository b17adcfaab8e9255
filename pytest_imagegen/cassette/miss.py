"""The error for a request a cassette cannot answer: the request, the nearest recorded one and what
differs, and the command that records it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pytest_imagegen.cassette import match
from pytest_imagegen.cassette.requests import UNUSABLE, RecordedRequest
from pytest_imagegen.config import ImagegenConfig
from pytest_imagegen.errors import CassetteError, CassetteMiss

__all__ = ["miss_error"]


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
) -> CassetteMiss:
    """The ``CassetteMiss`` for ``request`` in the cassette at ``path`` holding ``records``, of which
    ``exhausted`` match it but were all played already."""
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
    target = test_id or "<your test>"
    mode = "new_episodes" if rewound else "once"
    command = f"pytest '{target}' --imagegen-record={mode}"
    lines.append(f"  record mode is {config.record_mode!r}. To record it from the service:")
    lines.append(f"    OPENAI_API_KEY=<your key> {command}")
    lines.append(f"  or, with no key, from the bundled emulator: {command} --imagegen-base-url=emulator")
    return CassetteMiss(
        "\n".join(lines),
        path=path,
        request=match.summarize(request.record),
        nearest=nearest_text,
        differences=differences,
        secrets=secrets,
    )

"""The drift check (``--imagegen-drift``): is the live service still what the cassette says?

A ``DriftCassette`` replays nothing. Each request a test sends is first matched against the cassette as
a replay would match it (a request the cassette lacks is a ``CassetteMiss``, as in replay: the drift
check compares, it does not record), then sent to the live service (or the emulator). The test gets the
live reply; the cassette gets nothing. The live reply, redacted, trimmed and normalized exactly as a
recording would store it, is compared with the recorded one (``compare.compare_replies``: by JSON path
and image facts, graded breaking / additive / volatile) and checked against the API contract (a
rejected reply is *contract drift*, breaking, with the contract's path).

Nothing is written, unless the check runs as ``--imagegen-drift=update``: then each interaction that
drifted (a breaking or additive change; volatile changes alone are not drift) is replaced, in place, by
its live recording, and every other interaction stays byte for byte as it was. The replacement happens
under the cassette's lock, on the file as it is then, so tests sharing a cassette on several xdist
workers each keep the others' replacements.

What each test found travels in its outcome (``outcome()["drift"]``, plain data) to the session's
summary (``run/verdict.py``), which reports per cassette and sets the exit status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pytest_imagegen.cassette import index, match, modes, storage
from pytest_imagegen.cassette.compare import Change, compare_replies
from pytest_imagegen.cassette.core import ImagegenCassette, stored_entry
from pytest_imagegen.cassette.miss import miss_error
from pytest_imagegen.cassette.requests import LiveReply, LiveRequest, RecordedRequest, request_line
from pytest_imagegen.config import ImagegenConfig
from pytest_imagegen.errors import CassetteMiss
from pytest_imagegen.safety import normalize
from pytest_imagegen.safety.credentials import mask_text

__all__ = ["DriftCassette", "drifted"]


def drifted(changes: Iterable[Change]) -> bool:
    """Whether ``changes`` hold drift: a breaking or additive change (volatile ones never are)."""
    return any(change.grade in ("breaking", "additive") for change in changes)


class DriftCassette(ImagegenCassette):
    """A cassette that matches each request, sends it live, and compares the live reply (see module)."""

    def __init__(
        self,
        path: Path,
        config: ImagegenConfig,
        *,
        update: bool = False,
        test_id: str | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        # A polled job is pending live as often as when it was recorded: each live poll is compared with
        # the state recorded in its place, never with the job's final one (``polling="collapse"``).
        super().__init__(path, config.replace(polling="faithful"), test_id=test_id, cache_dir=cache_dir)
        self.update = update
        self._pending: dict[LiveRequest, int] = {}
        self.drift: list[dict[str, Any]] = []
        self._replacements: dict[int, tuple[RecordedRequest, dict[str, Any]]] = {}

    def _policy(self) -> modes.Policy:
        return modes.DRIFT  # match as a replay would, then every matched request goes out

    @property
    def mode(self) -> str:
        return "drift"

    # --- matching: as a replay would, but the reply comes from the service ----------------------

    def play_raw(self, raw_key: str) -> int | None:
        return None  # the full path below matches, then lets the request go out

    def play_index(self, request: RecordedRequest) -> int | None:
        matched = self._as_stored(request)
        position = self._play_first_unplayed(matched.fingerprint)
        if position is None:
            raise self._drift_miss(matched)
        if isinstance(request, LiveRequest):
            self._pending[request] = position
        return None

    def _as_stored(self, request: RecordedRequest) -> RecordedRequest:
        """``request`` with the live reply ids this test received so far put back to the ids stored for
        them: a conversation's next turn names the live reply it continues (``previous_response_id``),
        which the cassette holds under its stable id. (The live request itself is left as it is: the
        recording that may replace it derives its ids from it, as the first recording did.)"""
        if not (self.ids or self.urls):
            return request
        record = normalize.normalize_request(request.record, self.ids, self.urls)
        if record == request.record:
            return request
        return RecordedRequest(record, index.match_key(match.fingerprint(record, self.config.match_on)))

    def _drift_miss(self, request: RecordedRequest) -> CassetteMiss:
        # Not the replay miss's hint: the record mode here is the drift check's bookkeeping, not the user's.
        miss = miss_error(
            request,
            [req.record for req, _ in self.data],
            exhausted=len(self._index.get(request.fingerprint, [])),
            path=str(self.file_path),
            config=self.config,
            rewound=self.rewound,
            test_id=self.test_id,
            secrets=self.secrets,
            record_hint=False,
        )
        target = self.test_id or "<your test>"
        note = (
            "\n  The drift check (--imagegen-drift) sends only requests the cassette holds, and records "
            f"nothing; record this one first, without --imagegen-drift: pytest '{target}' "
            "--imagegen-record=rewrite"
        )
        return CassetteMiss(
            str(miss) + note,
            path=miss.path,
            request=miss.request,
            nearest=miss.nearest,
            differences=miss.differences,
        )

    # --- the live reply -------------------------------------------------------------------------

    def record(self, request: LiveRequest, reply: LiveReply) -> None:
        """Compare the live reply to ``request`` with the recorded one; keep it only for an update."""
        position = self._pending.pop(request, None)
        if position is None:  # pragma: no cover - every request that goes out was matched first
            return
        stored, response = self.stored_form(request, reply)
        changes = compare_replies(self.data[position][1], response)
        changes += self._contract_drift(stored.record, response)
        self.drift.append(
            {
                "index": position,
                "request": request_line(self.data[position][0].record),
                # The report is printed (and kept in CI logs): the run's secrets are masked in it.
                "changes": [[c.grade, c.path, mask_text(c.what, self.secrets)] for c in changes],
            }
        )
        if self.update and drifted(changes):
            self._replacements[position] = (stored, response)

    def _contract_drift(self, request: Mapping[str, Any], response: Mapping[str, Any]) -> list[Change]:
        if not self.config.check_contract:
            return []
        from pytest_imagegen.cassette import checks

        problems = checks.contract_problems(
            {"request": request, "response": response}, strict=self.config.strict
        )
        return [Change("breaking", where, f"contract: {message}") for where, message in problems]

    # --- what is written: nothing, or the drifted interactions replaced in place -----------------

    def outcome(self) -> dict[str, Any]:
        outcome = super().outcome()
        outcome["drift"] = {
            "mode": "update" if self.update else "report",
            "interactions": self.drift,
            "updated": sorted(self._replacements),
        }
        return outcome

    def save(self) -> None:
        if not self._replacements or self._abandoned:
            return
        loaded = self.loaded_count
        replaced = {
            position: stored_entry(req, resp, verdict=False)
            for position, (req, resp) in self._replacements.items()
        }
        ours = [replaced.get(i, stored_entry(req, resp)) for i, (req, resp) in enumerate(self.data[:loaded])]

        def replace_on_disk(
            mine: list[storage.Stored], on_disk: list[storage.Stored]
        ) -> list[storage.Stored]:
            # Another test may have updated other interactions of this file since it was loaded.
            if len(on_disk) != loaded:
                return mine
            return [replaced.get(i, entry) for i, entry in enumerate(on_disk)]

        storage.save_cassette(
            self.file_path,
            ours,
            match_on=self.config.match_on,
            meta=self.meta or None,
            merge=replace_on_disk,
            check=self._check_leaks,
            cache_dir=self.cache_dir,
        )

"""The cassette: the interactions of one file, an indexed lookup, parsed bodies, safe persistence.

What it does with a request it can answer, one it cannot, and what it writes when the test ends is its
record mode's row of the table in ``modes.py``; this class keeps the books (the interactions in order,
which were loaded and which played, what was recorded). The stubs (``stubs.py``, ``libraries/``) serve
the active cassette. Lookup is one dict access from a request's match key (or, for a request
byte-identical to a recorded one, its raw key: ``index.py``) to interaction indexes, identical requests
in recorded order; keys and verdicts come from the file's index when it is current. An unreadable file
is a ``CassetteError``, never overwritten; writes are atomic, locked, merged with what other workers
wrote, and refused (``SecretLeakError``) on a leak. Requests and replies are kept parsed, redacted and
trimmed, exactly as on disk. Beside it: ``requests.py``, ``rendering.py``, ``miss.py``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_imagegen.cassette import index, match, modes, storage
from pytest_imagegen.cassette.age import Expiry
from pytest_imagegen.cassette.identity import Claims, raw_key_allowed, sent_form
from pytest_imagegen.cassette.miss import miss_error
from pytest_imagegen.cassette.polling import Polls
from pytest_imagegen.cassette.rendercache import Replies
from pytest_imagegen.cassette.rendering import Rendered
from pytest_imagegen.cassette.requests import (
    UNUSABLE,
    Headers,
    HeadersLike,
    LiveReply,
    LiveRequest,
    RecordedRequest,
    framing_headers,
    lower_headers,
    raw_key_of,
    request_line,
)
from pytest_imagegen.config import ImagegenConfig
from pytest_imagegen.contract import registry
from pytest_imagegen.errors import CassetteError, CassetteMiss, SchemaAssertionError, SecretLeakError
from pytest_imagegen.safety import normalize, redact, redact_rules, trim
from pytest_imagegen.safety.leaks import scan_for_leaks
from pytest_imagegen.wire import bodies, sse

__all__ = ["ImagegenCassette", "stored_entry"]


def _model_of(record: Mapping[str, Any]) -> str | None:
    """The model a stored request names, as ``imagegen-cassettes show`` writes it (None: not an API call)."""
    from pytest_imagegen.cassette.checks import model_of

    try:
        model = model_of(record)
    except (KeyError, TypeError, ValueError):
        return None
    return None if model == "-" else model


# Matchers a raw key does not cover: with any of them in match_on, every request takes the full path.
_NOT_IN_RAW_KEY = frozenset({"scheme", "host", "port"})


def stored_entry(
    request: RecordedRequest, response: dict[str, Any], *, verdict: bool = True
) -> storage.Stored:
    """An interaction as storage writes it: its keys, metadata and (with ``verdict``) contract verdict."""
    return storage.Stored(
        {"request": request.record, "response": response},
        request.raw_key,
        request.fingerprint,
        request.problems if verdict else None,
        request.meta,
    )


class ImagegenCassette:
    """One cassette file, active for one test (or shared by name)."""

    def __init__(
        self,
        path: Path,
        config: ImagegenConfig,
        *,
        test_id: str | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.config = config
        self.data: list[tuple[RecordedRequest, dict[str, Any]]] = []
        self.play_counts: Counter[int] = Counter()
        self.rewound = False  # the file existed when the cassette was opened
        self.policy = self._policy()
        self._n_loaded = 0
        self.test_id = test_id
        self.file_path = path
        self.cache_dir = cache_dir
        # Recording from the bundled emulator: where requests to other hosts are sent instead.
        self.redirect_to: str | None = None
        self.meta: dict[str, Any] = {}
        # Reply ids (and loopback origins, signed-URL times) of this run -> what is stored: normalize.py.
        self.ids: dict[str, str] = {}
        self.urls: dict[str, str] = {}
        self._claims = Claims(self)  # two requests sent differently but stored alike stop (identity.py)
        self.digest: str | None = None  # of the file as loaded
        self.write_refused = False  # the save at the end of the test raised (a leak, a bad file)
        self.rules = redact_rules.RedactionRules(
            # Beyond the built-in rules: where each API shape says its credentials travel.
            headers=(*config.redact_headers, *registry.credential_headers()),
            query_keys=(*config.redact_query, *registry.credential_query_keys()),
            patterns=tuple(re.compile(p) for p in config.redact_patterns),
            values=config.secret_values,
            redact_user=config.redact_user,
        )
        self.secrets: set[str] = set(config.secret_values)
        self._index: dict[str, list[int]] = {}
        self._by_raw: dict[str, int] = {}
        self._raw_lookup = not _NOT_IN_RAW_KEY.intersection(config.match_on)
        self.replies = Replies(path, config.replay_timing, cache_dir)
        self.polls = Polls(self.data, polling=config.polling, timing=config.replay_timing)
        self.recorded_count = 0
        self.missed_count = 0  # requests it could not answer (the session's report lists the cassette)
        self._recorded_keys: list[str] = []
        # Entries of loaded interactions by content (``metadata.content_key``), made on the first record.
        self._loaded_entries: dict[str, dict[str, Any]] | None = None
        # Set by the session when the cassette is older than config.max_age (``cassette/age.py``).
        self.expiry: Expiry | None = None
        self.undated = False  # a limit is set but the cassette's age is unknown
        self._abandoned = False

    # --- what tests and the plugin read -------------------------------------------------------

    @classmethod
    def load(cls, **kwargs: Any) -> ImagegenCassette:
        """The cassette at ``path``, its file read (if there is one) and its record policy chosen."""
        cassette = cls(**kwargs)
        cassette.read()
        return cassette

    def _policy(self) -> modes.Policy:
        return modes.policy_for(self.config.record_mode, exists=self.rewound)

    @property
    def path(self) -> str:
        return str(self.file_path)

    @property
    def mode(self) -> str:
        return str(self.config.record_mode)

    @property
    def write_protected(self) -> bool:  # a request the cassette cannot answer is a CassetteMiss
        return not self.policy.records

    @property
    def play_count(self) -> int:
        return sum(self.play_counts.values())

    @property
    def all_played(self) -> bool:
        return len(self.play_counts) == len(self.data)

    @property
    def interactions(self) -> list[dict[str, Any]]:
        """The stored interactions (redacted, trimmed) in order, as plain dicts."""
        return [{"request": req.record, "response": resp} for req, resp in self.data]

    @property
    def loaded_count(self) -> int:
        return self._n_loaded

    def outcome(self) -> dict[str, Any]:
        """What this test did with the cassette, as plain data (it travels from xdist workers)."""
        outcome = {
            "path": str(self.file_path),
            "loaded": self.loaded_count,
            "played": sorted(i for i in range(self._n_loaded) if self.play_counts[i]),
            "recorded": 0 if self.write_refused else self.recorded_count,
            "refused": self.write_refused,
            "digest": self.digest,
            "cassette_dir": str(self.config.cassette_dir),
        }
        if self.expiry is not None:
            outcome["expired"] = {**self.expiry.as_data(), "on_expiry": self.config.on_expiry}
        if self.undated:
            outcome["undated"] = True
        if self._abandoned and self.recorded_count:
            outcome["recorded"], outcome["discarded"] = 0, self.recorded_count
        if self.missed_count:
            outcome["missed"] = self.missed_count
        if (polling := self.polls.outcome()) is not None:
            outcome["polling"] = polling  # what replaying polled jobs saved (the session summary)
        return outcome

    def abandon(self) -> None:
        """Leave the file as it was: nothing recorded in this test is written (``record_on_error``)."""
        self._abandoned = True

    # --- turning live traffic into stored form -----------------------------------------------

    def raw_key(self, method: str, url: str, headers: HeadersLike, raw: bytes) -> tuple[str, Headers]:
        """The request's raw key (``index.raw_key``) and its framing headers."""
        return raw_key_of(method, url, headers, raw)

    def make_request(
        self, method: str, url: str, headers: HeadersLike, raw: bytes, *, raw_key: str | None = None
    ) -> LiveRequest:
        """A live request with its match key, computed on the redacted and trimmed method, URI and body.

        The one function that makes what is stored and matched, at record and replay time alike. Headers
        are never matched, so they are left for ``record`` to clean.
        """
        __tracebackhide__ = True
        if raw_key is None:
            raw_key, framing = self.raw_key(method, url, headers, raw)
        else:
            framing = framing_headers(headers)
        content = raw
        if "content-encoding" in framing:
            content, framing = bodies.decode_content(framing, raw)
        body = bodies.parse_body(framing, content)
        cleaned, found = redact.redact_request(
            {"method": method.upper(), "uri": url, "body": body},
            self.rules,
            credentials=headers.multi_items(),
            literals=self.secrets,
        )
        self.secrets.update(found)
        redacted = cleaned["body"]  # what a recording stores, trimmed with previews
        cleaned["body"] = trim.trim_body(redacted, keep=self.config.payloads == "keep")
        cleaned = normalize.normalize_request(cleaned)
        key = index.match_key(match.fingerprint(cleaned, self.config.match_on))
        return LiveRequest(cleaned, key, headers, body, raw_key, url=url, redacted_body=redacted)

    def _seed(self, stored_request: Mapping[str, Any]) -> str:
        """Replacement ids derive from what was asked, as stored (ids it carries already replaced), and
        how often it was asked before in this run: recording the same calls again gives the same ids,
        even in a conversation whose later turns carry the service's new ids."""
        key = index.match_key(match.fingerprint(stored_request, self.config.match_on))
        seed = f"{key}:{self._recorded_keys.count(key)}"
        self._recorded_keys.append(key)
        return seed

    def _clean(self, request: LiveRequest, headers: Headers, response: dict[str, Any]) -> dict[str, Any]:
        """The stored form of a live interaction: the request's method, URI and body as ``make_request``
        made them (what a replay computes), its headers and the reply redacted here with every secret the
        run has seen (a key in a header is removed from both), then trimmed and normalized."""
        sides = {"request": {"headers": headers}, "response": response}
        cleaned, found = redact.redact_interaction(sides, self.rules, literals=self.secrets)
        self.secrets.update(found)
        method, uri, body = request.record["method"], request.record["uri"], request.redacted_body
        cleaned["request"] = {
            "method": method,
            "uri": uri,
            "headers": cleaned["request"]["headers"],
            "body": body,
        }
        keep = self.config.payloads == "keep"
        trimmed = trim.trim_interaction(cleaned, keep=keep)
        timing = self.config.replay_timing == "recorded"
        made_up = registry.volatile_fields(str(uri))  # what its shape's replies make up afresh
        return normalize.normalize_interaction(
            trimmed, seed=self._seed, keep_offsets=timing, ids=self.ids, urls=self.urls, fields=made_up
        )

    def record(self, request: LiveRequest, reply: LiveReply) -> None:
        """Store a real response to ``request`` (called once its body has been read in full)."""
        __tracebackhide__ = True
        stored, response = self.stored_form(request, reply)
        self._claims.claim(len(self.data), stored, request, recorded=True)
        self.append(stored, response)
        self.recorded_count += 1
        # Kept even when it breaks the contract (it is what the service said), but the caller is told.
        self.check_contract(len(self.data) - 1, what="the reply just recorded")

    def stored_form(self, request: LiveRequest, reply: LiveReply) -> tuple[RecordedRequest, dict[str, Any]]:
        """A real response to ``request`` as it would be stored (redacted, trimmed, normalized), with its
        metadata entry; not yet added to the cassette."""
        headers = lower_headers(reply.header_items)
        encoded = "content-encoding" in headers
        content, headers = bodies.decode_content(headers, b"".join(reply.chunks))
        arrival: list[float] | None = None
        content_type = bodies.get_header(headers, "content-type") or ""
        if not encoded and reply.chunk_offsets_ms and content_type.startswith("text/event-stream"):
            # Each event keeps the arrival offset of the chunk that completed it (for paced replay).
            arrival = sse.sse_event_offsets(zip(reply.chunk_offsets_ms, reply.chunks, strict=True))
        body = bodies.parse_body(headers, content, arrival_offsets_ms=arrival)
        response = {
            "status": {"code": reply.status, "message": reply.reason},
            "headers": bodies.stored_headers(headers, "response"),
            "body": body,
        }
        headers_kept = bodies.stored_headers(lower_headers(request.headers.multi_items()), "request")
        interaction = self._clean(request, headers_kept, response)
        # The key of what is stored (normalized like every live request is before matching).
        key = index.match_key(match.fingerprint(interaction["request"], self.config.match_on))
        # No raw key over bytes that carried a secret: it would be a test against a dictionary.
        unredacted = sent_form(request, keep=self.config.payloads == "keep")
        raw_key = request.raw_key if raw_key_allowed(request.record, unredacted) else None
        if key != request.fingerprint:  # it sends back what a reply handed out, stored as replaced there
            raw_key = None
        stored = RecordedRequest(interaction["request"], key, raw_key)
        stored.meta = self._entry_for(request, interaction)
        return stored, interaction["response"]

    def _entry_for(self, request: LiveRequest, interaction: Mapping[str, Any]) -> dict[str, Any]:
        """The metadata entry of a just-recorded interaction: the loaded one when a loaded interaction
        has the same stored form (byte-stable re-recording) and has not outlived ``max_age``, else new."""
        from pytest_imagegen.cassette import metadata, packing

        now = datetime.now(UTC)
        if self._loaded_entries is None:
            self._loaded_entries = {
                metadata.content_key({"request": req.record, "response": resp}): req.meta
                for req, resp in self.data[: self._n_loaded]
                if req.meta
            }
        # As loaded: unpacking adds a JSON request's content-type even where none was sent (boto3).
        same = self._loaded_entries.get(metadata.content_key(packing.unpack(packing.pack(interaction))))
        if same is not None and not metadata.outlived(same, self.config.max_age, now):
            return same
        return metadata.new_entry(
            now=now,
            plugin=metadata.plugin_version(),
            client=metadata.product_of(request.headers.multi_items()),
            http=metadata.http_library(request.headers),
            model=_model_of(interaction["request"]),
            service=metadata.service_of(
                str(interaction["request"]["uri"]),
                emulator=self.config.base_url == "emulator" or self.redirect_to is not None,
            ),
            safe=self._no_secret_in,
        )

    def _no_secret_in(self, text: str) -> bool:
        """Whether ``text`` holds neither a secret seen in this run nor anything shaped like one."""
        if any(len(secret) >= 6 and secret in text for secret in self.secrets):
            return False
        return not any(p.search(text) for p in (*redact_rules.DEFAULT_LEAK_PATTERNS, *self.rules.patterns))

    def check_contract(self, index: int, *, what: str = "the recorded reply") -> None:
        """Raise ``SchemaAssertionError`` if interaction ``index`` breaks the API contract.

        Every reply that passes through a cassette is checked, whichever client made the call: the
        request as recorded against the contract, the reply against the request. The verdict comes from
        the file's index when it is current, else it is computed once and kept.
        """
        if not self.config.check_contract:
            return
        request, response = self.data[index]
        strict = self.config.strict
        problems = None if strict else request.problems
        if problems is None:
            from pytest_imagegen.cassette import checks  # the contract: imported only when needed

            try:
                problems = checks.contract_problems(
                    {"request": request.record, "response": response}, strict=strict
                )
            except UNUSABLE as exc:
                raise CassetteError(
                    str(self.file_path),
                    f"interaction {index} cannot be checked ({type(exc).__name__}: {exc})",
                ) from None
            if not strict:
                request.problems = problems
        if problems:
            where = f"{what} for {request_line(request.record)} (interaction {index} of {self.file_path})"
            shape = registry.shape_for(str(request.record.get("uri", "")))
            raise SchemaAssertionError(problems, context=where, api=shape.api if shape else "Images API")

    # --- the books: interactions, plays, load and save ----------------------------------------

    def append(self, request: RecordedRequest, response: dict[str, Any]) -> None:
        position = len(self.data)
        self._index.setdefault(request.fingerprint, []).append(position)
        if request.raw_key is not None:
            self._by_raw.setdefault(request.raw_key, position)
        self.data.append((request, response))

    def _play_first_unplayed(self, fingerprint: str) -> int | None:
        if not self.policy.plays:
            return None
        positions = self._index.get(fingerprint, ())
        for start, position in enumerate(positions):
            if self.play_counts[position] == 0:
                # A polled job's pending states may be skipped to its final one (``polling.py``); they
                # count as played, so that no later read gets them and prune keeps them (faithful).
                chosen, skipped = self.polls.choose(positions, start)
                for played in (*skipped, chosen):
                    self.play_counts[played] += 1
                return chosen
        return None

    def play_raw(self, raw_key: str) -> int | None:
        """Index of the next unplayed interaction matching a request whose raw key is ``raw_key``, marked
        as played; None when the raw key is unknown (the caller then takes the full path)."""
        __tracebackhide__ = True
        if not self._raw_lookup:
            return None
        position = self._by_raw.get(raw_key)
        if position is None:
            return None
        # The same request as a recorded one: it plays what the full match would (identical requests in
        # recorded order), so it is looked up among that recorded request's matches.
        played = self._play_first_unplayed(self.data[position][0].fingerprint)
        if played is not None:  # a raw key is stored only for a request redaction left as it was
            self._claims.claim(played, self.data[played][0], None, recorded=False)
        return played

    def play_index(self, request: RecordedRequest) -> int | None:
        """Index of the next unplayed interaction matching ``request``, marked as played; or None."""
        __tracebackhide__ = True
        played = self._play_first_unplayed(request.fingerprint)
        if played is not None:
            live = request if isinstance(request, LiveRequest) else None
            self._claims.claim(played, self.data[played][0], live, recorded=False)
        return played

    def read(self) -> None:
        """Read the file, if there is one (a file that cannot be used is a ``CassetteError``)."""
        document = storage.read_document(self.file_path, trust_index=True)
        if document is None:
            return
        self.meta, self.digest = document.meta, document.digest
        self.replies.digest = document.digest
        match_on = self.config.match_on
        for entry in storage.stored_from_document(document, match_on):
            record = entry.interaction["request"]
            key = entry.match_key
            if key is None:
                try:
                    key = index.match_key(match.fingerprint(record, match_on))
                except (KeyError, TypeError, ValueError) as exc:
                    raise CassetteError(
                        str(self.file_path), f"interaction {len(self.data)}: bad request ({exc})"
                    ) from None
            req = RecordedRequest(record, key, entry.raw_key, entry.problems, entry.meta)
            self.append(req, entry.interaction["response"])
        self._n_loaded = len(self.data)
        self.rewound = True
        self.policy = self._policy()

    def save(self) -> None:
        """Write what the record mode keeps (``modes.to_save``), unless the test ``abandon``ed it."""
        if self._abandoned:
            return
        n = self._n_loaded
        keep = modes.to_save(self.policy, self.data[:n], self.data[n:], lambda item: item[0].fingerprint)
        if keep is None:
            return
        storage.save_cassette(
            self.file_path,
            [stored_entry(req, resp) for req, resp in keep],
            match_on=self.config.match_on,
            meta=self.meta or None,
            merge=self._merge,
            check=self._check_leaks,
            cache_dir=self.cache_dir,
        )

    def _merge(self, ours: list[storage.Stored], on_disk: list[storage.Stored]) -> list[storage.Stored]:
        """Keep what another process recorded into the same file since we loaded it."""
        known = {entry.match_key for entry in ours}
        known_loaded = {req.fingerprint for req, _ in self.data[: self._n_loaded]}
        theirs = [e for e in on_disk if e.match_key not in known and e.match_key not in known_loaded]
        return ours + theirs

    def _check_leaks(self, interactions: list[dict[str, Any]]) -> None:
        findings = scan_for_leaks(
            interactions,
            secrets=self.secrets,
            patterns=redact_rules.DEFAULT_LEAK_PATTERNS + self.rules.patterns,
        )
        if findings:
            raise SecretLeakError(str(self.file_path), findings)

    # --- replay ------------------------------------------------------------------------------

    def rendered(self, index: int) -> Rendered:
        """The replayable form of interaction ``index`` (placeholders expanded): made once, and kept across
        runs while the file's bytes stay the same (``rendercache.py``); what rendering cannot use in a
        file whose index vouched for it is a ``CassetteError`` naming the interaction."""
        return self.replies.get(index, self.data[index][1])

    def miss(self, request: RecordedRequest) -> CassetteMiss:
        """The error for a request this cassette cannot answer, with the nearest recorded request."""
        self.missed_count += 1
        return miss_error(
            request,
            [req.record for req, _ in self.data],
            exhausted=len(self._index.get(request.fingerprint, [])),
            path=str(self.file_path),
            config=self.config,
            rewound=self.rewound,
            test_id=self.test_id,
            secrets=self.secrets,
        )

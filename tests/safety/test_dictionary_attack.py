"""Nothing on disk lets a dictionary recover a secret (issue 20, break 6).

Before: a password was stored as ``REDACTED-<sha256(password)[:8]>``, and the index's raw key (64 bits of
SHA-256 over the bytes as sent) let a 12x1000-guess dictionary recover a ``user`` id and a configured
``secret_values`` entry. Here an attacker who knows everything about the requests but the three secrets
(low-entropy ones: a ``user`` id redacted with ``redact_user=True``, a ``password`` field, a configured
secret value) tries 10,000 candidates for each, the true one among them, against every hex digest, marker
and index key in the cassette: raw keys and match keys recomputed over each guess, digests of each guess
(SHA-256, SHA-1, MD5, BLAKE2 at any length of 8 hex digits or more), request ids derived from them. It
recovers nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from pytest_imagegen.cassette import index, match
from pytest_imagegen.cli import main
from pytest_imagegen.config import DEFAULT_MATCH_ON
from pytest_imagegen.wire.bodies import parse_body
from tests.engine.conftest import Tape
from tests.safety.loopback import Loopback, Reply, Seen

USER, PASSWORD, TENANT = "user4821", "sunshine77", "blue-otter-12"
DICTIONARIES: dict[str, list[str]] = {
    "user": [f"user{n:04d}" for n in range(10_000)],
    "password": [f"sunshine{n}" for n in range(10_000)],
    "secret value": [f"blue-otter-{n}" for n in range(10_000)],
}
TRUE = {"user": USER, "password": PASSWORD, "secret value": TENANT}


BOUNDARY = "attacker-knows-this-boundary"


def multipart(fields: dict[str, str]) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode()


def requests(user: str, password: str, tenant: str) -> list[tuple[str, bytes, str]]:
    """(target, body, content type) of the calls, with the given secrets: what the attacker rebuilds."""
    generation = {"model": "gpt-image-1", "prompt": f"a poster for {tenant}", "user": user}
    return [
        ("/v1/images/generations", json.dumps(generation).encode(), "application/json"),
        (
            "/v1/images/generations",
            json.dumps({"prompt": "p", "password": password}).encode(),
            "application/json",
        ),
        (f"/v1/images/generations?tenant={tenant}", b'{"prompt":"q"}', "application/json"),
        (
            "/v1/images/edits",
            multipart({"prompt": f"for {tenant}", "user": user}),
            f"multipart/form-data; boundary={BOUNDARY}",
        ),
    ]


def echo(seen: Seen) -> Reply:
    # The service repeats what it was sent, secrets included: replies are redacted too.
    return Reply(body=json.dumps({"created": 1, "data": [], "echo": seen.body.decode("latin-1")}).encode())


def guesses(kind: str) -> Iterator[tuple[str, list[tuple[str, bytes, str]]]]:
    """Each candidate with the calls that carry it (the others do not depend on it)."""
    true_calls = requests(USER, PASSWORD, TENANT)
    for candidate in DICTIONARIES[kind]:
        secrets = {**TRUE, kind: candidate}
        calls = requests(secrets["user"], secrets["password"], secrets["secret value"])
        if candidate == TRUE[kind]:
            yield candidate, calls
        else:
            yield candidate, [call for call, true in zip(calls, true_calls, strict=True) if call != true]


def keys_of(call: tuple[str, bytes, str]) -> set[str]:
    """The raw key and the match key (unredacted) of a call as the attacker rebuilds it."""
    target, body, content_type = call
    path, _, query = target.partition("?")
    framing = content_type.split(";")[0] + "\0"
    if BOUNDARY in content_type:
        body = body.replace(BOUNDARY.encode(), b"\0boundary\0")
    raw = index.raw_key("POST", match.operation_path(path), match.canonical_query(query), framing, body)
    parsed = parse_body({"content-type": [content_type]}, body)
    record = {"method": "POST", "uri": f"http://127.0.0.1{target}", "body": parsed}
    key = index.match_key(match.fingerprint(record, DEFAULT_MATCH_ON))
    return {raw, key, "req_" + hashlib.sha256(f"{key}:0".encode()).hexdigest()[:32]}


DIGESTS: list[Callable[[bytes], str]] = [
    lambda b: hashlib.sha256(b).hexdigest(),
    lambda b: hashlib.sha1(b).hexdigest(),
    lambda b: hashlib.md5(b).hexdigest(),
    lambda b: hashlib.blake2b(b).hexdigest(),
]


@pytest.fixture
def cassette_text(tmp_path: Path) -> str:
    tape = Tape(tmp_path / "cassettes", "tests/test_x.py::test_low_entropy")
    config = {"check_contract": False, "redact_user": True, "secret_values": (TENANT,)}
    with Loopback(echo) as service, tape.open("once", **config) as cassette:
        for target, body, content_type in requests(USER, PASSWORD, TENANT):
            headers = {"content-type": content_type, "authorization": "Bearer sk-test-engine-key"}
            httpx.post(service.base_url + target, content=body, headers=headers).raise_for_status()
    text = cassette.file_path.read_text()
    for secret in TRUE.values():
        assert secret not in text
    return text


@pytest.mark.parametrize("kind", DICTIONARIES)
def test_a_dictionary_recovers_nothing(cassette_text: str, kind: str) -> None:
    assert TRUE[kind] in DICTIONARIES[kind]
    assert len(DICTIONARIES[kind]) == 10_000
    hex_runs = set(re.findall(r"[0-9a-f]{8,}", cassette_text))
    lengths = sorted({len(run) for run in hex_runs})
    document = json.loads(cassette_text)
    stored_keys = {key for entry in document["index"]["interactions"] for key in entry[:2] if key}
    recovered = []
    for candidate, calls in guesses(kind):
        raw = candidate.encode()
        digests = [digest(raw) for digest in DIGESTS]
        if any(d[:n] in hex_runs for d in digests for n in lengths if n <= len(d)):
            recovered.append(f"{candidate}: a digest of it is in the cassette")
        rebuilt = set().union(*(keys_of(call) for call in calls))
        if rebuilt & (stored_keys | hex_runs):
            recovered.append(f"{candidate}: a key over the bytes it was sent in is in the cassette")
    assert recovered == []


def test_scrub_removes_the_digests_an_earlier_version_put_in_markers(tmp_path: Path) -> None:
    # Earlier versions stored a password as REDACTED-<sha256(password)[:8]>: such a cassette neither
    # matches today's replay nor keeps the secret safe. `imagegen-cassettes scrub` drops the digests.
    tape = Tape(tmp_path / "cassettes", "tests/test_x.py::test_old")
    call = ("/v1/images/generations", b'{"prompt":"use sunshine77 now","password":"sunshine77"}')
    with Loopback(echo) as service, tape.open("once", check_contract=False) as cassette:
        httpx.post(service.base_url + call[0], content=call[1], headers={"content-type": "application/json"})
    old = hashlib.sha256(PASSWORD.encode()).hexdigest()[:8]
    text = cassette.file_path.read_text().replace('"REDACTED"', f'"REDACTED-{old}"')
    cassette.file_path.write_text(text.replace("use REDACTED now", f"use REDACTED-{old} now"))
    assert old in cassette.file_path.read_text()
    assert main(["scrub", str(cassette.file_path)]) == 0
    assert old not in cassette.file_path.read_text()
    with tape.open("none", check_contract=False) as replay:
        httpx.post(
            "http://127.0.0.1:9" + call[0], content=call[1], headers={"content-type": "application/json"}
        )
        assert replay.all_played

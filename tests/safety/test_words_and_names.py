"""Words are not credentials, and a credential name is one name everywhere (issue 20, break 2).

Before: prompts ``"key=Cmaj7 chord poster"`` and ``"key=Dmin7 chord poster"`` were both stored as
``key=REDACTED chord poster`` (so were ``token=``, ``code=`` and ``signature=`` prompts), and the query
parameters ``?max_tokens=16`` / ``?max_tokens=4096`` and ``?pageToken=A`` / ``?pageToken=B`` were
redacted as secrets: each pair replayed the other's reply. ``pwd``, ``authorization`` and ``sig`` were
secrets in a body but not in a query or a header.

Now free text is redacted only for credential shapes and the run's own secrets, and query, body and
header names are looked up whole in one list.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_imagegen.cassette.match import fingerprint
from pytest_imagegen.config import DEFAULT_MATCH_ON
from pytest_imagegen.safety.redact import redact_interaction, redact_request
from pytest_imagegen.safety.redact_rules import is_secret_field_name, is_secret_header, is_secret_query_key
from tests.engine.conftest import Tape
from tests.safety.pairs import Call, record_then_replay

GENERATIONS = "https://api.openai.com/v1/images/generations"

PROMPT_PAIRS = [
    ("key=Cmaj7 chord poster", "key=Dmin7 chord poster"),
    ("token=gold coin", "token=silver coin"),
    ("code=red alert", "code=blue alert"),
    ("signature=bold", "signature=thin"),
    ("a poster, password: swordfish1", "a poster, password: swordfish2"),
    ("api_key = the Cmaj7 chord", "api_key = the Dmin7 chord"),
]
QUERY_PAIRS = [("max_tokens=16", "max_tokens=4096"), ("pageToken=AAAAAA1", "pageToken=BBBBBB2")]


def stored(body: dict[str, object], query: str = "") -> dict[str, object]:
    request = {"method": "POST", "uri": GENERATIONS + (f"?{query}" if query else ""), "body": {"json": body}}
    return redact_request(request)[0]


@pytest.mark.parametrize(("first", "second"), PROMPT_PAIRS)
def test_credential_words_in_a_prompt_are_words(first: str, second: str) -> None:
    a, b = stored({"prompt": first}), stored({"prompt": second})
    assert a["body"] == {"json": {"prompt": first}}
    assert b["body"] == {"json": {"prompt": second}}
    assert fingerprint(a, DEFAULT_MATCH_ON) != fingerprint(b, DEFAULT_MATCH_ON)


@pytest.mark.parametrize(("first", "second"), QUERY_PAIRS)
def test_counts_and_cursors_in_a_query_are_not_secrets(first: str, second: str) -> None:
    a, b = stored({"prompt": "p"}, first), stored({"prompt": "p"}, second)
    assert a["uri"] == f"{GENERATIONS}?{first}"
    assert b["uri"] == f"{GENERATIONS}?{second}"
    assert fingerprint(a, DEFAULT_MATCH_ON) != fingerprint(b, DEFAULT_MATCH_ON)


def test_a_query_parameter_in_a_url_without_a_scheme_is_still_redacted() -> None:
    # Only the start of the text lost its query rule: after "?" or "&" a name still decides.
    text = "see cdn.example.com/i.png?token=FAKEtok3n9999&x=1 and x.io/a?key=FAKEkey77777"
    out = redact_interaction({"response": {"body": {"json": {"note": text}}}})[0]
    assert out["response"]["body"]["json"]["note"] == (
        "see cdn.example.com/i.png?token=REDACTED&x=1 and x.io/a?key=REDACTED"
    )


# One list: a name is a secret in a query, a body and a header alike, or nowhere.
SECRET_NAMES = ["pwd", "authorization", "sig", "password", "api_key", "apiKey", "client_secret", "x-api-key"]
SECRET_NAMES += ["access_token", "signature", "token", "key", "X-Amz-Signature", "webhook_secret", "hmac"]
HARMLESS_NAMES = ["max_tokens", "pageToken", "page_token", "next_page_token", "sort_key", "keyword"]
HARMLESS_NAMES += ["thoughtSignature", "total_tokens", "monkey", "author", "signatures_count", "prompt"]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_a_credential_name_is_one_everywhere(name: str) -> None:
    assert is_secret_query_key(name)
    assert is_secret_field_name(name)
    assert is_secret_header(name)
    value = "hunter2xyz"
    interaction = {
        "request": {
            "method": "POST",
            "uri": f"{GENERATIONS}?{name}={value}",
            "headers": {name: [value]},
            "body": {"json": {"prompt": "p", name: value}},
        }
    }
    out, _ = redact_interaction(interaction)
    assert value not in json.dumps(out)


@pytest.mark.parametrize("name", HARMLESS_NAMES)
def test_a_name_that_only_contains_a_credential_word_is_no_credential(name: str) -> None:
    assert not is_secret_query_key(name)
    assert not is_secret_field_name(name)
    request = {"method": "POST", "uri": f"{GENERATIONS}?{name}=7", "body": {"json": {name: "seven7"}}}
    assert redact_request(request)[0] == request


def test_code_is_a_credential_in_a_query_only() -> None:
    # Azure Functions' key travels as ?code=; in a body, "code" is every error envelope's error code.
    assert is_secret_query_key("code")
    assert not is_secret_field_name("code")
    reply = {"json": {"error": {"code": "invalid_value", "message": "bad size"}}}
    assert redact_interaction({"response": {"body": reply}})[0]["response"]["body"] == reply


# ----------------------------------------------------------------------------- through the engine


@pytest.fixture
def tape(tmp_path: Path, request: pytest.FixtureRequest) -> Tape:
    return Tape(tmp_path / "cassettes", request.node.nodeid)


def test_each_word_pair_and_query_pair_replays_its_own_reply(tape: Tape) -> None:
    calls = [
        Call("/v1/images/generations", json.dumps({"model": "gpt-image-1", "prompt": prompt}).encode())
        for pair in PROMPT_PAIRS
        for prompt in pair
    ]
    calls += [
        Call(f"/v1/images/generations?{query}", b'{"prompt":"p"}') for pair in QUERY_PAIRS for query in pair
    ]
    assert record_then_replay(tape, calls) is None

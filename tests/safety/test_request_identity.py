"""Redaction never changes what a request is (issue 11, break 3; issue 20, breaks 3 and 9).

Before issue 11: prompts ``"the sk-learn logo"`` and ``"the sk-image logo"`` were both stored as
``the sk-REDACTED logo``, so each got the other's reply. Issue 11 kept real secrets apart with a short
digest in the marker (``sk-REDACTED-1a2b3c4d``); issue 20 found that digest a test against a dictionary.
Now ordinary words stay as they were, a real secret becomes a marker that says nothing of it, and two
requests that redaction stores alike although they were sent differently are refused when recorded
into one cassette (``IndistinguishableRequestsError``, nothing written). A request is redacted by one
function at record and replay time, so a value repeated elsewhere in its body replays (break 9).
"""

from __future__ import annotations

import re
from pathlib import Path

import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_imagegen.cassette.match import fingerprint
from pytest_imagegen.config import DEFAULT_MATCH_ON
from pytest_imagegen.emulator import Emulator
from pytest_imagegen.errors import IndistinguishableRequestsError
from pytest_imagegen.safety.leaks import scan_for_leaks
from pytest_imagegen.safety.redact import redact_interaction, redact_request
from pytest_imagegen.safety.redact_rules import RedactionRules
from tests.engine.conftest import DEAD_BASE_URL, KEY, Tape
from tests.safety.fakes import fake_aws, fake_google, fake_jwt, fake_key, fake_org, fake_project
from tests.safety.loopback import Loopback
from tests.safety.pairs import Call, send

GENERATIONS = "https://api.openai.com/v1/images/generations"

# Words that share a credential's prefix: text, not secrets.
ORDINARY = [
    ("the sk-learn logo", "the sk-image logo"),
    ("an org-2024 chart", "an org-2025 chart"),
    ("a proj_x mascot", "a proj_y mascot"),
    ("the Bearer brothers", "the Bearer sisters"),
    ("sk-2024-annual-report-final-v2 cover", "sk-2025-annual-report-final-v3 cover"),
]

# Real credential shapes pasted into prompts: each pair differs only in the secret.
SECRETS = [
    (fake_key("a"), fake_key("b")),
    (fake_key("a", "sk-ant-api03-"), fake_key("b", "sk-ant-api03-")),
    (fake_org("a"), fake_org("b")),
    (fake_project("a"), fake_project("b")),
    (fake_google("a"), fake_google("b")),
    (fake_aws("a"), fake_aws("b")),
    (fake_jwt("a"), fake_jwt("b")),
    ("Bearer " + fake_key("a"), "Bearer " + fake_key("b")),
]


def request(body: dict[str, object]) -> dict[str, object]:
    return {"method": "POST", "uri": GENERATIONS, "body": {"json": body}}


def stored(prompt: str, rules: RedactionRules | None = None) -> dict[str, object]:
    cleaned, _ = redact_request(request({"model": "dall-e-3", "prompt": prompt}), rules or RedactionRules())
    return cleaned


@pytest.mark.parametrize(("first", "second"), ORDINARY)
def test_ordinary_words_are_not_redacted(first: str, second: str) -> None:
    a, b = stored(first), stored(second)
    assert a["body"] == {"json": {"model": "dall-e-3", "prompt": first}}
    assert b["body"] == {"json": {"model": "dall-e-3", "prompt": second}}
    assert fingerprint(a, DEFAULT_MATCH_ON) != fingerprint(b, DEFAULT_MATCH_ON)


@pytest.mark.parametrize(
    ("first", "second"),
    SECRETS,
    ids=["openai", "anthropic", "org", "project", "google", "aws", "jwt", "bearer"],
)
def test_a_secret_in_a_prompt_is_removed_and_nothing_of_it_is_kept(first: str, second: str) -> None:
    a, b = stored(f"draw {first} as a fox"), stored(f"draw {second} as a fox")
    for cleaned, secret in ((a, first), (b, second)):
        text = str(cleaned)
        assert secret.split(" ")[-1] not in text
        assert re.search(r"REDACTED-[0-9a-f]{8}", text) is None  # no digest of the secret
        # Idempotent: the stored request, redacted again (as replay does), is the same request.
        assert redact_request(cleaned)[0] == cleaned
        # The markers are quiet: nothing on disk would look like a leak.
        assert scan_for_leaks([{"request": cleaned}], secrets=[secret]) == []
    # The two are stored alike: identity.py refuses to record both into one cassette.
    assert a == b
    # The same prompt redacts the same way every time: a recording replays.
    assert stored(f"draw {first} as a fox") == a


def test_credential_fields_in_a_body_are_stored_alike() -> None:
    one, _ = redact_request(request({"prompt": "p", "client_secret": "hunter22"}))
    two, _ = redact_request(request({"prompt": "p", "client_secret": "hunter23"}))
    assert "hunter2" not in str(one) + str(two)
    assert one == two == request({"prompt": "p", "client_secret": "REDACTED"})


def test_the_runs_own_secrets_keep_fixed_markers_so_a_replay_with_other_values_matches() -> None:
    # The key, organization and configured values belong to the run, not to the request: a replay has
    # a dummy key (or other values), and the request must still match what was recorded.
    recorded_key, replay_key = fake_key("recorded"), fake_key("replayed")
    recorded, _ = redact_request(
        request({"prompt": f"proxy with {recorded_key}"}),
        credentials=[("Authorization", f"Bearer {recorded_key}")],
    )
    replayed, _ = redact_request(
        request({"prompt": f"proxy with {replay_key}"}),
        credentials=[("Authorization", f"Bearer {replay_key}")],
    )
    assert recorded["body"] == replayed["body"] == {"json": {"prompt": "proxy with sk-REDACTED"}}
    org = fake_org("run")
    stored, _ = redact_request(request({"prompt": f"for {org}"}), credentials=[("OpenAI-Organization", org)])
    assert stored["body"] == {"json": {"prompt": "for org-REDACTED"}}
    rules = RedactionRules(values=("tenant-blue-42",), patterns=(r"trace-[0-9]{6}",))
    configured, _ = redact_request(request({"prompt": "tenant-blue-42 trace-123456"}), rules)
    assert configured["body"] == {"json": {"prompt": "REDACTED REDACTED"}}


def test_requests_replies_and_headers_all_get_fixed_markers() -> None:
    key, pasted = fake_key("a"), fake_key("pasted")
    interaction = {
        "request": {
            "method": "POST",
            "uri": GENERATIONS,
            "headers": {"authorization": [f"Bearer {key}"]},
            "body": {"json": {"prompt": f"draw {pasted}"}},
        },
        "response": {
            "status": {"code": 401, "message": "Unauthorized"},
            "headers": {},
            "body": {"json": {"error": {"message": f"keys {key} and {pasted} refused"}}},
        },
    }
    out, _ = redact_interaction(interaction)
    assert out["request"]["headers"] == {"authorization": ["Bearer sk-REDACTED"]}
    assert out["response"]["body"]["json"]["error"]["message"] == "keys sk-REDACTED and sk-REDACTED refused"
    assert out["request"]["body"]["json"]["prompt"] == "draw sk-REDACTED"


# ----------------------------------------------------------------------------- through the engine


@pytest.fixture
def tape(tmp_path: Path, request: pytest.FixtureRequest) -> Tape:
    return Tape(tmp_path / "cassettes", request.node.nodeid)


def generate(base_url: str, prompt: str) -> str:
    with openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0) as client:
        reply = client.images.generate(model="dall-e-3", prompt=prompt, response_format="url")
    revised = reply.data[0].revised_prompt if reply.data else None
    assert revised is not None
    return revised


def test_each_prompt_replays_its_own_reply(tape: Tape, imagegen_emulator: Emulator) -> None:
    prompts = [prompt for pair in ORDINARY[:2] for prompt in pair]
    with tape.open("once"):
        for prompt in prompts:
            assert generate(imagegen_emulator.base_url, prompt).startswith(prompt)
    # Replayed in the opposite order, against a dead port with the network blocked: a collapsed
    # identity would hand each prompt the reply recorded for another.
    with tape.open("none") as cassette:
        for prompt in reversed(prompts):
            assert generate(DEAD_BASE_URL, prompt).startswith(prompt)
        assert cassette.all_played


def test_the_runs_key_pasted_into_a_prompt_replays_with_another_key(
    tape: Tape, imagegen_emulator: Emulator
) -> None:
    def call(base_url: str, key: str) -> None:
        with openai.OpenAI(base_url=base_url, api_key=key, max_retries=0) as client:
            client.images.generate(model="dall-e-3", prompt=f"sign with {key}", response_format="url")

    recording_key = fake_key("recording")  # the emulator takes any sk- key
    with tape.open("once") as cassette:
        call(imagegen_emulator.base_url, recording_key)
    assert recording_key not in cassette.file_path.read_text()
    with tape.open("none") as replay:
        call(DEAD_BASE_URL, fake_key("replaying"))
        assert replay.all_played


def test_two_prompts_that_differ_only_in_a_pasted_key_are_refused(
    tape: Tape, imagegen_emulator: Emulator
) -> None:
    first, second = f"draw {fake_key('a')}", f"draw {fake_key('b')}"
    with tape.open("once") as cassette:
        generate(imagegen_emulator.base_url, first)
        with pytest.raises(IndistinguishableRequestsError) as refused:
            generate(imagegen_emulator.base_url, second)
    message = str(refused.value)
    assert "request 1 of the test (recorded as interaction 0)" in message
    assert "request 2 of the test (recorded as interaction 1)" in message
    assert "body.prompt" in message
    assert "Nothing was written" in message
    assert fake_key("a") not in message
    assert fake_key("b") not in message
    assert not cassette.file_path.exists()
    assert cassette.outcome()["recorded"] == 0


def test_a_refusal_also_holds_against_an_interaction_played_in_the_same_run(
    tape: Tape, imagegen_emulator: Emulator
) -> None:
    first, second = f"draw {fake_key('a')}", f"draw {fake_key('b')}"
    with tape.open("once") as cassette:
        generate(imagegen_emulator.base_url, first)
    recorded = cassette.file_path.read_bytes()
    # new_episodes plays the first, then meets the second: stored alike, sent differently.
    with tape.open("new_episodes"):
        generate(imagegen_emulator.base_url, first)
        with pytest.raises(IndistinguishableRequestsError):
            generate(imagegen_emulator.base_url, second)
    assert cassette.file_path.read_bytes() == recorded


def test_the_same_request_twice_is_no_collision(tape: Tape, imagegen_emulator: Emulator) -> None:
    prompt = f"draw {fake_key('a')}"
    with tape.open("once"):
        generate(imagegen_emulator.base_url, prompt)
        generate(imagegen_emulator.base_url, prompt)  # a retry: recorded again, replayed in order
    with tape.open("none") as replay:
        generate(DEAD_BASE_URL, prompt)
        generate(DEAD_BASE_URL, prompt)
        assert replay.all_played


def test_a_replay_that_sends_two_requests_a_cassette_stores_alike_stops(
    tape: Tape, imagegen_emulator: Emulator
) -> None:
    prompt = f"draw {fake_key('a')}"
    with tape.open("once"):
        generate(imagegen_emulator.base_url, prompt)
        generate(imagegen_emulator.base_url, prompt)
    with tape.open("none"):
        generate(DEAD_BASE_URL, prompt)
        with pytest.raises(IndistinguishableRequestsError):
            generate(DEAD_BASE_URL, f"draw {fake_key('b')}")  # would get the reply recorded for the first


def test_a_credential_value_repeated_in_the_body_replays(tape: Tape) -> None:
    # Break 9: stored one way at record time, rebuilt another way at replay, it never replayed (unless the
    # bytes were identical: the raw key then skipped redaction). Replayed here from other bytes of the same
    # request (another client's spacing and key order), so it takes the full path.
    recorded = b'{"prompt":"use hunter22secret now","password":"hunter22secret"}'
    replayed = b'{"password": "hunter22secret", "prompt": "use hunter22secret now"}'
    with Loopback() as service, tape.open("once", check_contract=False):
        assert send(service.base_url, Call("/v1/images/generations", recorded)).json()["n"] == 1
    text = next(tape.config.cassette_dir.rglob("*.json")).read_text()
    assert "hunter22secret" not in text
    assert '"prompt": "use REDACTED now"' in text
    with tape.open("none", check_contract=False) as replay:
        assert send(DEAD_BASE_URL, Call("/v1/images/generations", replayed)).json()["n"] == 1
        assert replay.all_played


def test_a_secret_from_an_earlier_request_is_removed_from_a_later_one_and_still_replays(tape: Tape) -> None:
    # A replay learns the secrets of a test's requests as a recording did: in the order they are sent.
    calls = [
        Call("/v1/images/generations", b'{"prompt":"first","password":"hunter22secret"}'),
        Call("/v1/images/generations", b'{"prompt":"then hunter22secret again"}'),
    ]
    with Loopback() as service, tape.open("once", check_contract=False):
        assert [send(service.base_url, call).json()["n"] for call in calls] == [1, 2]
    assert "hunter22secret" not in next(tape.config.cassette_dir.rglob("*.json")).read_text()
    with tape.open("none", check_contract=False) as replay:
        assert [send(DEAD_BASE_URL, call).json()["n"] for call in calls] == [1, 2]
        assert replay.all_played


# ----------------------------------------------------------------------------- the replay fast path

FRAGMENTS = [
    *("sk-", "org-", "proj_", "Bearer ", "eyJ", "AIza", "sig=", "key=", "code=", "token: ", "password=", "?"),
    *("&amp;", "&", "=", " ", "a", "7", "design ", "keyboard ", "organization ", "API key provided: "),
    fake_key("g"),
    fake_org("g"),
    fake_jwt("g"),
    fake_google("g"),
    "https://blob.example/i.png?sv=1&sig=abc123456",
    "cdn.example.com:99999/i.png?X-Amz-Signature=abcdef12",
]
FIELDS = [
    "prompt",
    "note",
    "api_key",
    "apiKey",
    "token",
    "max_tokens",
    "signature",
    "sig",
    "pwd",
    "passphrase",
]


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), max_size=8),
    field=st.sampled_from(FIELDS),
    query=st.sampled_from(["", "?api-version=1", "?code=abc123"]),
)
def test_the_replay_fast_path_agrees_with_full_redaction(pieces: list[str], field: str, query: str) -> None:
    # Replay skips redaction for a request none of whose text could change (the rules' gate); the
    # recording always redacts. Were they ever to differ, a request would not match its own recording.
    text = "".join(pieces)
    live = {
        "method": "POST",
        "uri": GENERATIONS + query,
        "body": {"json": {"model": "dall-e-3", field: text}},
    }
    fast, _ = redact_request(live)
    full, _ = redact_interaction({"request": live})
    assert fast == full["request"]

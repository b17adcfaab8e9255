"""Redaction never changes what a request is (issue 11, break 3).

Before: prompts ``"the sk-learn logo"`` and ``"the sk-image logo"`` were both stored as
``the sk-REDACTED logo`` (and ``"an org-2024 chart"`` / ``"an org-2025 chart"`` as ``an org-REDACTED
chart``), so on replay each got the other's reply. Now ordinary words stay as they were, and a real
secret pasted into a prompt becomes a marker that carries a short digest of it, so two requests that
differed only there still differ, while the same request redacts the same way on every run.
"""

from __future__ import annotations

from pathlib import Path

import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_imagegen.cassette.match import fingerprint
from pytest_imagegen.config import DEFAULT_MATCH_ON
from pytest_imagegen.emulator import Emulator
from pytest_imagegen.safety.leaks import scan_for_leaks
from pytest_imagegen.safety.redact import redact_interaction, redact_request
from pytest_imagegen.safety.redact_rules import RedactionRules, distinct_marker
from tests.engine.conftest import DEAD_BASE_URL, KEY, Tape
from tests.safety.fakes import fake_aws, fake_google, fake_jwt, fake_key, fake_org, fake_project

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
def test_a_secret_in_a_prompt_is_removed_but_keeps_requests_apart(first: str, second: str) -> None:
    a, b = stored(f"draw {first} as a fox"), stored(f"draw {second} as a fox")
    for cleaned, secret in ((a, first), (b, second)):
        text = str(cleaned)
        assert secret.split(" ")[-1] not in text
        assert "REDACTED-" in text
        # Idempotent: the stored request, redacted again (as replay does), is the same request.
        assert redact_request(cleaned)[0] == cleaned
        # The markers are quiet: nothing on disk would look like a leak.
        assert scan_for_leaks([{"request": cleaned}], secrets=[secret]) == []
    assert fingerprint(a, DEFAULT_MATCH_ON) != fingerprint(b, DEFAULT_MATCH_ON)
    # The same prompt redacts the same way every time: a recording replays.
    assert stored(f"draw {first} as a fox") == a


def test_credential_fields_in_a_body_keep_requests_apart() -> None:
    one, _ = redact_request(request({"prompt": "p", "client_secret": "hunter22"}))
    two, _ = redact_request(request({"prompt": "p", "client_secret": "hunter23"}))
    assert "hunter2" not in str(one) + str(two)
    assert fingerprint(one, DEFAULT_MATCH_ON) != fingerprint(two, DEFAULT_MATCH_ON)


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


def test_replies_and_headers_keep_fixed_markers() -> None:
    # Only what a request is matched on carries a digest; a reply re-recorded tomorrow diffs cleanly.
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
    assert out["request"]["body"]["json"]["prompt"] == f"draw {distinct_marker('sk-REDACTED', pasted)}"


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


def test_two_prompts_that_differ_only_in_a_pasted_key_replay_apart(
    tape: Tape, imagegen_emulator: Emulator
) -> None:
    first, second = f"draw {fake_key('a')}", f"draw {fake_key('b')}"
    with tape.open("once") as cassette:
        generate(imagegen_emulator.base_url, first)
        generate(imagegen_emulator.base_url, second)
        stored_prompts = [i["request"]["body"]["json"]["prompt"] for i in cassette.interactions]
    assert len(set(stored_prompts)) == 2
    assert all(p.startswith("draw sk-REDACTED-") for p in stored_prompts)
    with tape.open("none") as cassette:
        generate(DEAD_BASE_URL, second)
        assert cassette.outcome()["played"] == [1]  # its own interaction, not the first one recorded


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

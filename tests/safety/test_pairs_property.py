"""Two requests that differ in one field, word or parameter never answer for each other (issue 20).

Hypothesis draws pairs of requests of the plugin's API shapes (Images, Responses, chat, Gemini, Imagen,
an edit upload) from their real fields, that differ in one place: one word of the prompt, one field's
value (named as the shapes name them, or like a secret: ``password``, ``api_key``, ``pageToken``,
``max_tokens``, ``created``, ``user``...), one query parameter, a repeated JSON key, a number too big for a
float, an upload's file name or content type. Both are recorded into one cassette from a loopback service
that numbers its replies, then replayed in the opposite order with the network blocked: each gets its
own reply, or recording refused the pair (``IndistinguishableRequestsError``) and wrote nothing. Never
the other's reply.

What the matcher leaves out by design is not drawn: headers, and the query parameters it ignores
(``match.VOLATILE_QUERY_KEYS``: the key a Gemini call sends as ``?key=``, signatures, signed-URL times,
``api-version``). Those are the run's credentials and the service's plumbing, not what a request asks.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from pytest_imagegen.cassette.match import VOLATILE_QUERY_KEYS
from tests.engine.conftest import Tape
from tests.safety.fakes import fake_google, fake_jwt, fake_key, fake_org
from tests.safety.pairs import Call, record_then_replay

TENANT = "tenant-blue-42"  # a configured secret value (secret_values)

# Each shape: its path and a body builder taking the prompt.
SHAPES: dict[str, tuple[str, Callable[[str], dict[str, Any]]]] = {
    "images": (
        "/v1/images/generations",
        lambda p: {"model": "gpt-image-1", "prompt": p, "size": "1024x1024", "quality": "low", "n": 1},
    ),
    "responses": (
        "/v1/responses",
        lambda p: {
            "model": "gpt-5",
            "input": p,
            "tools": [{"type": "image_generation", "size": "1024x1024"}],
        },
    ),
    "chat": (
        "/v1/chat/completions",
        lambda p: {
            "model": "google/gemini-2.5-flash-image",
            "messages": [{"role": "user", "content": p}],
            "modalities": ["image", "text"],
        },
    ),
    "gemini": (
        "/v1beta/models/gemini-2.5-flash-image:generateContent",
        lambda p: {
            "contents": [{"parts": [{"text": p}]}],
            "generationConfig": {"responseModalities": ["IMAGE"]},
        },
    ),
    "imagen": (
        "/v1beta/models/imagen-4.0-generate-001:predict",
        lambda p: {"instances": [{"prompt": p}], "parameters": {"sampleCount": 1}},
    ),
}

WORDS = [
    *("fox", "owl", "key=Cmaj7", "key=Dmin7", "token=gold", "token=silver", "code=red", "code=blue"),
    *("signature=bold", "signature=thin", "password:", "hunter22", "sk-learn", "sk-image", "org-2024"),
    *("org-2025", "Bearer", "api_key=x1", "http://localhost:8001/a.png", "http://localhost:9002/a.png"),
    *("?token=gold", "&sig=abcdef123", TENANT, "user-1234", fake_key("a"), fake_key("b")),
    *(fake_org("a"), fake_google("a"), fake_jwt("a"), "1e400", "created=1"),
]
FIELD_NAMES = [
    *("model", "size", "quality", "n", "user", "safety_identifier", "background", "output_format"),
    *("password", "pwd", "api_key", "apiKey", "token", "secret", "client_secret", "signature", "sig"),
    *("authorization", "code", "key", "pageToken", "max_tokens", "created", "created_at", "note"),
]
VALUES: list[Any] = [
    *(1, 2, 0.5, True, None, "a", "b", "low", "high", "1024x1024", "hunter22secret", "hunter23secret"),
    *(TENANT, "user-1234", "user-5678", fake_key("a"), fake_key("b"), [1], {"x": 1}),
]
QUERY_NAMES = [
    name
    for name in (
        "max_tokens",
        "pageToken",
        "alt",
        "code",
        "pwd",
        "password",
        "authorization",
        "tenant",
        "state",
    )
    if name not in VOLATILE_QUERY_KEYS
]
QUERY_VALUES = ["16", "4096", "A", "B", "sse", TENANT, "hunter22secret", fake_key("a")]


def json_call(path: str, body: dict[str, Any], query: str = "") -> Call:
    return Call(path + (f"?{query}" if query else ""), json.dumps(body).encode())


@st.composite
def pairs(draw: st.DrawFn) -> tuple[Call, Call]:
    shape = draw(st.sampled_from(sorted(SHAPES)))
    path, build = SHAPES[shape]
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4))
    prompt = " ".join(words)
    kind = draw(st.sampled_from(["word", "field", "query", "repeated key", "huge number", "upload"]))
    if kind == "word":
        position = draw(st.integers(0, len(words) - 1))
        other = draw(st.sampled_from([w for w in WORDS if w != words[position]]))
        changed = " ".join(other if i == position else w for i, w in enumerate(words))
        return json_call(path, build(prompt)), json_call(path, build(changed))
    if kind == "field":
        name = draw(st.sampled_from(FIELD_NAMES))
        first = draw(st.sampled_from(VALUES))
        second = draw(st.sampled_from([v for v in VALUES if json.dumps(v) != json.dumps(first)]))
        # A secret-named field holding a value the body also has elsewhere ("password": "1024x1024" beside
        # "size", "user-1234" inside the prompt) is refused as a leak: the value sent as a secret would reach disk in the other field. That
        # refusal is its own promise (tests/safety/test_canaries.py), not this property's; not drawn here.
        others = json.dumps(build(prompt))
        assume(not any(isinstance(v, str) and v in others for v in (first, second)))
        return json_call(path, {**build(prompt), name: first}), json_call(
            path, {**build(prompt), name: second}
        )
    if kind == "query":
        name = draw(st.sampled_from(QUERY_NAMES))
        first = draw(st.sampled_from(QUERY_VALUES))
        second = draw(st.sampled_from([v for v in QUERY_VALUES if v != first]))
        body = build(prompt)
        return json_call(path, body, f"{name}={first}"), json_call(path, body, f"{name}={second}")
    if kind == "repeated key":
        text = json.dumps(build(prompt))
        repeated = text[:-1] + f', "prompt": {json.dumps(draw(st.sampled_from(WORDS)))}' + "}"
        return Call(path, text.encode()), Call(path, repeated.encode())
    if kind == "huge number":
        text = json.dumps(build(prompt))[:-1]
        first, second = (
            draw(st.sampled_from(["1e400", "1e999", "-1e400", "1"])),
            draw(st.sampled_from(["1e400", "1e999", "2"])),
        )
        return Call(path, f'{text}, "n": {first}}}'.encode()), Call(path, f'{text}, "n": {second}}}'.encode())
    filename, content_type = draw(
        st.sampled_from(
            [
                (f, t)
                for f in ("in.png", "mask.png", "in.jpg")
                for t in ("image/png", "image/jpeg", "text/plain")
            ][1:]
        )
    )
    return upload(prompt, "in.png", "image/png"), upload(prompt, filename, content_type)


def upload(prompt: str, filename: str, content_type: str) -> Call:
    """An edit upload with a fixed boundary: two uploads that mean the same are the same bytes."""
    boundary = "property-boundary"
    fields = {"model": "gpt-image-1", "prompt": prompt}
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\nnot really an image\r\n--{boundary}--\r\n"
    )
    return Call("/v1/images/edits", "".join(parts).encode(), f"multipart/form-data; boundary={boundary}")


_EXAMPLES = itertools.count()


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pair=pairs(), redact_user=st.booleans())
def test_two_requests_never_answer_for_each_other(
    tmp_path: Path, pair: tuple[Call, Call], redact_user: bool
) -> None:
    first, second = pair
    assume(first != second)
    tape = Tape(tmp_path / "cassettes", f"tests/test_pairs.py::test_{next(_EXAMPLES)}")
    refused = record_then_replay(tape, [first, second], redact_user=redact_user, secret_values=(TENANT,))
    event("recording refused the pair" if refused else "each replayed its own reply")
    if refused is not None:  # refused, naming both, holding no value of either
        assert "request 1 of the test" in str(refused)
        assert "request 2 of the test" in str(refused)
        for secret in (TENANT, "hunter22secret", fake_key("a")):
            assert secret not in str(refused)

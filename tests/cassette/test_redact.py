"""redact.py: headers, URLs, body echoes, user rules; determinism and idempotence."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from pytest_imagegen.safety.redact import redact_interaction, redact_request
from pytest_imagegen.safety.redact_rules import RedactionRules, is_secret_header
from pytest_imagegen.safety.redact_text import redact_text, redact_url
from pytest_imagegen.wire.bodies import parse_body

KEY = "sk-proj-Zx81mQpL0aT4nRc7YvK2dE9sUw3HbJ6g"  # fake value, made up for the test
ORG = "org-4kQ2vT9xLm3Rb7Ws8YcNf1Pa"
PROJECT = "proj_H7cK2mQ9vX4tL8pR3wN6yB1z"

# The dall-e URL shape dall-e replies link to (a signed Azure blob URL), with its own org/user ids and SAS signature.
DALLE_URL = (
    "https://oaidalleapiprodscus.blob.core.windows.net/private/org-Yw3Ad6Vx0Lq2Hn8Tb5Kc9Rm4/"
    "user-Qp7Zs1Lk5Xd9Mv3Fh8Nt2Gj6/img-Ab12Cd34Ef56.png?st=2023-06-01T13%3A42%3A20Z&se=2023-06-01T15%3A42%3A20Z"
    "&sp=r&sv=2021-08-06&sr=b&rscd=inline&rsct=image/png&skoid=6aaadede-4fb3-4698-a8f6-684d7786b067"
    "&sktid=a48cca56-e6da-484e-a814-9c849652bcb3&skt=2023-06-01T10%3A04%3A39Z&ske=2023-06-02T10%3A04%3A39Z"
    "&sks=b&skv=2021-08-06&sig=Rk9vYmFy%2BYmF6cXV4/c2lnbmF0dXJl%3D"  # fake value, made up for the test
)


def _interaction(
    request_headers: dict[str, list[str]],
    response_headers: dict[str, list[str]] | None = None,
    request_body: dict[str, Any] | None = None,
    response_body: dict[str, Any] | None = None,
    uri: str = "https://api.openai.com/v1/images/generations",
) -> dict[str, Any]:
    return {
        "request": {"method": "POST", "uri": uri, "headers": request_headers, "body": request_body or {}},
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": response_headers or {},
            "body": response_body or {},
        },
    }


def test_request_credential_headers() -> None:
    headers = {
        "authorization": [f"Bearer {KEY}"],
        "Api-Key": ["0123456789abcdef0123456789abcdef"],
        "OpenAI-Organization": [ORG],
        "openai-project": [PROJECT],
        "cookie": [
            "__cf_bm=k3Lq9.Zt-1763700000-1.0.1.1-abcDEF; _cfuvid=Vx0l8Qm2.5Rt-1763700000000-0.0.1.1"  # fake
        ],  # fake value, made up for the test
        "proxy-authorization": ["Basic dXNlcjpodW50ZXIy"],
        "X-API-KEY": ["custom-gateway-key-1234"],
        "x-my-session-token": ["tok_8899aabbcc"],
        "X-Client-Secret": ["shhh-very-secret"],
        "x-auth-thing": ["abc12345"],
        "user-agent": ["OpenAI/Python 3.54.0"],
        "x-stainless-retry-count": ["0"],
        "content-type": ["application/json"],
    }
    out, found = redact_interaction(_interaction(headers))
    got = out["request"]["headers"]
    assert got == {
        "authorization": ["Bearer sk-REDACTED"],
        "Api-Key": ["REDACTED"],
        "OpenAI-Organization": ["org-REDACTED"],
        "openai-project": ["proj_REDACTED"],
        "cookie": ["__cf_bm=REDACTED; _cfuvid=REDACTED"],
        "proxy-authorization": ["Basic REDACTED"],
        "X-API-KEY": ["REDACTED"],
        "x-my-session-token": ["REDACTED"],
        "X-Client-Secret": ["REDACTED"],
        "x-auth-thing": ["REDACTED"],
        "user-agent": ["OpenAI/Python 3.54.0"],
        "x-stainless-retry-count": ["0"],
        "content-type": ["application/json"],
    }
    assert {KEY, ORG, PROJECT, "0123456789abcdef0123456789abcdef", "custom-gateway-key-1234"} <= found
    assert {"k3Lq9.Zt-1763700000-1.0.1.1-abcDEF", "dXNlcjpodW50ZXIy", "shhh-very-secret"} <= found


def test_response_headers_keep_cookie_names_and_harmless_headers() -> None:
    response_headers = {
        "set-cookie": [
            "__cf_bm=Qz8.kL2-1763700000-1.0.1.1-T0pS3cr3t; path=/; expires=Fri, 21-Nov-25 05:30:00 GMT; "  # fake value, made up for the test
            "domain=.api.openai.com; HttpOnly; Secure; SameSite=None",
            "_cfuvid=Nn4Xp0.5s-1763700000000-0.0.1.1-604800000; path=/; domain=.api.openai.com; HttpOnly",
            "oai-sc=0gAAAAABnQ2Zx; Max-Age=31536000; Path=/; Secure",
        ],
        "openai-organization": ["user-abc123xyz"],
        "openai-project": [PROJECT],
        "www-authenticate": ['Bearer realm="OpenAI API"'],
        "x-ratelimit-remaining-tokens": ["149000"],
        "x-ratelimit-limit-tokens": ["150000"],
        "x-request-id": ["req_8a8b8c8d8e8f80818283848586878889"],
        "openai-processing-ms": ["4982"],
    }
    out, found = redact_interaction(_interaction({}, response_headers))
    got = out["response"]["headers"]
    assert got["set-cookie"] == [
        "__cf_bm=REDACTED; path=/; expires=Fri, 21-Nov-25 05:30:00 GMT; domain=.api.openai.com; HttpOnly; "
        "Secure; SameSite=None",
        "_cfuvid=REDACTED; path=/; domain=.api.openai.com; HttpOnly",
        "oai-sc=REDACTED; Max-Age=31536000; Path=/; Secure",
    ]
    assert got["openai-organization"] == ["org-REDACTED"]
    assert got["openai-project"] == ["proj_REDACTED"]
    for name in (
        "www-authenticate",
        "x-ratelimit-remaining-tokens",
        "x-ratelimit-limit-tokens",
        "x-request-id",
        "openai-processing-ms",
    ):
        assert got[name] == response_headers[name], name
    assert "user-abc123xyz" in found


def test_is_secret_header_word_rule() -> None:
    for name in (
        "Authorization",
        "X-Goog-Api-Key",
        "X-Amz-Security-Token",
        "X-Vault-Secret",
        "X-OAuth-Scopes",
        "Ocp-Apim-Subscription-Key",
        "Idempotency-Key",
    ):
        assert is_secret_header(name), name
    for name in ("Content-Type", "User-Agent", "X-Stainless-Lang", "Accept", "X-Request-Id"):
        assert not is_secret_header(name), name
    assert not is_secret_header("www-authenticate", response=True)
    assert is_secret_header("x-custom", rules=RedactionRules(headers=("X-Custom",)))


def test_dalle_signed_url() -> None:
    url, found = redact_url(DALLE_URL)
    assert url == (
        "https://oaidalleapiprodscus.blob.core.windows.net/private/org-REDACTED/user-REDACTED/img-Ab12Cd34Ef56.png"
        "?st=2023-06-01T13%3A42%3A20Z&se=2023-06-01T15%3A42%3A20Z&sp=r&sv=2021-08-06&sr=b&rscd=inline"
        "&rsct=image/png&skoid=REDACTED&sktid=REDACTED&skt=2023-06-01T10%3A04%3A39Z&ske=2023-06-02T10%3A04%3A39Z"
        "&sks=b&skv=2021-08-06&sig=REDACTED-SIG"
    )
    # Raw and percent-decoded signature, both, so the leak scan finds either spelling.
    assert {"Rk9vYmFy%2BYmF6cXV4/c2lnbmF0dXJl%3D", "Rk9vYmFy+YmF6cXV4/c2lnbmF0dXJl="} <= found
    assert {"org-Yw3Ad6Vx0Lq2Hn8Tb5Kc9Rm4", "user-Qp7Zs1Lk5Xd9Mv3Fh8Nt2Gj6"} <= found
    assert redact_url(url)[0] == url


def test_request_query_and_userinfo() -> None:
    uri = (
        "https://me:hunter2hunter2@res.openai.azure.com/openai/deployments/gpt-image/images/generations"
        "?api-version=2025-04-01-preview&api-key=0123456789abcdef0123456789abcdef&Token=t0k3n-value&page=2"
    )
    out, found = redact_interaction(_interaction({}, uri=uri))
    assert out["request"]["uri"] == (
        "https://REDACTED@res.openai.azure.com/openai/deployments/gpt-image/images/generations"
        "?api-version=2025-04-01-preview&api-key=REDACTED&Token=REDACTED&page=2"
    )
    assert {"hunter2hunter2", "0123456789abcdef0123456789abcdef", "t0k3n-value"} <= found
    # Ordinary paths that merely start with org-/user- are not ids.
    assert (
        redact_url("https://docs.example/user-guide/org-chart")[0]
        == "https://docs.example/user-guide/org-chart"
    )


def test_error_bodies_echo_key_and_org() -> None:
    unauthorized = {
        "error": {
            "message": "Incorrect API key provided: sk-proj-********************3HbJ. "
            "You can find your API key at https://platform.openai.com/account/api-keys.",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_api_key",
        }
    }
    out, _ = redact_interaction(_interaction({}, response_body={"json": unauthorized}))
    assert out["response"]["body"]["json"]["error"]["message"] == (
        "Incorrect API key provided: sk-REDACTED. You can find your API key at "
        "https://platform.openai.com/account/api-keys."
    )
    short = redact_text("Incorrect API key provided: sk-te****1234.")
    assert short == "Incorrect API key provided: sk-REDACTED."
    assert (
        redact_text("Incorrect API key provided: my-gat****-key.") == "Incorrect API key provided: REDACTED."
    )

    limited = (
        "Rate limit exceeded for images per minute in organization org-abc123 on requests per min (RPM): "
        "Limit 5, Used 5."
    )
    assert redact_text(limited) == limited.replace("org-abc123", "org-REDACTED")
    # Ordinary words survive; a prompt is not a secret.
    prompt = "an org-chart drawn by a task-force, sk-8 skates, proj_ ideas"
    assert redact_text(prompt) == prompt


def test_literal_values_from_headers_are_removed_everywhere() -> None:
    body = {"json": {"error": {"message": "Your organization datadog-4 has no access; key was " + KEY}}}
    interaction = _interaction(
        {"authorization": [f"Bearer {KEY}"]},
        {"openai-organization": ["datadog-4"]},
        response_body=body,
    )
    out, found = redact_interaction(interaction)
    assert out["response"]["body"]["json"]["error"]["message"] == (
        "Your organization REDACTED has no access; key was sk-REDACTED"
    )
    assert {"datadog-4", KEY} <= found


def test_credential_fields_sse_and_multipart(multipart_upload: Any) -> None:
    sse = parse_body(
        {"content-type": ["text/event-stream"]},
        b'event: image_generation.completed\ndata: {"type":"image_generation.completed","b64_json":"AAAA",'
        b'"note":"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXZhbHVl"}\n\n',  # fake value, made up for the test
    )
    raw, headers = multipart_upload(
        {"prompt": "hat", "api_key": "k-1234567890"}, [("image", ("a.png", b"x", "image/png"))]
    )
    out, found = redact_interaction(
        _interaction({}, request_body=parse_body(headers, raw), response_body=sse)
    )
    assert out["response"]["body"]["sse"][0]["data"] == {
        "type": "image_generation.completed",
        "b64_json": "AAAA",
        "note": "Bearer REDACTED",
    }
    parts = out["request"]["body"]["multipart"]
    # A fixed marker: nothing of what it replaced (identity.py keeps two such requests apart).
    api_key = {"name": "api_key", "value": "REDACTED"}
    assert parts[:2] == [{"name": "prompt", "value": "hat"}, api_key]
    assert "k-1234567890" in found


def test_user_ids_only_when_asked(multipart_upload: Any) -> None:
    request_body = {"json": {"prompt": "a dog", "user": "end-user-4411", "safety_identifier": "hash-8899aa"}}
    response_body = {"json": {"created": 1, "safety_identifier": "hash-8899aa", "data": []}}
    interaction = _interaction({}, request_body=request_body, response_body=response_body)
    plain, found = redact_interaction(interaction)
    assert plain["request"]["body"] == request_body
    assert "end-user-4411" not in found
    out, found = redact_interaction(interaction, RedactionRules(redact_user=True))
    assert out["request"]["body"]["json"] == {
        "prompt": "a dog",
        "user": "REDACTED",
        "safety_identifier": "REDACTED",
    }
    assert out["response"]["body"]["json"]["safety_identifier"] == "REDACTED"
    assert {"end-user-4411", "hash-8899aa"} <= found
    raw, headers = multipart_upload(
        {"prompt": "p", "user": "end-user-4411"}, [("image", ("a.png", b"x", "image/png"))]
    )
    out, _ = redact_interaction(
        _interaction({}, request_body=parse_body(headers, raw)), RedactionRules(redact_user=True)
    )
    assert out["request"]["body"]["multipart"][1] == {"name": "user", "value": "REDACTED"}


def test_user_rules() -> None:
    rules = RedactionRules(
        headers=("X-Tenant",),
        query_keys=("Tenant",),
        patterns=(re.compile(r"acct-\d{6}"), r"ticket=(\w+)"),
        values=("my-own-secret-value",),
    )
    interaction = _interaction(
        {"x-tenant": ["blue-team"], "x-trace": ["ticket=T123456 acct-123456"]},
        request_body={"json": {"prompt": "my-own-secret-value in a prompt"}},
        uri="https://gw.example/v1/images/generations?tenant=blue-team&region=eu",
    )
    out, found = redact_interaction(interaction, rules)
    assert out["request"]["headers"] == {"x-tenant": ["REDACTED"], "x-trace": ["ticket=REDACTED REDACTED"]}
    assert out["request"]["uri"] == "https://gw.example/v1/images/generations?tenant=REDACTED&region=eu"
    assert out["request"]["body"]["json"]["prompt"] == "REDACTED in a prompt"
    assert {"blue-team", "my-own-secret-value"} <= found
    assert RedactionRules(patterns=("a+",)).patterns == (re.compile("a+"),)  # type: ignore[arg-type]  # str accepted
    with pytest.raises(re.error):
        RedactionRules(patterns=("(unclosed",))


def test_redaction_is_pure_deterministic_and_idempotent(multipart_upload: Any) -> None:
    raw, headers = multipart_upload(
        {"prompt": "p", "user": "u-1234567"}, [("image", ("a.png", b"x", "image/png"))]
    )
    interaction = _interaction(
        {
            "Authorization": [f"Bearer {KEY}"],
            "cookie": ["__cf_bm=abcdef123456"],  # fake
            **headers,
        },  # fake value, made up for the test
        {"set-cookie": ["_cfuvid=zzzzzz999999; path=/"], "openai-organization": [ORG]},
        request_body=parse_body(headers, raw),
        response_body={"json": {"data": [{"url": DALLE_URL}], "error": f"{ORG} / {PROJECT}"}},
        uri="https://api.openai.com/v1/images/edits?api_key=zzz-777-yyy",
    )
    before = copy.deepcopy(interaction)
    rules = RedactionRules(redact_user=True, values=("zzz-777",))
    once, found = redact_interaction(interaction, rules)
    assert interaction == before
    assert redact_interaction(copy.deepcopy(interaction), rules) == (once, found)
    twice, _ = redact_interaction(once, rules)
    assert twice == once
    request, _ = redact_request(interaction["request"], rules)
    assert request == once["request"]


def test_literals_found_earlier_are_removed_from_a_later_call() -> None:
    # The engine redacts a request alone first, then the pair: the second call no longer sees the header.
    request, found = redact_request(
        {"method": "GET", "uri": "https://x/v1", "headers": {"x-gw-token": ["gw-tok-5566"]}}
    )
    echoed = {
        "request": request,
        "response": {"headers": {}, "body": {"string": "token gw-tok-5566 rejected"}},
    }
    assert redact_interaction(echoed)[0]["response"]["body"] == {"string": "token gw-tok-5566 rejected"}
    out, _ = redact_interaction(echoed, literals=found)
    assert out["response"]["body"] == {"string": "token REDACTED rejected"}


def test_literal_secrets_are_compiled_once_per_set_not_once_per_interaction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Issue 26: the literal matcher was rebuilt for every recorded interaction (recording time grew with
    # the square of a cassette's length). A set that stays the same is compiled once; a set that grows by
    # a value per interaction (each reply's new cookie) compiles each value O(log n) times, not n times.
    from pytest_imagegen.safety import literals

    compiled: list[int] = []
    original = literals._Block.__init__

    def counting(self: Any, values: frozenset[str]) -> None:
        compiled.append(len(values))
        original(self, values)

    monkeypatch.setattr(literals._Block, "__init__", counting)
    monkeypatch.setattr(literals, "_RECENT", [])
    secrets = {KEY, ORG, "tenant-blue-42"}
    for n in range(300):
        interaction = _interaction(
            {"authorization": [f"Bearer {KEY}"]},
            response_body={"json": {"note": f"reply {n} for {ORG}"}},
        )
        out, found = redact_interaction(interaction, literals=secrets)
        assert ORG not in str(out)
        secrets |= found
    assert sum(compiled) <= 3 * 4

    compiled.clear()
    grown = set(secrets)
    for n in range(1024):
        grown.add(f"session-cookie-{n:05d}-value")
        matcher = literals.literals_for(frozenset(grown))
        assert matcher.search(f"set-cookie: session-cookie-{n:05d}-value; path=/")
    values = len(grown)
    assert sum(compiled) <= values * (values.bit_length() + 2), "each value compiled O(log n) times"
    assert len(matcher._blocks) <= values.bit_length()


def test_values_split_over_blocks_are_found_as_one_alternation_finds_them() -> None:
    # A block's earlier match must not hide another value a later position holds, and where values
    # overlap the longest at the earliest position wins, as with one alternation.
    from pytest_imagegen.safety import literals

    values = ["abcdefgh", "defghijklmnop", "xyz123456", "56789qrs", "hunter22secret"]
    grown: literals.Literals | None = None
    for value in values:  # one block per value at first, merged as they come
        grown = literals.Literals([value]) if grown is None else grown.extended([*grown.values, value])
    assert grown is not None
    assert len(grown._blocks) > 1
    single = literals._Block(frozenset(values))
    for text in (
        "..abcdefghijklmnop..",
        "xyz123456789qrs",
        "a%62cdefgh and hunter22secret",
        "defghijklmnop abcdefgh 56789qrs",
    ):
        one = [(m.start(), m.end()) for m in single.pattern.finditer(text)]
        plain = [(start, end) for start, end, _ in grown.spans(text) if text[start:end] in values]
        assert plain == [(s, e) for s, e in one if text[s:e] in values], text
        assert not any(value in grown.sub(lambda v: "[X]", text) for value in values), text

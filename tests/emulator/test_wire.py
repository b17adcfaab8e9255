"""What goes over the socket: SSE framing and chunking, the service's headers and cookies, auth errors."""

from __future__ import annotations

import json
import re
import socket

import h11
import httpx
import pytest

from pytest_imagegen.emulator import Emulator

from .conftest import API_KEY, png_bytes, sse_events

AUTH = {"authorization": f"Bearer {API_KEY}"}
STREAM_BODY = {"model": "gpt-image-2", "prompt": "a", "size": "64x64", "stream": True, "partial_images": 2}


def _http_chunks(emulator: Emulator, body: dict[str, object]) -> tuple[h11.Response, list[bytes]]:
    """POST ``body`` over a raw socket and return the response head and its HTTP/1.1 chunks, as sent."""
    payload = json.dumps(body).encode()
    connection = h11.Connection(h11.CLIENT)
    request = h11.Request(
        method="POST",
        target="/v1/images/generations",
        headers=[
            ("host", f"127.0.0.1:{emulator.port}"),
            ("authorization", f"Bearer {API_KEY}"),
            ("accept-encoding", "gzip"),
            ("content-type", "application/json"),
            ("content-length", str(len(payload))),
        ],
    )
    head: h11.Response | None = None
    chunks: list[bytes] = []
    current = b""
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=30) as sock:
        sock.sendall(
            connection.send(request)
            + connection.send(h11.Data(data=payload))
            + connection.send(h11.EndOfMessage())
        )
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                connection.receive_data(sock.recv(65536))
            elif isinstance(event, h11.Response):
                head = event
            elif isinstance(event, h11.Data):
                # h11 may split one chunk over several Data events but never merges two chunks.
                current += event.data
                if event.chunk_end:
                    chunks.append(current)
                    current = b""
            elif isinstance(event, h11.EndOfMessage):
                break
    assert head is not None
    return head, chunks


def test_each_sse_event_is_its_own_chunk(emulator: Emulator) -> None:
    head, chunks = _http_chunks(emulator, STREAM_BODY)

    headers = {k.decode(): v.decode() for k, v in head.headers}
    assert head.status_code == 200
    assert headers["content-type"] == "text/event-stream; charset=utf-8"
    assert headers["transfer-encoding"] == "chunked"
    assert "content-encoding" not in headers  # asked for gzip, but SSE is never compressed (nor buffered)
    events = [sse_events(chunk) for chunk in chunks]
    assert [[name for name, _ in chunk_events] for chunk_events in events] == [
        ["image_generation.partial_image"],
        ["image_generation.partial_image"],
        ["image_generation.completed"],
    ]


def test_sse_framing_matches_reference(emulator: Emulator) -> None:
    response = httpx.post(f"{emulator.base_url}/images/generations", json=STREAM_BODY, headers=AUTH)

    text = response.text
    assert text.endswith("\n\n")
    assert "[DONE]" not in text
    blocks = text.split("\n\n")[:-1]
    assert len(blocks) == 3
    for block in blocks:
        event_line, data_line = block.split("\n")
        name = event_line.removeprefix("event: ")
        assert json.loads(data_line.removeprefix("data: "))["type"] == name
    names_and_data = sse_events(response.content)
    assert [data.get("partial_image_index") for _, data in names_and_data] == [0, 1, None]
    assert set(names_and_data[-1][1]["usage"]) == {
        "total_tokens",
        "input_tokens",
        "output_tokens",
        "input_tokens_details",
    }


def test_real_service_headers(emulator: Emulator) -> None:
    response = httpx.post(
        f"{emulator.base_url}/images/generations",
        json={"model": "gpt-image-2", "prompt": "a", "size": "64x64"},
        headers=AUTH,
    )

    headers = response.headers
    assert re.fullmatch(r"req_[0-9a-f]{32}", headers["x-request-id"])
    assert int(headers["openai-processing-ms"]) >= 1
    assert headers["openai-version"] == "2020-10-01"
    assert headers["openai-organization"] == emulator.organization
    assert re.fullmatch(r"org-[A-Za-z0-9]{24}", emulator.organization)
    assert re.fullmatch(r"proj_[A-Za-z0-9]{24}", headers["openai-project"])
    assert headers["server"] == "cloudflare"
    assert re.fullmatch(r"[0-9a-f]{16}-[A-Z]{3}", headers["cf-ray"])
    assert int(headers["x-ratelimit-remaining-requests"]) < int(headers["x-ratelimit-limit-requests"])
    assert "date" in headers
    cookies = headers.get_list("set-cookie")
    assert len(cookies) == 2
    assert re.fullmatch(
        r"__cf_bm=[^;]+; path=/; expires=\w{3}, \d{2}-\w{3}-\d{4} \d{2}:\d{2}:\d{2} GMT; "
        r"domain=\.api\.openai\.com; HttpOnly; Secure; SameSite=None",
        cookies[0],
    )
    assert re.fullmatch(
        r"_cfuvid=[^;]+; path=/; domain=\.api\.openai\.com; HttpOnly; Secure; SameSite=None", cookies[1]
    )
    assert emulator.requests[-1].request_id == headers["x-request-id"]


def test_canary_identity_reaches_headers_cookies_urls_and_messages() -> None:
    canaries = {
        "organization": "org-CANARYORG1",
        "project": "proj_CANARYPROJ2",
        "cookie_secret": "CANARYCOOKIE3",
    }
    with Emulator(**canaries) as emulator:
        reply = httpx.post(
            f"{emulator.base_url}/images/generations", json={"model": "dall-e-2", "prompt": "a"}, headers=AUTH
        )
        emulator.inject_fault("rate_limit")
        limited = httpx.post(f"{emulator.base_url}/images/generations", json={"prompt": "a"}, headers=AUTH)

    assert reply.headers["openai-organization"] == "org-CANARYORG1"
    assert reply.headers["openai-project"] == "proj_CANARYPROJ2"
    assert all("CANARYCOOKIE3" in cookie for cookie in reply.headers.get_list("set-cookie"))
    assert "/private/org-CANARYORG1/user-" in reply.json()["data"][0]["url"]
    assert "in organization org-CANARYORG1." in limited.json()["error"]["message"]


def test_cookies_differ_per_request(emulator: Emulator) -> None:
    def cookies() -> list[str]:
        response = httpx.post(f"{emulator.base_url}/images/generations", json={}, headers=AUTH)
        return response.headers.get_list("set-cookie")

    assert cookies() != cookies()


def test_missing_key(emulator: Emulator) -> None:
    response = httpx.post(f"{emulator.base_url}/images/generations", json={"prompt": "a"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="OpenAI API"'
    error = response.json()["error"]
    assert error["message"].startswith("You didn't provide an API key.")
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", None, None)
    assert emulator.requests[-1].status == 401


def test_error_body_is_pretty_printed_like_the_service(emulator: Emulator) -> None:
    response = httpx.post(f"{emulator.base_url}/images/generations", content=b"{not json", headers=AUTH)

    assert response.status_code == 400
    assert response.text.startswith('{\n    "error": {\n        "message": "We could not parse the JSON body')
    assert response.text.endswith("}\n")


def test_api_key_header_only_counts_on_azure_routes(emulator: Emulator) -> None:
    body = {"model": "gpt-image-2", "prompt": "a", "size": "64x64"}
    openai_route = httpx.post(
        f"{emulator.base_url}/images/generations", json=body, headers={"api-key": API_KEY}
    )
    azure_route = httpx.post(
        f"{emulator.root_url}/openai/deployments/gpt-image-2/images/generations?api-version=2025-04-01",
        json=body,
        headers={"api-key": API_KEY},
    )

    assert openai_route.status_code == 401
    assert azure_route.status_code == 200
    assert "apim-request-id" in azure_route.headers


def test_azure_needs_api_version(emulator: Emulator) -> None:
    response = httpx.post(
        f"{emulator.root_url}/openai/deployments/gpt-image-2/images/generations",
        json={"prompt": "a"},
        headers={"api-key": API_KEY},
    )

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "api-version"


def test_azure_has_no_variations(emulator: Emulator) -> None:
    response = httpx.post(
        f"{emulator.root_url}/openai/deployments/dall-e-2/images/variations?api-version=2025-04-01",
        headers={"api-key": API_KEY},
    )

    assert response.status_code == 404
    assert response.json()["error"]["message"] == (
        "Invalid URL (POST /openai/deployments/dall-e-2/images/variations)"
    )


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"model": "gpt-image-2", "size": "64x64"}, "prompt", "missing_required_parameter"),
        ({"model": "gpt-image-2", "prompt": "a", "n": 11, "size": "64x64"}, "n", "integer_above_max_value"),
        (
            {"model": "gpt-image-2", "prompt": "a", "partial_images": 5, "stream": True, "size": "64x64"},
            "partial_images",
            "integer_above_max_value",
        ),
    ],
)
def test_invalid_requests_get_the_validators_envelope(
    emulator: Emulator, body: dict[str, object], param: str, code: str
) -> None:
    response = httpx.post(f"{emulator.base_url}/images/generations", json=body, headers=AUTH)

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)
    assert emulator.requests[-1].status == 400


def test_multipart_text_stream_flag(emulator: Emulator) -> None:
    response = httpx.post(
        f"{emulator.base_url}/images/edits",
        data={"model": "gpt-image-2", "prompt": "a", "size": "64x64", "stream": "true"},
        files={"image": ("a.png", png_bytes(64, 64), "image/png")},
        headers=AUTH,
    )

    assert response.headers["content-type"].startswith("text/event-stream")
    assert [name for name, _ in sse_events(response.content)] == ["image_edit.completed"]


@pytest.mark.parametrize("model", ["vendor/new-image-model", "string", "false"])
def test_unknown_models_are_refused_naming_the_model(emulator: Emulator, model: str) -> None:
    body = {"model": model, "prompt": "a", "size": "1024x1024"}

    response = httpx.post(f"{emulator.base_url}/images/generations", json=body, headers=AUTH)

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["code"], error["param"]) == (
        "invalid_request_error",
        "invalid_value",
        "model",
    )
    assert error["message"].startswith(f"Invalid value: '{model}'. Supported values are: 'dall-e-2', ")


@pytest.mark.parametrize("fmt", ["gif", "svg"])
def test_gif_and_svg_output_are_refused_as_the_official_schema_refuses_them(
    emulator: Emulator, fmt: str
) -> None:
    body = {"model": "gpt-image-2", "prompt": "a", "size": "64x64", "output_format": fmt}

    response = httpx.post(f"{emulator.base_url}/images/generations", json=body, headers=AUTH)

    assert response.status_code == 400
    assert response.json()["error"]["param"] == "output_format"
    assert response.json()["error"]["message"] == (
        f"Invalid value: '{fmt}'. Supported values are: 'png', 'jpeg', and 'webp'."
    )

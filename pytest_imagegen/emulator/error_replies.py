"""The error replies of the real service: envelopes, messages and extra headers.

Messages follow the real wording, including what a recorder must redact: the 401 message echoes a
masked fragment of the key and the 429 message names the organization.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pytest_imagegen.errors import EMULATOR_NO_ROUTE_HEADER

__all__ = [
    "ErrorReply",
    "bad_json",
    "invalid_url",
    "mask_key",
    "missing_key",
    "rate_limited",
    "server_error",
    "wrong_key",
]

_KEYS_PAGE = "https://platform.openai.com/account/api-keys"


class ErrorReply:
    """An error status, its ``{"error": {...}}`` envelope and any headers that go with it."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: list[tuple[str, str]] | None = None
    ) -> None:
        self.status = status
        self.body = body
        self.headers = headers or []

    @classmethod
    def of(
        cls,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> ErrorReply:
        return cls(
            status, {"error": {"message": message, "type": error_type, "param": param, "code": code}}, headers
        )

    def content(self) -> bytes:
        # The real service pretty-prints error bodies with four spaces and a final newline.
        return (json.dumps(self.body, indent=4) + "\n").encode()


def mask_key(key: str) -> str:
    """The key as the 401 message echoes it: first five and last four characters, the rest starred."""
    if len(key) > 9:
        return key[:5] + "*" * (len(key) - 9) + key[-4:]
    return key[:2] + "*" * max(0, len(key) - 2)


def missing_key() -> ErrorReply:
    return ErrorReply.of(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using "
        "Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) "
        "if you're accessing the API from your browser and are prompted for a username and password. "
        f"You can obtain an API key from {_KEYS_PAGE}.",
        headers=[("www-authenticate", 'Bearer realm="OpenAI API"')],
    )


def wrong_key(key: str) -> ErrorReply:
    return ErrorReply.of(
        401,
        f"Incorrect API key provided: {mask_key(key)}. You can find your API key at {_KEYS_PAGE}.",
        code="invalid_api_key",
        headers=[("www-authenticate", 'Bearer realm="OpenAI API"')],
    )


def rate_limited(organization: str, retry_after_ms: int) -> ErrorReply:
    seconds = max(1, math.ceil(retry_after_ms / 1000))
    return ErrorReply.of(
        429,
        f"Rate limit exceeded for images per minute in organization {organization}. Limit: 5/1min. "
        "Current: 6/1min. Please visit https://platform.openai.com/account/rate-limits to learn more.",
        error_type="requests",
        code="rate_limit_exceeded",
        headers=[
            ("retry-after", str(seconds)),
            ("retry-after-ms", str(retry_after_ms)),
            ("x-should-retry", "true"),
        ],
    )


def server_error() -> ErrorReply:
    return ErrorReply.of(
        500,
        "The server had an error while processing your request. Sorry about that!",
        error_type="server_error",
        headers=[("x-should-retry", "true")],
    )


def bad_json() -> ErrorReply:
    return ErrorReply.of(
        400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
        "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
        "valid JSON. If you have trouble figuring out how to fix this, please contact us through our "
        "help center at help.openai.com.)",
    )


def invalid_url(method: str, path: str) -> ErrorReply:
    """The service's 404 for a path it does not serve, marked (``EMULATOR_NO_ROUTE_HEADER``) as a request
    the emulator cannot answer: a recording from the emulator refuses it instead of storing this reply."""
    return ErrorReply.of(404, f"Invalid URL ({method} {path})", headers=[(EMULATOR_NO_ROUTE_HEADER, "1")])

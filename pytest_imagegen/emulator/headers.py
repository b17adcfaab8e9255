"""The headers the real service sends with every reply (as recorded from it), account values included.

Org and project ids, Cloudflare cookies and the rate-limit counters are exactly what a recorder has to
redact, so the emulator sends all of them, built from the emulator's configurable identity.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import uuid

from pytest_imagegen.emulator.identity import cf_ray

__all__ = ["service_headers"]

API_VERSION = "2020-10-01"
RATE_LIMIT_REQUESTS = 5000
RATE_LIMIT_TOKENS = 1_000_000


def _cookie_date(seconds: float) -> str:
    # Cookie "expires" uses dashes between day, month and year: "Fri, 21-Nov-2026 02:03:04 GMT".
    return time.strftime("%a, %d-%b-%Y %H:%M:%S GMT", time.gmtime(seconds))


def cookie_headers(cookie_secret: str, request_id: str, now: float) -> list[tuple[str, str]]:
    """The two Cloudflare ``set-cookie`` headers.

    Both values start with ``cookie_secret`` verbatim (so a canary secret is easy to look for on disk)
    followed by a per-request part, like the real per-client tokens.
    """
    mac = hmac.new(cookie_secret.encode(), request_id.encode(), hashlib.sha256).digest()
    token = base64.urlsafe_b64encode(mac).decode().rstrip("=")
    stamp = int(now)
    bm = f"{cookie_secret}{token}-{stamp}-1.0.1.1-{secrets.token_urlsafe(48)}"
    uvid = f"{cookie_secret}{token[:16]}-{stamp}{secrets.randbelow(1000):03d}-0.0.1.1-604800000"
    return [
        (
            "set-cookie",
            f"__cf_bm={bm}; path=/; expires={_cookie_date(now + 1800)}; domain=.api.openai.com; "
            "HttpOnly; Secure; SameSite=None",
        ),
        ("set-cookie", f"_cfuvid={uvid}; path=/; domain=.api.openai.com; HttpOnly; Secure; SameSite=None"),
    ]


def service_headers(
    *,
    request_id: str,
    organization: str,
    project: str,
    cookie_secret: str,
    processing_ms: int,
    served_before: int,
    now: float,
    azure: bool = False,
) -> list[tuple[str, str]]:
    """Every header of an API reply, in the real service's order.

    Not included: ``date`` (uvicorn adds it) and the content headers.
    """
    remaining = max(0, RATE_LIMIT_REQUESTS - 1 - served_before % RATE_LIMIT_REQUESTS)
    headers = [
        ("access-control-expose-headers", "X-Request-ID"),
        ("openai-organization", organization),
        ("openai-processing-ms", str(processing_ms)),
        ("openai-project", project),
        ("openai-version", API_VERSION),
        ("x-envoy-upstream-service-time", str(processing_ms + 3)),
        ("x-ratelimit-limit-requests", str(RATE_LIMIT_REQUESTS)),
        ("x-ratelimit-limit-tokens", str(RATE_LIMIT_TOKENS)),
        ("x-ratelimit-remaining-requests", str(remaining)),
        ("x-ratelimit-remaining-tokens", str(RATE_LIMIT_TOKENS)),
        ("x-ratelimit-reset-requests", "12ms"),
        ("x-ratelimit-reset-tokens", "0s"),
        ("x-request-id", request_id),
        ("strict-transport-security", "max-age=31536000; includeSubDomains; preload"),
        ("cf-cache-status", "DYNAMIC"),
        *cookie_headers(cookie_secret, request_id, now),
        ("x-content-type-options", "nosniff"),
        ("server", "cloudflare"),
        ("cf-ray", cf_ray()),
        ("alt-svc", 'h3=":443"; ma=86400'),
    ]
    if azure:
        # Azure API Management adds its own request id and region.
        headers += [("apim-request-id", str(uuid.uuid4())), ("x-ms-region", "East US")]
    return headers

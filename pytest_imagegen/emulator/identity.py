"""Random-looking identifiers in the real service's shapes: org and project ids, request ids, cf-ray.

Kept in one place so the recorder's redaction rules have one set of shapes to match.
"""

from __future__ import annotations

import secrets
import string

__all__ = ["cf_ray", "organization_id", "project_id", "random_token", "request_id"]

_ALNUM = string.ascii_letters + string.digits


def random_token(length: int, alphabet: str = _ALNUM) -> str:
    """``length`` characters drawn from ``alphabet`` with ``secrets`` (ids must not repeat across runs)."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


def organization_id() -> str:
    """An id shaped like ``org-`` + 24 letters and digits."""
    return "org-" + random_token(24)


def project_id() -> str:
    """An id shaped like ``proj_`` + 24 letters and digits."""
    return "proj_" + random_token(24)


def request_id() -> str:
    """``req_`` + 32 hex digits, the current ``x-request-id`` shape."""
    return "req_" + secrets.token_hex(16)


def cf_ray() -> str:
    """A Cloudflare ray id: 16 hex digits and a data-centre code."""
    return f"{secrets.token_hex(8)}-{secrets.choice(('SJC', 'EWR', 'IAD', 'LAX', 'ORD', 'AMS', 'FRA'))}"

"""dall-e style image URLs: Azure Blob user-delegation SAS URLs, signed and checked by the emulator.

The real service returns ``https://oaidalleapiprodscus.blob.core.windows.net/private/org-…/user-…/img-….png``
with a SAS query (``st``, ``se``, ``sig``, …) valid for an hour. The emulator mints the
same shape on its own host, so a recorder meets the same secrets (org and user ids in the path, the
signature in the query) and a test can fetch the image while the URL is valid, and gets 403 after.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

__all__ = ["UrlSigner"]

URL_LIFETIME_SECONDS = 3600
_SAS_VERSION = "2021-08-06"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _iso(seconds: float) -> str:
    return time.strftime(_TIME_FORMAT, time.gmtime(seconds))


def _parse_iso(text: str) -> float | None:
    try:
        return float(calendar.timegm(time.strptime(text, _TIME_FORMAT)))
    except ValueError:
        return None


@dataclass(frozen=True)
class UrlSigner:
    """Mints and checks signed image URLs for one emulator (one key, one org, one user)."""

    key: bytes
    organization: str
    user: str
    lifetime_seconds: float = URL_LIFETIME_SECONDS

    @property
    def path_prefix(self) -> str:
        org = self.organization if self.organization.startswith("org-") else f"org-{self.organization}"
        user = self.user if self.user.startswith("user-") else f"user-{self.user}"
        return f"/private/{org}/{user}/"

    def _guid(self, label: str) -> str:
        # Stable per signer, like the real service's fixed signing-key object and tenant ids.
        return str(
            uuid.UUID(bytes=hmac.new(self.key, label.encode(), hashlib.sha256).digest()[:16], version=4)
        )

    def _signature(self, path: str, expiry: str) -> str:
        mac = hmac.new(self.key, f"{path}\n{expiry}".encode(), hashlib.sha256).digest()
        return base64.b64encode(mac).decode()

    def sign(self, root_url: str, image_name: str, now: float) -> str:
        """The signed URL of ``image_name`` (e.g. ``img-abc.png``) under ``root_url``, minted at ``now``."""
        path = self.path_prefix + image_name
        expiry = _iso(now + self.lifetime_seconds)
        key_start = (int(now) // 3600) * 3600 - 6 * 3600
        query = [
            ("st", _iso(now - 3600)),  # an hour of slack for clock skew, as in real URLs
            ("se", expiry),
            ("sp", "r"),
            ("sv", _SAS_VERSION),
            ("sr", "b"),
            ("rscd", "inline"),
            ("rsct", "image/png"),
            ("skoid", self._guid("skoid")),
            ("sktid", self._guid("sktid")),
            ("skt", _iso(key_start)),
            ("ske", _iso(key_start + 86400)),
            ("sks", "b"),
            ("skv", _SAS_VERSION),
            ("sig", self._signature(path, expiry)),
        ]
        # Real URLs keep "/" in rsct but percent-encode ":" in times and "+/=" in the signature.
        encoded = "&".join(
            f"{name}={quote(value, safe='/' if name != 'sig' else '')}" for name, value in query
        )
        return f"{root_url.rstrip('/')}{path}?{encoded}"

    def check(self, path: str, query: Mapping[str, str], now: float) -> str | None:
        """Why the URL ``path?query`` may not be served at ``now``, or ``None`` when it may."""
        if not path.startswith(self.path_prefix):
            return "The container path is not this signer's"
        expiry = query.get("se", "")
        signature = query.get("sig", "")
        if not hmac.compare_digest(self._signature(path, expiry).encode(), signature.encode()):
            return "Signature did not match"
        expires_at = _parse_iso(expiry)
        if expires_at is None or now > expires_at:
            return "Signed expiry time has passed"
        return None

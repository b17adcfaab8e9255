"""The search the canary tests rely on finds a secret in every form it looks for (else it proves nothing)."""

from __future__ import annotations

import base64
import gzip
import urllib.parse
from pathlib import Path

import pytest

from tests.safety.disk_search import find_secrets

SECRET = "tok_CANARYSEARCHa1b2c3+d4/e5"
WRAPPED = f"trace: {SECRET}; end".encode()


@pytest.mark.parametrize(
    ("form", "content"),
    [
        ("verbatim", f"x: {SECRET}\n".encode()),
        ("upper case", f"x: {SECRET.upper()}\n".encode()),
        ("percent-encoded", f"q={urllib.parse.quote(SECRET, safe='')}".encode()),
        ("form-encoded", f"q={urllib.parse.quote_plus(SECRET)}".encode()),
        *[
            (f"base64 after {n} byte(s)", b"base64: " + base64.b64encode(b"#" * n + WRAPPED))
            for n in range(3)
        ],
        ("url-safe base64", b"b: " + base64.urlsafe_b64encode(b"??" + WRAPPED)),
        ("gzip inside base64", b"b: " + base64.b64encode(gzip.compress(WRAPPED * 3, mtime=0))),
    ],
    ids=lambda value: value if isinstance(value, str) else "content",  # stable across xdist workers
)
def test_finds_each_form(tmp_path: Path, form: str, content: bytes) -> None:
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "cassette.yaml").write_bytes(b"version: 1\n" + content + b"\n")
    hits = find_secrets(tmp_path, {"trace token": SECRET})
    assert hits, f"{form} not found"
    assert all("cassette.yaml: trace token" in hit for hit in hits)


def test_clean_files_have_no_hits(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes(b"token: REDACTED\nimage: " + base64.b64encode(bytes(range(256)) * 4))
    assert find_secrets(tmp_path, {"trace token": SECRET}) == []

"""Made-up credential-shaped values for the safety tests, built at run time.

No value below appears whole in the source: each is joined from a real prefix and a body that says
FAKE, so a secret scanner reading the repository finds nothing, while the plugin meets the exact
shapes of real credentials (prefix, alphabet and length). ``fake_key("a")`` and ``fake_key("b")`` are
two different keys of the same shape.
"""

from __future__ import annotations

__all__ = ["fake_aws", "fake_google", "fake_jwt", "fake_key", "fake_org", "fake_project", "fake_sig"]

_BODY = "0q9w8e7r6t5y4u3i2o1p"  # 20 letters and digits: the random-looking run every real key has


def _join(*pieces: str) -> str:
    return "".join(pieces)


def fake_key(tag: str, prefix: str = "sk-proj-") -> str:
    """An OpenAI-style key (``sk-proj-FAKE…``); ``prefix="sk-ant-api03-"`` gives an Anthropic one."""
    return _join(prefix, "FAKE", tag, _BODY, "Zx81")


def fake_org(tag: str) -> str:
    """An organization id of the real length (``org-`` + 24)."""
    return _join("org-", "FAKE", tag, _BODY)[: 4 + 24]


def fake_project(tag: str) -> str:
    return _join("proj_", "FAKE", tag, _BODY)[: 5 + 24]


def fake_google(tag: str) -> str:
    """A Google API key: ``AIza`` + 35 characters."""
    return _join("AI", "za", "FAKE", tag, _BODY, "_-abcdefghijklmn")[: 4 + 35]


def fake_aws(tag: str) -> str:
    return _join("AK", "IA", "FAKE", tag.upper(), "0123456789ABCDEF")[:20]


def fake_jwt(tag: str) -> str:
    return _join("ey", "JhbGciOiJIUzI1NiJ9", ".", "eyJzdWIiOiJGQUtFIn0", tag, ".", "RkFLRXNpZ25hdHVyZQ")


def fake_sig(tag: str) -> str:
    return _join("FAKEsig", tag, "%2B", _BODY, "%3D")

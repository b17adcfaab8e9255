"""``pytest --tb=long -l`` prints no live key held by the plugin's frames (issue 20, break 8).

Before: a cassette miss of a Gemini call, reported with ``--tb=long -l``, showed the locals of the stub
that looked the request up (``cassette/stubs.py``, ``_lookup``), its ``headers`` holding the live
``x-goog-api-key``. The plugin's frames that hold a live request or reply now hide themselves
(``__tracebackhide__``), and a live reply's headers and body are not in its ``repr``. (A key the
application puts in a URL is in httpx's own ``Request`` repr, in httpx's frames: not the plugin's.)
"""

from __future__ import annotations

import pytest

from tests.safety.fakes import fake_google, fake_key
from tests.safety.inner_run import run

INNER = """
import os

import httpx

GEMINI = "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash-image:generateContent"


def test_a_gemini_call_the_cassette_lacks(imagegen_cassette):
    # The application's client carries the key; nothing in this frame holds it.
    with httpx.Client(headers={"x-goog-api-key": os.environ["LIVE_GOOGLE_KEY"]}) as client:
        client.post(GEMINI, json={"contents": [{"parts": [{"text": "a fox"}]}]})


def test_an_azure_call_the_cassette_lacks(imagegen_cassette):
    with httpx.Client(headers={"api-key": os.environ["LIVE_OPENAI_KEY"]}) as client:
        client.post("https://x.openai.azure.com/openai/deployments/d/images/generations", json={})
"""


@pytest.mark.parametrize("style", [("--tb=long", "-l"), ("--tb=short", "-l"), ("-l",)])
def test_no_frame_local_prints_the_live_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, style: tuple[str, ...]
) -> None:
    google, openai_key = fake_google("frames"), fake_key("frames")
    monkeypatch.setenv("LIVE_GOOGLE_KEY", google)
    monkeypatch.setenv("LIVE_OPENAI_KEY", openai_key)
    pytester.makepyfile(test_app=INNER)
    result = run(pytester, *style)
    result.assert_outcomes(failed=2)
    output = result.stdout.str()
    assert "CassetteMiss" in output
    assert google not in output
    assert openai_key not in output

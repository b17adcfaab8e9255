"""``python -m pytest_imagegen.emulator`` in a real subprocess: prints its URL, serves, stops on SIGTERM."""

from __future__ import annotations

import base64
import selectors
import subprocess
import sys

import httpx

from .conftest import API_KEY, decode

STARTUP_TIMEOUT = 60  # seconds; a bound on a blocking read, not a timing assertion


def _first_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(STARTUP_TIMEOUT):
            raise AssertionError("the emulator printed nothing")
    return process.stdout.readline().strip()


def test_cli_prints_base_url_and_serves() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_imagegen.emulator", "--port", "0", "--api-key", API_KEY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base_url = _first_line(process)
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/v1")

        # The README's curl command, with httpx.
        response = httpx.post(
            f"{base_url}/images/generations",
            headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
            content=b'{"model": "gpt-image-2", "prompt": "a red apple", "size": "64x64"}',
        )
        wrong_key = httpx.post(f"{base_url}/images/generations", headers={"Authorization": "Bearer sk-other"})
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=STARTUP_TIMEOUT)

    assert response.status_code == 200, response.text
    image = decode(response.json()["data"][0]["b64_json"])
    assert (image.format, image.size) == ("PNG", (64, 64))
    assert base64.b64decode(response.json()["data"][0]["b64_json"])[:4] == b"\x89PNG"
    assert wrong_key.status_code == 401
    assert f"Images API emulator at {base_url}" in stderr
    assert "Traceback" not in stderr

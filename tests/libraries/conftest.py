"""Loopback servers and helpers for the tests of the other HTTP libraries (requests, urllib3, botocore,
aiohttp, google-genai).

``emulator`` is the bundled emulator (the Images API, Gemini, Imagen, Bedrock); ``server`` is a small
threaded HTTP/1.1 server on 127.0.0.1 for what the emulator does not speak: a Stability-style endpoint
whose reply is raw image bytes (metadata in headers), and a stream that sends its first event, then
holds the rest back until the test releases it (``gate``), so a test can tell that the first event reached
the caller while the server still had not sent the others. Nothing here is timed: a client that buffered
the stream would wait for the rest, and the test would see the server had sent it.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from pytest_imagegen.emulator import Emulator
from tests.engine.conftest import Tape

# Nothing listens here: a replay that reached the network would fail loudly.
DEAD_ROOT = "http://127.0.0.1:9"
KEY = "sk-test-libraries-key-7Qz1"
STREAM_EVENTS = [{"type": "progress", "step": step} for step in range(4)]


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.effect_noise((width, height), 64).convert("RGB").save(out, format="PNG")
    return out.getvalue()


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.gate = threading.Event()
        self.sent_rest = False
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.image = png(256, 256)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        self.server.requests.append(("POST", self.path, dict(self.headers), body))
        if self.path.startswith("/v2beta/stable-image/generate/"):
            self._image()
        elif self.path.startswith("/v1/progress"):
            self._stream()
        else:
            self.send_error(404)

    def _image(self) -> None:
        """Stability's reply to ``accept: image/*``: the image bytes, its metadata in headers."""
        data = self.server.image
        self.send_response(200)
        for name, value in (("content-type", "image/png"), ("finish-reason", "SUCCESS"), ("seed", "1234")):
            self.send_header(name, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _stream(self) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        first, *rest = STREAM_EVENTS
        self._chunk(f"data: {json.dumps(first)}\n\n".encode())
        self.server.gate.wait(60)  # the test releases it once the first event reached the caller
        self.server.sent_rest = True
        for event in rest:
            self._chunk(f"data: {json.dumps(event)}\n\n".encode())
        self._chunk(b"")


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.gate.set()
        running.shutdown()
        running.server_close()


@pytest.fixture
def emulator(imagegen_emulator: Emulator) -> Emulator:
    imagegen_emulator.reset()
    return imagegen_emulator


@pytest.fixture
def tape(tmp_path: Path, request: pytest.FixtureRequest) -> Tape:
    return Tape(tmp_path / "cassettes", request.node.nodeid)


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AWS configuration at all, as on a CI runner: the plugin's dummies must do."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def stored(path: Path) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text(encoding="utf-8"))["interactions"])

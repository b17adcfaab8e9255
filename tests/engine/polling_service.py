"""A generic service that makes you wait, on three loopback hosts, and an application that polls it.

Submission on 127.0.0.1, status reads on 127.0.0.2, downloads on 127.0.0.3 (all of 127/8 is loopback on
Linux), each a threaded ``http.server`` on a random port, over real sockets:

- ``POST /v1/jobs`` answers a new job id (a fresh UUID per call) and the job's status URL, on the
  status host;
- ``GET /v1/jobs/<id>`` answers ``fail_first`` 503s (``Retry-After: 1``), then ``pending`` replies
  ``{"status": "processing"}`` with ``Retry-After: <interval>``, then ``{"status": "succeeded"}`` with a
  result URL on the download host, signed S3-style (a fresh object name, date and signature per job),
  and the time it completed;
- ``GET /results/<name>/sample.png?X-Amz-...`` checks the signature and answers a 1024x1024 noise PNG.

The application (``generate``) sleeps what it is told through an injected ``sleep``: tests count the
requested seconds and never sleep.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image

SUBMIT_HOST, STATUS_HOST, CDN_HOST = "127.0.0.1", "127.0.0.2", "127.0.0.3"
ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
_SIGNING_KEY = secrets.token_bytes(32)
_IMAGES: dict[str, bytes] = {}


def noise_image(kind: str = "png") -> bytes:
    """A 1024x1024 RGB image of noise, which does not compress (about 2.7 MB as PNG), made once per format."""
    if kind not in _IMAGES:
        out = io.BytesIO()
        Image.effect_noise((1024, 1024), 64).convert("RGB").save(out, format=kind.upper())
        _IMAGES[kind] = out.getvalue()
    return _IMAGES[kind]


def noise_png() -> bytes:
    return noise_image("png")


def _signature(path: str, date: str) -> str:
    return hmac.new(_SIGNING_KEY, f"{path}\n{date}".encode(), hashlib.sha256).hexdigest()


@dataclass
class Service:
    """The three servers' shared state: the jobs, and every request line they answered."""

    pending: int = 3
    interval: int = 1
    fail_first: int = 0
    # "json": pending and final states in JSON, the image by a signed URL; "accepted": Stability's way,
    # 202 while pending, then 200 with the image itself. The interval in Retry-After, or in ms.
    style: str = "json"
    interval_header: str = "Retry-After"
    image_format: str = "png"  # of the download: png, jpeg or webp
    roots: dict[str, str] = field(default_factory=dict)
    reads: dict[str, int] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def submit(self, body: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        job = str(uuid.uuid4())
        self.reads[job] = 0
        return 200, {}, {"id": job, "polling_url": f"{self.roots['status']}/v1/jobs/{job}"}

    def status(self, job: str) -> tuple[int, dict[str, str], Any]:
        if job not in self.reads:
            return 404, {}, {"detail": "no such job"}
        self.reads[job] += 1
        read = self.reads[job]
        if read <= self.fail_first:
            return 503, {"Retry-After": "1"}, {"detail": "busy"}
        if read <= self.fail_first + self.pending:
            wait = str(self.interval * 1000 if self.interval_header.endswith("-ms") else self.interval)
            if self.style == "accepted":
                return 202, {self.interval_header: wait}, {"id": job, "status": "in-progress"}
            return 200, {self.interval_header: wait}, {"id": job, "status": "processing"}
        if self.style == "accepted":
            return 200, {"Content-Type": "image/png"}, noise_png()
        name = secrets.token_hex(16)
        path = f"/results/{name}/sample.png"
        date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        query = (
            f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={ACCESS_KEY_ID}%2F{date[:8]}%2Fus-east-1"
            f"%2Fs3%2Faws4_request&X-Amz-Date={date}&X-Amz-Expires=600&X-Amz-SignedHeaders=host"
            f"&X-Amz-Signature={_signature(path, date)}"
        )
        result = {"sample": f"{self.roots['cdn']}{path}?{query}"}
        done = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{secrets.randbelow(10**6):06d}Z"
        return 200, {}, {"id": job, "status": "succeeded", "completed_at": done, "result": result}

    def download(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], Any]:
        date = query.get("X-Amz-Date", [""])[0]
        signature = query.get("X-Amz-Signature", [""])[0]
        if not hmac.compare_digest(_signature(path, date), signature):
            return 403, {}, {"detail": "signature does not match"}
        return 200, {"Content-Type": f"image/{self.image_format}"}, noise_image(self.image_format)


def _handler(service: Service, role: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the log is kept in ``service``
            return

        def _answer(self, reply: tuple[int, dict[str, str], Any]) -> None:
            status, headers, body = reply
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            headers = {"Content-Type": "application/json", **headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            service.log.append(f"{role} POST {self.path}")
            if role == "submit" and self.path == "/v1/jobs":
                self._answer(service.submit(body))
            else:
                self._answer((404, {}, {"detail": "not found"}))

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            service.log.append(f"{role} GET {parts.path}")
            if role == "status" and parts.path.startswith("/v1/jobs/"):
                self._answer(service.status(parts.path.removeprefix("/v1/jobs/")))
            elif role == "cdn" and parts.path.startswith("/results/"):
                self._answer(service.download(parts.path, parse_qs(parts.query)))
            else:
                self._answer((404, {}, {"detail": "not found"}))

    return Handler


@contextmanager
def running(service: Service) -> Iterator[Service]:
    """The three servers, each on its own loopback address; stopped (sockets closed) on exit."""
    servers = []
    try:
        for role, host in (("submit", SUBMIT_HOST), ("status", STATUS_HOST), ("cdn", CDN_HOST)):
            server = ThreadingHTTPServer((host, 0), _handler(service, role))
            server.daemon_threads = True
            servers.append(server)
            service.roots[role] = f"http://{host}:{server.server_address[1]}"
            threading.Thread(target=server.serve_forever, daemon=True).start()
        yield service
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@dataclass
class Run:
    """What one run of the application saw: each status read's (status, job status), the seconds it was
    told to sleep, and the image it downloaded."""

    states: list[tuple[int, str | None]] = field(default_factory=list)
    slept: list[float] = field(default_factory=list)
    image: bytes = b""
    job: str = ""


def generate(http: Any, submit_root: str, prompt: str) -> Run:
    """The application under test: submit, poll until done (sleeping what the service asks, retrying
    503s), download. ``http`` is an ``httpx.Client`` or a ``requests.Session`` (the same calls). Its
    sleep only notes the seconds asked for (``Run.slept``): no test sleeps."""
    run = Run()
    nap = run.slept.append
    job = http.post(f"{submit_root}/v1/jobs", json={"prompt": prompt}).json()
    run.job = job["id"]
    for _ in range(50):
        reply = http.get(job["polling_url"])
        if reply.headers["content-type"] == "image/png":  # Stability's way: the image is the final state
            run.states.append((reply.status_code, "image"))
            run.image = reply.content
            return run
        data = reply.json()
        run.states.append((reply.status_code, data.get("status")))
        if reply.status_code == 200 and data["status"] == "succeeded":
            run.image = http.get(data["result"]["sample"]).content
            return run
        if "openai-poll-after-ms" in reply.headers:
            nap(float(reply.headers["openai-poll-after-ms"]) / 1000)
        else:
            nap(float(reply.headers.get("retry-after", "1")))
    raise AssertionError(f"the job never finished: {run.states}")

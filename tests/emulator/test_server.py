"""The Emulator object: lifecycle, addresses, the request log, fault bookkeeping, the bare ASGI app."""

from __future__ import annotations

import logging
import socket

import httpx
import pytest

from pytest_imagegen.emulator import Emulator, EmulatorState, create_app
from pytest_imagegen.emulator import images as app_module
from pytest_imagegen.emulator.server import _QuietAbort
from pytest_imagegen.emulator.transport import ConnectionAbort

from .conftest import API_KEY, png_bytes

AUTH = {"authorization": f"Bearer {API_KEY}"}


def test_start_stop_and_addresses() -> None:
    emulator = Emulator()
    with pytest.raises(RuntimeError, match="never started"):
        _ = emulator.base_url

    with emulator:
        assert emulator.base_url == f"http://127.0.0.1:{emulator.port}/v1"
        assert emulator.root_url == f"http://127.0.0.1:{emulator.port}"
        assert httpx.post(f"{emulator.base_url}/images/generations", json={}, headers=AUTH).status_code == 400
        with pytest.raises(RuntimeError, match="already running"):
            emulator.start()

    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{emulator.base_url}/images/generations", json={}, headers=AUTH)
    emulator.stop()  # idempotent


def test_fixed_port_and_port_in_use() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    with Emulator(port=free) as emulator:
        assert emulator.port == free
        with pytest.raises(OSError):  # noqa: PT011 - the errno differs by platform
            Emulator(port=free).start()


def test_request_log(emulator: Emulator) -> None:
    image = png_bytes(64, 64)
    httpx.post(
        f"{emulator.base_url}/images/edits",
        data={"model": "gpt-image-2", "prompt": "p", "size": "64x64"},
        files={"image": ("in.png", image, "image/png")},
        headers=AUTH,
    )
    httpx.post(f"{emulator.base_url}/images/generations", json={"prompt": "q"})

    edit, unauthorised = emulator.requests
    assert (edit.method, edit.path, edit.status, edit.fault) == ("POST", "/v1/images/edits", 200, None)
    assert edit.params == {"model": "gpt-image-2", "prompt": "p", "size": "64x64"}
    assert len(edit.files) == 1
    assert (edit.files[0].part, edit.files[0].content_type, edit.files[0].size) == (
        "image",
        "image/png",
        len(image),
    )
    assert len(edit.files[0].sha256) == 64
    assert edit.headers["authorization"] == f"Bearer {API_KEY}"
    assert (unauthorised.status, unauthorised.params) == (401, {"prompt": "q"})

    emulator.reset()
    assert emulator.requests == []


def test_faults_are_consumed_in_order_and_reset_clears_them(emulator: Emulator) -> None:
    emulator.inject_fault("server_error")
    emulator.inject_fault("rate_limit", count=2, retry_after_ms=10)
    url = f"{emulator.base_url}/images/generations"
    body = {"model": "gpt-image-2", "prompt": "a", "size": "64x64"}

    statuses = [httpx.post(url, json=body, headers=AUTH).status_code for _ in range(4)]
    emulator.inject_fault("server_error", count=5)
    emulator.reset()

    assert statuses == [500, 429, 429, 200]
    assert emulator.state.pending_faults == 0
    assert httpx.post(url, json=body, headers=AUTH).status_code == 200


def test_faults_do_not_hit_rejected_keys_or_image_downloads(emulator: Emulator) -> None:
    url = httpx.post(
        f"{emulator.base_url}/images/generations",
        json={"model": "dall-e-2", "prompt": "a", "size": "256x256"},
        headers=AUTH,
    ).json()["data"][0]["url"]
    emulator.inject_fault("server_error")

    assert httpx.post(f"{emulator.base_url}/images/generations", json={"prompt": "a"}).status_code == 401
    assert httpx.get(url).status_code == 200
    assert emulator.state.pending_faults == 1


def test_inject_fault_checks_its_arguments(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="unknown fault 'timeout'"):
        emulator.inject_fault("timeout")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="count must be at least 1"):
        emulator.inject_fault("rate_limit", count=0)


@pytest.mark.anyio
async def test_create_app_runs_under_any_asgi_transport() -> None:
    state = EmulatorState(api_key="sk-asgi-only")
    transport = httpx.ASGITransport(app=create_app(state))

    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
        response = await client.post(
            "/v1/images/generations",
            json={"model": "gpt-image-2", "prompt": "a", "size": "64x64"},
            headers={"authorization": "Bearer sk-asgi-only"},  # fake value, made up for the test
        )

    assert response.status_code == 200
    assert response.json()["size"] == "64x64"
    assert [r.status for r in state.requests] == [200]


def test_an_emulator_bug_still_answers_the_api_envelope(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(spec: object) -> bytes:
        raise RuntimeError("bug in the image maker")

    monkeypatch.setattr(app_module, "render_encoded", broken)

    response = httpx.post(
        f"{emulator.base_url}/images/generations",
        json={"model": "gpt-image-2", "prompt": "a", "size": "64x64"},
        headers=AUTH,
    )

    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error"
    assert response.headers["x-request-id"].startswith("req_")


def test_disconnect_fault_leaves_no_error_in_the_log(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.inject_fault("disconnect")

    with caplog.at_level(logging.ERROR, logger="uvicorn.error"), pytest.raises(httpx.RemoteProtocolError):
        httpx.post(
            f"{emulator.base_url}/images/generations",
            json={"model": "gpt-image-2", "prompt": "a", "size": "64x64"},
            headers=AUTH,
        )

    # Only the abort's own record counts: another test's late error record may land in this window.
    aborts = [r for r in caplog.records if r.exc_info and isinstance(r.exc_info[1], ConnectionAbort)]
    assert aborts == []


def test_log_filter_drops_only_the_deliberate_abort() -> None:
    quiet = _QuietAbort()

    def record(exc: BaseException | None) -> logging.LogRecord:
        info = (type(exc), exc, None) if exc is not None else None
        return logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "boom", None, info)

    assert not quiet.filter(record(ConnectionAbort("cut")))
    assert not quiet.filter(record(ExceptionGroup("wrapped", [ConnectionAbort("cut")])))
    assert quiet.filter(record(RuntimeError("a real bug")))
    assert quiet.filter(record(None))

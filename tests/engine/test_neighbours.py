"""The plugin in a session shared with the tools users mix it with (issue 20, breaks 10 and 11).

Before: the transport stubs were installed once per process and never checked again. A test that
patched ``httpx.HTTPTransport.handle_request`` (what pytest-httpx's ``httpx_mock`` does) before its own
cassette opened had the real transport put back when its ``monkeypatch`` was undone, after the
cassette's: a later replay-only test with an empty cassette went to DNS (``httpx.ConnectError``) instead
of raising ``CassetteMiss``. The project's own suite could not see it: ``tests/conftest.py`` imports
everything first, and no test of it patched the transports.

Here a session mixes the plugin with pytest-httpx's ``httpx_mock``, respx's ``respx_mock`` and
``monkeypatch`` of the transports, each before and after the cassette tests, in a fresh process (as a
user's run is), in file order and in pytest-randomly's shuffled orders. A guard installed beneath the
plugin (``-p netguard``, imported before any plugin patches the socket) refuses and notes every
connection to anything but this machine and every name lookup, so nothing leaves the machine even where
the plugin fails; the session must note none, and every cassette miss must be a ``CassetteMiss``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import httpx2
import pytest

from pytest_imagegen.cassette import stubs
from pytest_imagegen.cassette.core import ImagegenCassette
from pytest_imagegen.errors import CassetteMiss
from tests.engine.conftest import DEAD_BASE_URL, Tape

NETGUARD = """
import ipaddress
import json
import os
import socket

_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


def _note(what):
    with open(os.environ["NETGUARD_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(what) + "\\n")


def _address(host):
    try:
        return ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return None


def _local(host):
    address = _address(host)
    return str(host) == "localhost" if address is None else address.is_loopback


def connect(sock, address, _real=_connect):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
        _note(["connect", str(address[0])])
        raise ConnectionRefusedError("refused by the test's guard")
    return _real(sock, address)


def connect_ex(sock, address):
    return connect(sock, address, _connect_ex)


def getaddrinfo(host, *args, **kwargs):
    if host is not None and _address(host) is None and not _local(host):  # a name: a packet to a resolver
        _note(["lookup", str(host)])
        raise socket.gaierror("refused by the test's guard")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
"""

COMMON = """
import asyncio

import httpx
import httpx2
import pytest

from pytest_imagegen import CassetteMiss
from pytest_imagegen.cassette.network import NetworkBlockedError

URL = "https://api.openai.com/v1/images/generations"
BODY = {"model": "gpt-image-2", "prompt": "nothing was recorded", "size": "64x64"}


def every_client_misses():
    for module in (httpx, httpx2):
        with module.Client() as client, pytest.raises(CassetteMiss):
            client.post(URL, json=BODY)

        async def send(module=module):
            async with module.AsyncClient() as client:
                await client.post(URL, json=BODY)

        with pytest.raises(CassetteMiss):
            asyncio.run(send())


def fake_transport(transport, request):
    return httpx.Response(200, json={"patched": True})
"""

TESTS = {
    "cassette": """
@pytest.mark.imagegen
def test_{n}_cassette_misses():
    every_client_misses()
""",
    "httpx_mock": """
def test_{n}_httpx_mock(httpx_mock):
    httpx_mock.add_response(url="https://mocked.invalid/a", json={{"mocked": "httpx_mock"}})
    assert httpx.get("https://mocked.invalid/a").json() == {{"mocked": "httpx_mock"}}
""",
    "respx": """
def test_{n}_respx(respx_mock):
    respx_mock.get("https://mocked.invalid/b").respond(json={{"mocked": "respx"}})
    assert httpx.get("https://mocked.invalid/b").json() == {{"mocked": "respx"}}
""",
    "monkeypatch": """
def test_{n}_monkeypatched_transport(monkeypatch):
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", fake_transport)
    assert httpx.get("https://mocked.invalid/c").json() == {{"patched": True}}
""",
    "monkeypatch then cassette": """
def test_{n}_monkeypatch_then_a_cassette(monkeypatch, request):
    # The break as reported: the transport patched, then the test's cassette opened. Undoing the
    # monkeypatch after the cassette closed put the real transport back, without the stubs.
    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", fake_transport)
    request.getfixturevalue("imagegen_cassette")
    every_client_misses()
""",
    "httpx_mock then cassette": """
@pytest.mark.imagegen
def test_{n}_httpx_mock_then_a_cassette(httpx_mock, imagegen_cassette):
    every_client_misses()
""",
    "cassette then httpx_mock": """
@pytest.mark.httpx_mock(should_mock=lambda request: request.url.host == "mocked.invalid")
@pytest.mark.imagegen
def test_{n}_a_cassette_then_httpx_mock(imagegen_cassette, httpx_mock):
    # A mock set up while the cassette is open answers what it mocks and hands the rest to the stubs.
    httpx_mock.add_response(url="https://mocked.invalid/d", json={{"mocked": "inside"}})
    assert httpx.get("https://mocked.invalid/d").json() == {{"mocked": "inside"}}
    every_client_misses()
""",
    "no cassette": """
def test_{n}_no_cassette_reaches_no_network():
    for module in (httpx, httpx2):
        with pytest.raises(NetworkBlockedError):
            module.get(URL)
""",
}


def inner_module(order: list[str]) -> str:
    return COMMON + "".join(TESTS[name].format(n=f"{i:02d}") for i, name in enumerate(order))


@pytest.fixture
def mixed_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "IMAGEGEN_RECORD_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETGUARD_LOG", str(pytester.path / "netguard.log"))
    forward = list(TESTS)
    pytester.makepyfile(
        netguard=NETGUARD,
        test_a_forward=inner_module(forward),
        test_b_backward=inner_module(forward[::-1]),
    )
    pytester.makeini("[pytest]\nxfail_strict = true\n")
    return pytester


def noted(project: pytest.Pytester) -> list[list[str]]:
    log = project.path / "netguard.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.mark.parametrize(
    "order",
    [
        pytest.param(["-p", "no:randomly"], id="file order, each tool before and after the cassettes"),
        pytest.param(
            ["-p", "randomly", "-p", "no:cacheprovider", "--randomly-seed=1"], id="shuffled, seed 1"
        ),
        pytest.param(
            ["-p", "randomly", "-p", "no:cacheprovider", "--randomly-seed=20"], id="shuffled, seed 20"
        ),
    ],
)
def test_a_mixed_session_misses_only_as_cassette_misses_and_reaches_no_network(
    mixed_project: pytest.Pytester, order: list[str]
) -> None:
    result = mixed_project.runpytest_subprocess("-p", "netguard", "-p", "no:hypothesispytest", *order)
    result.assert_outcomes(passed=2 * len(TESTS))
    if "randomly" in order:
        result.stdout.fnmatch_lines(["*--randomly-seed=*"])
    assert noted(mixed_project) == []


# ------------------------------------------------------------------------------ in process


@pytest.fixture
def real_transports() -> Iterator[None]:
    """Start and end with the real transport methods, as a process with no cassette open has them."""
    stubs.uninstall()
    yield
    stubs.uninstall()


def test_stubs_are_back_for_a_cassette_after_a_monkeypatch_put_the_real_transport_back(
    tape: Tape, real_transports: None
) -> None:
    real = httpx.HTTPTransport.handle_request

    def fake(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"patched": True})

    with pytest.MonkeyPatch.context() as patch:  # a test's monkeypatch, set up before its cassette
        patch.setattr(httpx.HTTPTransport, "handle_request", fake)
        with tape.open("none"):
            assert stubs.in_place()
    # The monkeypatch, undone after the cassette closed, put back what it found: the real method.
    assert httpx.HTTPTransport.__dict__["handle_request"] is real
    assert not stubs.in_place()
    real_async = httpx.AsyncHTTPTransport.__dict__["handle_async_request"]

    with tape.open("none") as cassette:
        assert stubs.in_place()
        for module in (httpx, httpx2):
            with module.Client() as client, pytest.raises(CassetteMiss):
                client.post(DEAD_BASE_URL + "/images/generations", json={"prompt": "a fox"})
    assert isinstance(cassette, ImagegenCassette)
    # The last cassette closed: what the stubs replaced is back.
    assert httpx.HTTPTransport.__dict__["handle_request"] is real
    assert httpx.AsyncHTTPTransport.__dict__["handle_async_request"] is real_async

"""In record mode ``none`` nothing reaches the network for the whole session (issue 20, break 11).

Before: the network was blocked only while a test's cassette was open; a thread the test started went on
sending after it closed, and 17 of 19 requests reached the live server unrecorded in a replay-only
session. Now a session whose record mode is ``none`` refuses, from its start to its end, every connection
to anything but this machine and every name lookup but ``localhost`` (``cassette/network.py``). This
machine's loopback stays open (local servers, pytester sessions that record from the bundled emulator),
except the service the cassettes stand for when it is configured on loopback; ``imagegen_allowed_hosts``
opens more.

The inner sessions run as fresh processes under the guard of ``test_neighbours.py`` (``-p netguard``,
beneath the plugin): whatever the plugin lets through is refused there and noted, so nothing leaves the
machine even where the plugin fails.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from pytest_imagegen.cassette import network
from tests.engine.test_neighbours import NETGUARD, noted

THREAD = """
import threading

import httpx
import httpx2
import pytest

from pytest_imagegen.cassette.network import NetworkBlockedError

GO = threading.Event()
OUTCOMES = []


def keep_sending():
    GO.wait()
    for n in range(19):
        module = httpx if n % 2 else httpx2
        try:
            module.post("https://api.openai.com/v1/images/generations", json={"prompt": f"frame {n}"})
            OUTCOMES.append("sent")
        except Exception as exc:
            OUTCOMES.append(type(exc).__name__)


@pytest.mark.imagegen
def test_starts_a_sender():
    threading.Thread(target=keep_sending, daemon=True).start()


def test_later_the_sender_sends():  # the cassette of the test that started it is closed by now
    GO.set()
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.daemon and thread.name.startswith("Thread"):
            thread.join()
    assert OUTCOMES == ["NetworkBlockedError"] * 19
"""

LOOPBACK = """
import os
import socket
import urllib.request

import pytest

from pytest_imagegen.cassette.network import NetworkBlockedError


@pytest.fixture
def server():
    with socket.create_server(("127.0.0.1", 0)) as listening:
        yield listening.getsockname()[1]


def test_loopback_stays_open_outside_a_cassette(server):
    socket.create_connection(("127.0.0.1", server)).close()
    socket.create_connection(("localhost", server)).close()


@pytest.mark.imagegen
def test_a_replay_only_cassette_closes_loopback_too(server):
    with pytest.raises(NetworkBlockedError, match="record mode 'none'"):
        socket.create_connection(("127.0.0.1", server))


def test_the_service_the_cassettes_stand_for_is_never_reached():
    port = int(os.environ["OPENAI_BASE_URL"].rsplit(":", 1)[1].split("/")[0])
    with pytest.raises(NetworkBlockedError, match="the service the cassettes were recorded from"):
        socket.create_connection(("127.0.0.1", port))
    with pytest.raises(NetworkBlockedError):
        urllib.request.urlopen(os.environ["OPENAI_BASE_URL"] + "/models")


def test_elsewhere_is_refused_in_any_form():
    with pytest.raises(NetworkBlockedError, match="name lookup of api.openai.com refused"):
        socket.getaddrinfo("api.openai.com", 443)
    with pytest.raises(NetworkBlockedError, match="network access to 192.0.2.1:443 refused"):
        socket.create_connection(("192.0.2.1", 443))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with udp, pytest.raises(NetworkBlockedError):
        udp.sendto(b"x", ("192.0.2.1", 53))


def test_an_allowed_host_passes_the_plugin():
    # The guard beneath the plugin refuses it and notes it: the plugin let it through.
    with pytest.raises(socket.gaierror, match="the test's guard"):
        socket.getaddrinfo("allowed.invalid", 443)
"""


@pytest.fixture
def guarded(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "IMAGEGEN_RECORD_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NETGUARD_LOG", str(pytester.path / "netguard.log"))
    pytester.makepyfile(netguard=NETGUARD)
    return pytester


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest_subprocess("-p", "netguard", "-p", "no:hypothesispytest", *args)


def test_a_thread_that_sends_after_its_cassette_closed_reaches_no_network(guarded: pytest.Pytester) -> None:
    guarded.makepyfile(test_thread=THREAD)
    run(guarded).assert_outcomes(passed=2)
    assert noted(guarded) == []


def test_loopback_stays_open_but_for_the_service_and_nothing_else_is_reached(
    guarded: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    guarded.makepyfile(test_loopback=LOOPBACK)
    guarded.makeini("[pytest]\nimagegen_allowed_hosts = allowed.invalid\n")
    with socket.create_server(
        ("127.0.0.1", 0)
    ) as gateway:  # a local gateway the cassettes were recorded from
        monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{gateway.getsockname()[1]}/v1")
        run(guarded).assert_outcomes(passed=5)
    assert noted(guarded) == [["lookup", "allowed.invalid"]]


def test_a_recording_session_is_not_blocked(guarded: pytest.Pytester) -> None:
    guarded.makepyfile(
        test_rec="""
        import socket
        import pytest

        def test_the_network_is_the_guard_s():
            with pytest.raises(socket.gaierror, match="the test's guard"):
                socket.getaddrinfo("api.openai.com", 443)
        """
    )
    run(guarded, "--imagegen-record=once").assert_outcomes(passed=1)
    assert noted(guarded) == [["lookup", "api.openai.com"]]


# ------------------------------------------------------------------------------ the policies, in process


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def test_a_recording_cassette_lifts_the_session_block_and_a_replay_only_one_closes_loopback(
    listening: int,
) -> None:
    end = network.block_session(service=f"http://localhost:{listening}/v1")
    try:
        with pytest.raises(network.NetworkBlockedError, match="the service the cassettes were recorded from"):
            socket.create_connection(("127.0.0.1", listening))
        with network.network_open():
            socket.create_connection(("127.0.0.1", listening)).close()
            with (
                network.blocked_network(test_id="t::x"),
                pytest.raises(network.NetworkBlockedError, match="in t::x"),
            ):
                socket.create_connection(("127.0.0.1", listening))
        with network.blocked_network(allowed_hosts=["127.0.0.1"]):
            socket.create_connection(("127.0.0.1", listening)).close()
    finally:
        end()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("app.localhost", True),
        ("10.0.0.1", False),
        ("192.0.2.1", False),
        ("::ffff:192.0.2.1", False),
        ("localhost.example.com", False),
        ("api.openai.com", False),
    ],
)
def test_what_counts_as_this_machine(host: str, loopback: bool) -> None:
    assert network.is_loopback(host) is loopback

"""A request through a library the plugin does not record is refused in record mode ``none`` with an
error that names the library, not with a network error and never silently."""

from __future__ import annotations

import http.client
import socket
import urllib.request

import pytest

from pytest_imagegen.cassette.network import NetworkBlockedError
from tests.engine.conftest import Tape

URL = "http://127.0.0.1:9/v1/images/generations"


def test_urllib_request_is_named(tape: Tape) -> None:
    with tape.open("none"), pytest.raises(NetworkBlockedError) as caught:
        urllib.request.urlopen(URL, data=b"{}")
    message = str(caught.value)
    assert "This request went through urllib.request, which pytest-imagegen does not record" in message
    assert "(it records httpx, httpx2, requests, urllib3, botocore (boto3) and aiohttp)" in message


def test_http_client_used_directly_is_named(tape: Tape) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", 9)
    with tape.open("none"), pytest.raises(NetworkBlockedError, match=r"went through http\.client, which"):
        connection.request("POST", "/v1/images/generations", body=b"{}")


def test_a_raw_socket_of_the_application_is_called_one(tape: Tape) -> None:
    with tape.open("none"), pytest.raises(NetworkBlockedError, match="A raw socket connected"):
        socket.create_connection(("127.0.0.1", 9))

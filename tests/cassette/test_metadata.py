"""The cassette's metadata, entry by entry: what is kept, what is refused, how entries line up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import httpx2
import pytest

from pytest_imagegen.cassette import metadata

NOW = datetime(2025, 6, 1, 10, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        ("OpenAI/Python 3.57.0", "OpenAI/Python 3.57.0"),
        ("AsyncOpenAI/Python 3.57.0", "AsyncOpenAI/Python 3.57.0"),
        ("MyApp/1.2 (build 7; linux)", "MyApp/1.2"),
        ("python-httpx/0.28.1", None),  # the library, which "http" names already
        ("python-httpx2/2.16.2", None),
        ("curl", None),
        ("", None),
    ],
)
def test_the_client_is_the_first_product_of_the_user_agent(agent: str, expected: str | None) -> None:
    assert metadata.product_of([("accept", "*/*"), ("User-Agent", agent)]) == expected


def test_the_http_library_is_named_by_its_headers_type() -> None:
    assert metadata.http_library(httpx.Headers()) == f"httpx {httpx.__version__}"
    assert metadata.http_library(httpx2.Headers()) == f"httpx2 {httpx2.__version__}"
    assert metadata.http_library({}) is None


@pytest.mark.parametrize(
    ("uri", "emulator", "expected"),
    [
        ("https://api.openai.com/v1/images/generations", False, "api.openai.com"),
        ("https://gw.example.com:8443/openai/v1/images/edits", False, "gw.example.com:8443"),
        ("http://127.0.0.1:53211/v1/images/generations", False, "127.0.0.1"),  # a random port is volatile
        ("https://user:pw@host.example/v1/x", False, "host.example"),  # never the userinfo
        ("http://127.0.0.1/v1/images/generations", True, "emulator"),
    ],
)
def test_the_service_is_the_host_or_the_emulator(uri: str, emulator: bool, expected: str) -> None:
    assert metadata.service_of(uri, emulator=emulator) == expected


def test_an_entry_leaves_out_what_the_leak_check_refuses() -> None:
    entry = metadata.new_entry(
        now=NOW,
        plugin="0.1.0",
        client="Bearer/sk-looks-like-a-key",
        http="httpx 0.28.1",
        model="gpt-image-2",
        service="api.openai.com",
        safe=lambda text: "sk-" not in text,
    )
    assert entry == {
        "recorded": "2025-06-01",
        "plugin": "0.1.0",
        "http": "httpx 0.28.1",
        "model": "gpt-image-2",
        "service": "api.openai.com",
    }


A = {"recorded": "2024-01-02", "plugin": "0.1.0", "model": "gpt-image-2", "service": "emulator"}
B = {"recorded": "2025-06-01", "plugin": "0.1.0", "model": "dall-e-3", "service": "emulator"}


def test_compose_says_once_what_every_entry_shares_and_per_interaction_what_differs() -> None:
    assert metadata.compose({"by": "someone"}, [A, A]) == {**A, "by": "someone"}
    composed = metadata.compose(None, [B, A])
    assert composed == {
        "plugin": "0.1.0",
        "service": "emulator",
        "interactions": [
            {"recorded": "2025-06-01", "model": "dall-e-3"},
            {"recorded": "2024-01-02", "model": "gpt-image-2"},
        ],
    }
    assert metadata.entries_of(composed, 2) == [B, A]
    assert metadata.recorded_at(composed) == datetime(2024, 1, 2, tzinfo=UTC)  # the oldest


def test_an_interaction_without_an_entry_makes_the_age_unknown() -> None:
    composed = metadata.compose(None, [B, None])
    assert composed == {"interactions": [B, {}]}
    assert metadata.entries_of(composed, 2) == [B, None]
    assert metadata.recorded_at(composed) is None


def test_compose_keeps_what_meta_says_when_no_entry_is_known() -> None:
    assert metadata.compose(A, [None, None, None]) == A  # shared by all, whatever their number
    listed = metadata.compose(None, [A, B])
    assert metadata.compose(listed, [None, None]) == listed
    assert metadata.compose(listed, [None]) == {}  # it no longer lines up: dropped


def test_entries_of_a_meta_that_does_not_line_up_are_unknown() -> None:
    meta = {"plugin": "0.1.0", "interactions": [{"recorded": "x"}, "junk"]}
    assert metadata.entries_of(meta, 2) == [{"plugin": "0.1.0", "recorded": "x"}, None]
    assert metadata.entries_of(meta, 3) == [None, None, None]
    assert metadata.entries_of({"interactions": "junk"}, 1) == [None]
    assert metadata.entries_of(None, 2) == [None, None]


def test_an_entry_outlives_max_age_only_past_it() -> None:
    entry = {"recorded": "2025-01-01"}
    then = datetime(2025, 1, 1, tzinfo=UTC)
    assert not metadata.outlived(entry, None, then + timedelta(days=999))
    assert not metadata.outlived(entry, timedelta(days=30), then + timedelta(days=30))
    assert metadata.outlived(entry, timedelta(days=30), then + timedelta(days=31))
    assert not metadata.outlived({"recorded": "junk"}, timedelta(days=30), then + timedelta(days=31))


def test_the_content_key_ignores_key_order_but_not_content() -> None:
    a = {"request": {"method": "POST", "uri": "u"}, "response": {"status": {"code": 200}}}
    b = {"response": {"status": {"code": 200}}, "request": {"uri": "u", "method": "POST"}}
    assert metadata.content_key(a) == metadata.content_key(b)
    assert metadata.content_key(a) != metadata.content_key({**a, "response": {"status": {"code": 201}}})

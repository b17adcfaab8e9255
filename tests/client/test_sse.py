"""The SSE decoder: WHATWG line and field rules, any chunking, and parity with the openai SDK's decoder."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from openai._streaming import SSEDecoder as SDKDecoder

from pytest_imagegen.client.sse import ServerSentEvent, SSEDecoder


def decode(*chunks: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    return [event for chunk in chunks for event in decoder.feed(chunk)]


def test_event_and_data_lines_make_one_event() -> None:
    stream = b'event: image_generation.completed\ndata: {"type": "x"}\n\n'
    assert decode(stream) == [ServerSentEvent(data='{"type": "x"}', event="image_generation.completed")]


def test_an_event_is_handed_over_as_soon_as_its_blank_line_arrives() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: first\n") == []
    assert decoder.feed(b"\ndata: sec") == [ServerSentEvent(data="first")]
    assert decoder.feed(b"ond\n\n") == [ServerSentEvent(data="second")]


def test_cr_lf_and_crlf_all_end_lines() -> None:
    assert decode(b"data: a\rdata: b\ndata: c\r\n\r\n") == [ServerSentEvent(data="a\nb\nc")]


def test_crlf_split_across_chunks_is_one_line_end() -> None:
    # Were the LF read as a line of its own, "a" would be dispatched alone.
    assert decode(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == [ServerSentEvent(data="a\nb")]


def test_comments_fields_without_colon_and_unknown_fields() -> None:
    stream = b": keep-alive\ndata\nfoo: bar\ndata:  two spaces\n\n"
    # "data" alone is a data field with an empty value; only one leading space is stripped.
    assert decode(stream) == [ServerSentEvent(data="\n two spaces")]


def test_leading_bom_is_dropped_once() -> None:
    assert decode("\ufeffdata: x\n\n".encode()) == [ServerSentEvent(data="x")]


def test_id_with_nul_is_ignored_and_id_persists() -> None:
    events = decode(b"id: 7\ndata: a\n\nid: bad\0id\ndata: b\n\n")
    assert [event.id for event in events] == ["7", "7"]


def test_retry_takes_digits_only() -> None:
    assert decode(b"retry: 15\ndata: a\n\nretry: 1x\ndata: b\n\n") == [
        ServerSentEvent(data="a", retry=15),
        ServerSentEvent(data="b"),
    ]


def test_blank_line_without_data_dispatches_nothing() -> None:
    assert decode(b"event: lonely\n\n\n\ndata: x\n\n") == [ServerSentEvent(data="x")]


def test_an_event_cut_off_before_its_blank_line_is_never_dispatched() -> None:
    assert decode(b"data: a\n\ndata: cut off\n") == [ServerSentEvent(data="a")]


def test_multibyte_text_split_inside_a_character() -> None:
    raw = "data: é→\n\n".encode()
    cut = raw.index("→".encode()) + 1
    assert decode(raw[:cut], raw[cut:]) == [ServerSentEvent(data="é→")]


_text = st.text(alphabet=st.characters(exclude_characters="\r\n\0", exclude_categories=["Cs"]), max_size=12)
_line = st.one_of(
    st.builds(lambda v: f"data:{v}", _text),
    st.builds(lambda v: f"data: {v}", _text),
    st.builds(lambda v: f"event: {v}", _text),
    st.builds(lambda v: f": {v}", _text),
    st.builds(lambda v: f"id: {v}", _text),
)
_event = st.lists(_line, min_size=1, max_size=4).map(lambda lines: [*lines, "data: end"])
_ending = st.sampled_from(["\n", "\r", "\r\n"])


@st.composite
def _counted_streams(draw: st.DrawFn) -> tuple[bytes, int]:
    """A stream and how many events it holds (a generated line may be ``data: end`` too)."""
    events = draw(st.lists(_event, min_size=1, max_size=4))
    out = ""
    for lines in events:
        # One line ending per event: a lone CR ending followed by LF would be one CRLF, not two ends.
        ending = draw(_ending)
        out += "".join(line + ending for line in [*lines, ""])
    return out.encode(), len(events)


def _streams() -> st.SearchStrategy[bytes]:
    return _counted_streams().map(lambda counted: counted[0])


@settings(deadline=None)  # no timing in tests: a slow first example is not a failure
@given(stream=_streams(), cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8))
def test_any_chunking_gives_the_same_events(stream: bytes, cuts: list[int]) -> None:
    points = sorted({cut % (len(stream) + 1) for cut in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    assert decode(*chunks) == decode(stream)


@settings(deadline=None)  # no timing in tests: a slow first example is not a failure
@given(counted=_counted_streams())
def test_same_events_as_the_openai_sdk_decoder(counted: tuple[bytes, int]) -> None:
    stream, events = counted
    # Every generated event carries data, where WHATWG and the SDK agree on dispatching.
    ours = [(e.event, e.data, e.id) for e in decode(stream)]
    sdk = [(e.event, e.data, e.id) for e in SDKDecoder().iter_bytes(iter([stream]))]
    assert ours == sdk
    assert len(ours) == events

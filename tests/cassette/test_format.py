"""The file format: packing round-trips exactly, the index is trusted only when current, volatile values go.

Pure functions over dicts and text, tested alone; the engine tests exercise them through real recordings.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from pytest_imagegen.cassette import fileformat, index, packing, storage
from pytest_imagegen.errors import CassetteError
from pytest_imagegen.safety import normalize

RESPONSE = {"id": "resp_1", "object": "response", "status": "in_progress", "output": [], "note": "x" * 200}


def stream_interaction() -> dict[str, Any]:
    events = [
        {"event": "response.created", "data": {"type": "response.created", "response": RESPONSE}},
        {"event": "response.in_progress", "data": {"type": "response.in_progress", "response": RESPONSE}},
        {"event": "custom", "data": {"type": "other"}},
        {"event": None, "data": "[DONE]"},
        {"event": None, "data": {"type": "no.event.line"}, "offset_ms": 1.5, "id": "7"},
    ]
    return {
        "request": {
            "method": "POST",
            "uri": "https://api.openai.com/v1/responses",
            "headers": {"accept": ["*/*"]},
            "body": {},
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"content-type": ["text/event-stream"], "set-cookie": ["a=1", "b=2"]},
            "body": {"sse": copy.deepcopy(events)},
        },
    }


def test_packing_round_trips_exactly_and_is_smaller() -> None:
    interaction = stream_interaction()
    packed = packing.pack(interaction)
    text = json.dumps(packed)
    assert packing.unpack(json.loads(text)) == interaction
    assert len(text) < len(json.dumps(interaction))
    events = packed["response"]["body"]["sse"]
    assert "event" not in events[0]  # the name is the data's type
    assert events[1]["data"]["response"] == {packing.REF_KEY: [0, "response"]}
    assert events[2]["event"] == "custom"
    assert events[3]["event"] is None
    assert events[4]["event"] is None
    assert packed["request"]["headers"] == {"accept": "*/*"}


def test_a_shared_object_keeps_its_own_key_order() -> None:
    interaction = stream_interaction()
    events = interaction["response"]["body"]["sse"]
    events[1]["data"]["response"] = dict(reversed(list(RESPONSE.items())))
    packed = packing.pack(interaction)
    assert packing.REF_KEY not in json.dumps(packed)  # same content, another order: not shared
    assert list(packing.unpack(packed)["response"]["body"]["sse"][1]["data"]["response"]) == list(
        reversed(RESPONSE)
    )


@pytest.mark.parametrize("ref", [[5, "response"], [0, "nope"], ["0"], [], "sse[0]"])
def test_a_reference_that_points_nowhere_is_a_cassette_error(ref: Any) -> None:
    interaction = stream_interaction()
    packed = packing.pack(interaction)
    packed["response"]["body"]["sse"][1]["data"]["response"] = {packing.REF_KEY: ref}
    text = storage.dump_cassette([]).replace('"interactions": []', '"interactions": ' + json.dumps([packed]))
    with pytest.raises(CassetteError, match="interaction 0"):
        storage.parse_cassette(text, "c.json")


def trusted(text: str) -> index.TrustedIndex | None:
    document = storage.parse_document(text, "c.json")
    assert document is not None
    return index.read_index(
        document.index, document.indexed_text, len(document.interactions), ("method", "path", "query", "body")
    )


def written(tmp_path: Any) -> str:
    path = tmp_path / "c.json"
    storage.save_cassette(path, [stream_interaction()], cache_dir=tmp_path / "cache")
    return str(path.read_text())


def test_the_index_is_trusted_only_while_the_file_and_the_index_are_as_written(tmp_path: Any) -> None:
    text = written(tmp_path)
    assert trusted(text) is not None
    # An edit to an interaction, to the index's entries, or a reformatted file: recomputed, not trusted.
    assert trusted(text.replace('"custom"', '"customised"')) is None
    entries = json.loads(text)["index"]["interactions"]
    forged = text.replace(json.dumps(entries[0][1]), json.dumps("0" * 16))
    assert forged != text
    assert trusted(forged) is None
    assert trusted(json.dumps(json.loads(text), indent=4)) is None
    # The index is at the end, and everything else is covered by its digest.
    assert text.rstrip().endswith("}\n}")
    assert fileformat.INDEX_SEPARATOR in text


def test_normalization_fixes_what_changes_between_recordings() -> None:
    live = {
        "request": {
            "method": "POST",
            "uri": "http://127.0.0.1:41213/v1/responses",
            "headers": {"user-agent": ["OpenAI/Python 3.1"]},
            "body": {"json": {"input": "x"}},
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {
                "x-request-id": ["req_abc"],
                "openai-processing-ms": ["31"],
                "x-ratelimit-limit-requests": ["5000"],
                "x-ratelimit-remaining-requests": ["4999"],
                "x-ratelimit-reset-requests": ["12ms"],
                "set-cookie": [
                    "__cf_bm=REDACTED; path=/; expires=Tue, 01-Dec-2026 17:32:49 GMT",
                    "session=REDACTED; expires=Tue, 01-Dec-2026 17:32:49 GMT; path=/",
                ],
            },
            "body": {
                "json": {
                    "id": "resp_" + "a" * 48,
                    "created_at": 1796144569,
                    "output": [{"id": "ig_" + "b" * 48}],
                    "url": "http://127.0.0.1:41213/x.png?st=2026-12-01T17:00:00Z&se=2026-12-01T18:00:00Z&sig=REDACTED-SIG",
                }
            },
        },
    }
    ids: dict[str, str] = {}
    out = normalize.normalize_interaction(live, seed="k:0", ids=ids)
    assert out["request"]["uri"] == "http://127.0.0.1/v1/responses"
    assert out["request"]["headers"] == {}
    headers = out["response"]["headers"]
    assert headers["x-request-id"] == [
        normalize.normalize_interaction(live, seed="k:0")["response"]["headers"]["x-request-id"][0]
    ]
    assert "openai-processing-ms" not in headers
    assert headers["x-ratelimit-remaining-requests"] == ["5000"]
    assert headers["x-ratelimit-reset-requests"] == ["0s"]
    assert headers["set-cookie"] == ["session=REDACTED; path=/"]
    body = out["response"]["body"]["json"]
    assert body["created_at"] == normalize.FIXED_TIME
    assert body["id"].startswith("resp_")
    assert len(body["id"]) == len("resp_") + 24
    assert (
        body["url"]
        == "http://127.0.0.1/x.png?st=2025-01-01T00:00:00Z&se=2025-01-01T00:00:00Z&sig=REDACTED-SIG"
    )
    # The next request refers to the live id: it is stored with the replacement, and replay (which sends
    # the replacement it received) needs no map at all.
    follow = {
        "method": "POST",
        "uri": "https://api.openai.com/v1/responses",
        "body": {"json": {"previous_response_id": "resp_" + "a" * 48}},
    }
    assert normalize.normalize_request(follow, ids)["body"]["json"]["previous_response_id"] == body["id"]
    replayed = {**follow, "body": {"json": {"previous_response_id": body["id"]}}}
    assert normalize.normalize_request(replayed) == normalize.normalize_request(follow, ids)
    # The same call recorded again: the same bytes.
    assert normalize.normalize_interaction(copy.deepcopy(live), seed="k:0", ids={}) == out


def test_packing_writes_what_normalization_fixed_in_one_line_and_reads_it_back() -> None:
    interaction = stream_interaction()
    interaction["request"]["headers"]["content-type"] = ["application/json"]
    interaction["request"]["body"] = {"json": {"prompt": "x"}}
    interaction["response"]["headers"] = {
        "content-type": ["text/event-stream"],
        "x-ratelimit-limit-requests": ["5000"],
        "x-ratelimit-limit-tokens": ["1000000"],
        "x-ratelimit-remaining-requests": ["5000"],
        "x-ratelimit-remaining-tokens": ["1000000"],
        "x-ratelimit-reset-requests": ["0s"],
        "x-ratelimit-reset-tokens": ["0s"],
        "x-request-id": ["req_1"],
    }
    packed = packing.pack(interaction)
    assert packed["response"]["status"] == 200
    assert "content-type" not in packed["request"]["headers"]
    assert list(packed["response"]["headers"]) == [
        "content-type",
        "x-ratelimit-limit-requests",
        "x-ratelimit-limit-tokens",
        packing.RATE_LIMITS_KEY,
        "x-request-id",
    ]
    unpacked = packing.unpack(json.loads(json.dumps(packed)))
    assert unpacked == interaction
    assert list(unpacked["response"]["headers"]) == list(interaction["response"]["headers"])


@pytest.mark.parametrize(
    "change",
    [
        lambda h: h.update({"x-ratelimit-remaining-requests": ["4999"]}),  # not what normalization leaves
        lambda h: h.pop("x-ratelimit-reset-tokens"),  # not the whole block
    ],
)
def test_rate_limits_that_are_not_the_normalized_block_are_written_as_they_are(change: Any) -> None:
    interaction = stream_interaction()
    headers = {
        "x-ratelimit-limit-requests": ["5000"],
        "x-ratelimit-limit-tokens": ["9"],
        "x-ratelimit-remaining-requests": ["5000"],
        "x-ratelimit-remaining-tokens": ["9"],
        "x-ratelimit-reset-requests": ["0s"],
        "x-ratelimit-reset-tokens": ["0s"],
    }
    change(headers)
    interaction["response"]["headers"] = headers
    interaction["response"]["status"] = {"code": 200, "message": "Fine"}  # not the standard phrase
    packed = packing.pack(interaction)
    assert packing.RATE_LIMITS_KEY not in packed["response"]["headers"]
    assert packed["response"]["status"] == {"code": 200, "message": "Fine"}
    assert packing.unpack(json.loads(json.dumps(packed))) == interaction


def test_a_file_whose_digest_vouches_for_bad_values_still_fails_only_as_a_cassette_error(
    tmp_path: Any,
) -> None:
    """A file the plugin wrote is not checked field by field as it loads for replay; one made to look so
    (its digest recomputed over bad values) fails where replay uses them, as a CassetteError."""
    from pytest_imagegen.cassette.core import ImagegenCassette
    from pytest_imagegen.config import ImagegenConfig

    path = tmp_path / "c.json"
    storage.save_cassette(path, [stream_interaction()], cache_dir=tmp_path / "cache")
    document = json.loads(path.read_text())
    bad = document["interactions"][0]
    bad["response"]["status"] = {"code": "abc", "message": None}
    bad["response"]["body"]["sse"][2] = {"data": {"x": {"placeholder": {"format": "png", "width": 10**9}}}}
    covered = fileformat.dump_covered(document["interactions"])
    entries = [(e[0], e[1], [tuple(p) for p in e[2:3] and e[2]]) for e in document["index"]["interactions"]]
    path.write_text(
        fileformat.finish(covered, index.build_index(covered, entries, ("method", "path", "query", "body")))
    )
    with pytest.raises(CassetteError, match="interaction 0"):
        storage.read_document(path)  # what verify and the other commands read: every field checked
    cassette = ImagegenCassette.load(path=path, config=ImagegenConfig(cassette_dir=tmp_path), test_id="t")
    with pytest.raises(CassetteError, match=r"interaction 0: the reply cannot be replayed"):
        cassette.rendered(0)

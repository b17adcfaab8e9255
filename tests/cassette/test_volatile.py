"""Stand-ins for made-up values (``safety/volatile.py``): shaped like the original, the same everywhere in
one recording, and a function of the request only, never of the value they replace."""

from __future__ import annotations

import re
import uuid

from pytest_imagegen.safety.normalize import normalize_interaction
from pytest_imagegen.safety.volatile import FIXED_AMZ_DATE, StandIns, is_token


def test_a_stand_in_keeps_the_shape_of_what_it_replaces() -> None:
    stand = StandIns({}, "seed")
    job = str(uuid.uuid4())
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}", stand.token(job))
    assert re.fullmatch(r"[0-9a-f]{64}", stand.token("ab12" * 16))  # Stability's hex
    assert re.fullmatch(r"[0-9a-z]{26}", stand.token("gm3qorzdhgbfurvjtvhg5wmjiq"))  # Replicate's
    assert len(stand.token("A1ouAJl7IvDyYwbcWVwekXLv")) == 24
    assert stand.token(job) == stand.token(job)  # the same original, the same stand-in


def test_a_stand_in_tells_nothing_of_the_value_it_replaced() -> None:
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    assert StandIns({}, "seed").token(first) == StandIns({}, "seed").token(second)
    assert StandIns({}, "seed").token(first) != StandIns({}, "other request").token(first)


def test_what_is_a_token() -> None:
    assert is_token(str(uuid.uuid4()))
    assert is_token("7478d82ee7329515e1a5e8a9bd36f0c6")
    assert not is_token("gpt-image-1")
    assert not is_token("aaaaaaaaaaaaaaaaaaaa")  # letters only: a word, not an id
    assert not is_token("12345678901234567890")  # digits only: a count or a time
    assert not is_token("YvWBXJBgcx0OcX5S9X6V2yX", mixed_case=False)


def test_a_job_s_ids_and_urls_are_replaced_alike_in_the_reply_and_the_requests_after_it() -> None:
    job = str(uuid.uuid4())
    cdn = (
        f"https://cdn.example/results/{uuid.uuid4().hex}/sample.png?X-Amz-Date=20261207T221530Z"
        "&X-Amz-Expires=600&Expires=1765145730&X-Amz-Signature=REDACTED-SIG"
    )
    urls: dict[str, str] = {}
    ids: dict[str, str] = {}
    submit = normalize_interaction(
        {
            "request": {"method": "POST", "uri": "https://api.example/v1/jobs", "body": {"json": {"p": 1}}},
            "response": {
                "status": {"code": 200},
                "headers": {"x-ms-request-id": [str(uuid.uuid4())]},
                "body": {"json": {"id": job, "polling_url": f"http://127.0.0.2:4711/v1/jobs/{job}"}},
            },
        },
        seed="submit",
        ids=ids,
        urls=urls,
    )
    stand_in = submit["response"]["body"]["json"]["id"]
    assert stand_in != job
    assert submit["response"]["body"]["json"]["polling_url"] == f"http://127.0.0.2/v1/jobs/{stand_in}"
    poll = normalize_interaction(
        {
            "request": {"method": "GET", "uri": f"http://127.0.0.2:4711/v1/jobs/{job}", "body": {}},
            "response": {"status": {"code": 200}, "headers": {}, "body": {"json": {"id": job, "url": cdn}}},
        },
        seed="poll",
        ids=ids,
        urls=urls,
    )
    assert poll["request"]["uri"] == f"http://127.0.0.2/v1/jobs/{stand_in}"
    assert poll["response"]["body"]["json"]["id"] == stand_in
    url = poll["response"]["body"]["json"]["url"]
    assert f"X-Amz-Date={FIXED_AMZ_DATE}" in url
    assert "Expires=1735689600" in url
    assert "X-Amz-Expires=600" in url  # a duration, not a time: kept
    download = normalize_interaction(
        {
            "request": {"method": "GET", "uri": cdn, "body": {}},
            "response": {"status": {"code": 200}, "headers": {}},
        },
        seed="download",
        ids=ids,
        urls=urls,
    )
    assert download["request"]["uri"] == url


def test_what_a_shape_declares_volatile_is_fixed_and_times_under_at_keys_too() -> None:
    reply = {
        "id": "gm3qorzdhgbfurvjtvhg5wmjiq",
        "completed_at": "2026-12-07T22:15:30.123456Z",
        "started_at": "not a time",
        "metrics": {"predict_time": 3.217, "steps": 28, "done": True},
        "logs": "Using seed: 1234\nstep 28/28",
        "output": ["https://replicate.delivery/xezq/abc/out-0.webp"],
        "model": {"version": {"id": "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"}},
    }
    fields = (("metrics", "predict_time"), ("metrics", "steps"), ("metrics", "done"), ("logs",), ("nowhere",))
    stored = normalize_interaction(
        {
            "request": {"method": "GET", "uri": "https://api.replicate.com/v1/predictions/x", "body": {}},
            "response": {"status": {"code": 200}, "headers": {}, "body": {"json": reply}},
        },
        seed="poll",
        fields=fields,
    )["response"]["body"]["json"]
    assert stored["completed_at"] == "2025-01-01T00:00:00.000000Z"
    assert stored["started_at"] == "not a time"
    assert stored["metrics"] == {"predict_time": 0.0, "steps": 0, "done": True}
    assert stored["logs"] == ""
    assert stored["id"] != reply["id"]
    assert len(stored["id"]) == len(reply["id"])
    assert stored["output"] == reply["output"]
    assert stored["model"] == reply["model"]  # a nested id may be one the client knows and sends as it is


def test_a_job_id_in_a_status_url_s_query_before_the_id_field_gets_the_same_stand_in() -> None:
    job = str(uuid.uuid4())
    urls: dict[str, str] = {}
    submit = normalize_interaction(
        {
            "request": {
                "method": "POST",
                "uri": "https://api.bfl.ai/v1/flux-pro",
                "body": {"json": {"p": 1}},
            },
            "response": {
                "status": {"code": 200},
                "headers": {},
                "body": {
                    "json": {"polling_url": f"https://api.us1.bfl.ai/v1/get_result?id={job}", "id": job}
                },
            },
        },
        seed="submit",
        urls=urls,
    )["response"]["body"]["json"]
    stand_in = submit["id"]
    assert submit["polling_url"] == f"https://api.us1.bfl.ai/v1/get_result?id={stand_in}"
    poll = normalize_interaction(
        {
            "request": {"method": "GET", "uri": f"https://api.us1.bfl.ai/v1/get_result?id={job}", "body": {}},
            "response": {"status": {"code": 200}, "headers": {}, "body": {"json": {"status": "Pending"}}},
        },
        seed="poll",
        urls=urls,
    )
    assert poll["request"]["uri"] == submit["polling_url"]


def test_base64_of_text_is_data_not_a_made_up_name() -> None:
    assert is_token("A1ouAJl7IvDyYwbcWVwekXLv")  # dall-e's random image name
    assert not is_token("eyJrZXkiOiAic2stdGVzdCJ9eyJr")  # base64 JSON: the leak scan must see it

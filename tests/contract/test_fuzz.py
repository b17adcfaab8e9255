"""Fuzzing: whatever JSON comes in, the contract answers with its own errors, never a crash.

The emulator feeds ``validate_request`` whatever a client sends and the client feeds ``check_reply``
whatever a server answers, so any other exception would surface as a 500 or a confusing traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_imagegen.contract import CAPABILITIES, check_error_reply, check_reply, validate_request
from pytest_imagegen.errors import RequestValidationError, SchemaAssertionError

from .images import b64_image, make_image

FIELDS = [
    "prompt", "model", "n", "quality", "response_format", "output_format", "output_compression", "stream",
    "partial_images", "size", "moderation", "background", "style", "user", "input_fidelity", "images", "mask",
    "svg", "svg[model]", "svg[model][x]", "frame_count", "complexity", "created", "data", "type", "b64_json",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        ["auto", "png", "gif", "true", "2", "1024x1024", "64x64", "transparent", "url", "low", "x"]
    ),
    st.sampled_from(list(CAPABILITIES)),
    st.text(max_size=8),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=4), inner, max_size=4),
    ),
    max_leaves=12,
)
PARAMS = st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=8)
PNG = make_image("png", (16, 16))
FILES = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(["image", "image[]", "mask", "markup", "other"]),
        st.one_of(
            st.just(PNG),
            st.binary(max_size=16),
            st.tuples(st.sampled_from(["a.png", "a", "a.jpg"]), st.just(PNG)),
            st.lists(st.just(("a.png", PNG, "image/png")), max_size=3),
        ),
        max_size=3,
    ),
)
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(
    endpoint=st.sampled_from(["generations", "edits", "variations"]),
    params=PARAMS,
    files=FILES,
    strict=st.booleans(),
)
def test_validate_request_raises_only_its_own_error(
    endpoint: str, params: dict[str, Any], files: Any, strict: bool
) -> None:
    try:
        request = validate_request(endpoint, params, files, strict=strict)
    except RequestValidationError as exc:
        error: RequestValidationError | None = exc
    else:
        error = None
        assert request.n >= 1
    assert error is None or error.to_error_body()["error"]["message"]


GOOD_REQUEST = validate_request("generations", {"model": "gpt-image-2", "prompt": "p", "size": "16x16"})
STREAM_REQUEST = validate_request(
    "generations",
    {"model": "gpt-image-2", "prompt": "p", "size": "16x16", "stream": True, "partial_images": 2},
)
B64 = b64_image("png", (16, 16))
REPLY_VALUES = st.one_of(JSON, st.just(B64), st.sampled_from(["image_generation.completed", "16x16"]))
REPLY = st.recursive(
    REPLY_VALUES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(FIELDS), inner, max_size=5)
    ),
    max_leaves=15,
)


def _problems(check: Callable[[], None]) -> list[tuple[str, str]] | None:
    """The problems a check reports (``None`` when it passes); any other exception fails the test."""
    try:
        check()
    except SchemaAssertionError as exc:
        return exc.problems
    return None


@FAST
@given(reply=REPLY, request=st.sampled_from([None, GOOD_REQUEST, STREAM_REQUEST]), strict=st.booleans())
def test_check_reply_raises_only_schema_assertions(reply: Any, request: Any, strict: bool) -> None:
    problems = _problems(lambda: check_reply(request, reply, strict=strict))
    assert problems is None or (problems and all(path.startswith("$") for path, _ in problems))


@FAST
@given(body=REPLY)
def test_check_error_reply_raises_only_schema_assertions(body: Any) -> None:
    problems = _problems(lambda: check_error_reply(body))
    assert problems is None or (problems and all(path.startswith("$") for path, _ in problems))

"""The registry of API shapes: what it answers for the built-in shapes is what the tables it replaced
answered, registration is checked and undone, and reading the shapes' declarations loads no models."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from pytest_imagegen.contract import registry, validate_request
from pytest_imagegen.contract.bedrock.shape import BEDROCK
from pytest_imagegen.contract.bfl.shape import BFL
from pytest_imagegen.contract.chat.shape import CHAT
from pytest_imagegen.contract.fal.shape import FAL
from pytest_imagegen.contract.gemini.shape import GEMINI
from pytest_imagegen.contract.images.shape import IMAGES
from pytest_imagegen.contract.replicate.shape import REPLICATE
from pytest_imagegen.contract.responses.shape import RESPONSES
from pytest_imagegen.contract.shape import ApiShape, Call
from pytest_imagegen.contract.stability.shape import STABILITY
from pytest_imagegen.errors import RequestValidationError

# What cassette/match.py and cassette/session.py held before the shapes were plug-ins.
OLD_OPERATION = re.compile(
    r"(/images/(?:generations|edits|variations)|/responses(?:/[^/]+)*|/chat/completions"
    r"|/models/[^/:]+:[A-Za-z]+)/?$"
)
OLD_VOLATILE_QUERY_KEYS = frozenset(
    {"api-key", "api_key", "key", "token", "access_token", "sig", "signature", "se", "st", "skt", "ske"}
    | {"api-version"}
)
OLD_KEY_VARIABLES = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")

PATHS = [
    "/v1/images/generations",
    "/v1/images/edits/",
    "/openai/deployments/dall-e-3/images/generations",
    "/openai/v1/images/variations",
    "/v1/responses",
    "/v1/responses/resp_1/input_items",
    "/responses/images/edits",
    "/images/edits/responses",
    "/api/v1/chat/completions",
    "/v1beta/models/gemini-2.5-flash-image:generateContent",
    "/v1/projects/p/locations/l/publishers/google/models/imagen-4.0:predict",
    "/v1beta/models/gemini-2.5-flash-image:countTokens",
    "/v1/chat/completions/models/x:generateContent",
    "/v1/files/file-1",
    "/private/org/user/img.png",
    "/",
    "",
]


class Bare(ApiShape[Any]):
    """A shape with the least a shape needs."""

    name = "bare"
    api = "Bare API"
    path = re.compile(r"/bare$")
    operations = re.compile(r"(/bare)$")

    def validate(self, call: Call) -> Any:
        return call

    def check_reply(self, request: Any, reply: Any, *, strict: bool = False) -> None:
        pass


def test_the_built_in_shapes_in_order() -> None:
    polled = (BFL, FAL, REPLICATE, STABILITY)
    assert registry.shapes()[:9] == registry.BUILTIN == (IMAGES, RESPONSES, CHAT, GEMINI, BEDROCK, *polled)
    assert registry.endpoints()[:17] == (
        "generations",
        "edits",
        "variations",
        "responses",
        "chat",
        "gemini",
        "bedrock",
        "bfl",
        "bfl-result",
        "fal",
        "fal-status",
        "fal-result",
        "fal-cancel",
        "replicate",
        "replicate-prediction",
        "stability",
        "stability-result",
    )
    assert registry.default_shape() is IMAGES


@pytest.mark.parametrize("path", PATHS)
def test_the_operation_path_is_what_the_old_table_said(path: str) -> None:
    old = OLD_OPERATION.search(path)
    assert registry.operation_path(path) == (old.group(1) if old else None)


def test_matching_and_the_dummy_keys_read_the_same_names_as_before() -> None:
    from pytest_imagegen.cassette.match import VOLATILE_QUERY_KEYS

    # Bedrock, added since, brings SigV4's presigned-URL keys and boto3's credential variables.
    sigv4 = frozenset({"x-amz-signature", "x-amz-credential", "x-amz-security-token"})
    assert VOLATILE_QUERY_KEYS | registry.volatile_query_keys() == OLD_VOLATILE_QUERY_KEYS | sigv4
    # The services one polls bring their clients' key variables (issue 23).
    polled = ("BFL_API_KEY", "FAL_KEY", "REPLICATE_API_TOKEN", "STABILITY_API_KEY")
    assert registry.key_variables() == (
        *OLD_KEY_VARIABLES,
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        *polled,
    )
    assert registry.key_alternatives() == (
        frozenset({"GEMINI_API_KEY", "GOOGLE_API_KEY"}),
        frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"}),
    )
    assert {"authorization", "api-key", "x-goog-api-key", "x-key"} <= registry.credential_headers()


@pytest.mark.parametrize(
    ("params", "reply", "shape"),
    [
        ({"prompt": "a fox"}, {"created": 1, "data": []}, IMAGES),
        ({"image": b"..."}, None, IMAGES),
        ({"model": "gpt-5", "input": "draw", "tools": []}, None, RESPONSES),
        # tools is a Responses API parameter, and a chat completion's and a Gemini request's too.
        ({"messages": [], "tools": []}, {"object": "chat.completion", "choices": []}, CHAT),
        ({"contents": [], "tools": []}, {"candidates": []}, GEMINI),
        ({"instances": [{"prompt": "x"}]}, [{"predictions": []}], GEMINI),
    ],
)
def test_sdk_keyword_arguments_find_their_shape(
    params: dict[str, Any], reply: Any, shape: ApiShape[Any]
) -> None:
    assert registry.shape_for_params(params, reply) is shape


def test_a_request_finds_its_shape_by_its_operation() -> None:
    assert (
        registry.shape_of_request(
            validate_request(
                "edits", {"prompt": "x", "images": [{"image_url": "https://x/y.png"}], "model": "gpt-image-1"}
            )
        )
        is IMAGES
    )
    assert (
        registry.shape_of_request(
            validate_request("chat", {"model": "x", "messages": [{"role": "user", "content": "hi"}]})
        )
        is CHAT
    )
    assert registry.shape_of_request(object()) is IMAGES


def test_registration_is_checked_and_undone() -> None:
    with registry.registered(Bare()) as bare:
        assert registry.shape_for("https://x.example/v1/bare") is bare
        assert registry.operation_path("/api/v2/bare") == "/bare"
        assert validate_request("bare", {"a": 1}) == Call("bare", {"a": 1})
        with pytest.raises(ValueError, match="already registered"):
            registry.register(Bare())
    assert registry.shape_named("bare") is None
    assert "bare" not in registry.endpoints()

    class Greedy(Bare):
        name = "greedy"
        endpoints = ("edits",)

    with pytest.raises(ValueError, match="'edits' of API shape 'greedy' is 'images''s already"):
        registry.register(Greedy())

    class Incomplete(ApiShape[Any]):  # no operations
        name, api, path = "incomplete", "Incomplete API", re.compile("/incomplete$")
        validate, check_reply = Bare.validate, Bare.check_reply

    with pytest.raises(TypeError, match="it has no operations"):
        registry.register(Incomplete())

    with pytest.raises(RuntimeError), registry.registered(Bare()):
        raise RuntimeError("the block failed")
    assert registry.shape_named("bare") is None


def test_an_endpoint_no_shape_has_is_a_404() -> None:
    with pytest.raises(RequestValidationError, match="no API shape has the endpoint 'painting'") as info:
        validate_request("painting", {})
    assert info.value.status == 404


def test_reading_the_shapes_loads_no_models() -> None:
    """The engine asks the registry on every request: that must not import every shape's pydantic models."""
    code = (
        "import sys, json\n"
        "from pytest_imagegen.contract import registry\n"
        "from pytest_imagegen.cassette import match\n"
        "registry.credential_headers(); registry.key_variables()\n"
        "match.fingerprint({'method': 'POST', 'uri': 'https://x/v1/images/edits?api-version=1', 'body': {}},"
        " ['method', 'path', 'query', 'body'])\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'pydantic' or m.endswith('models'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == []

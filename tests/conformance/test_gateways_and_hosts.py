"""Recording from the emulator (issue 24, items 5 and 6, and the stored URL of item 7), over loopback with
the official SDK: every operation under any path prefix; a host or operation the emulator cannot answer
refused by name with nothing recorded; the cassette keeps the URL the application asked for.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import openai
import pytest

from pytest_imagegen.emulator import Emulator
from pytest_imagegen.emulator.app import create_app
from pytest_imagegen.emulator.prefix import operation_route
from pytest_imagegen.emulator.state import EmulatorState

from .conftest import API_KEY, Sent

GATEWAY_APP = """
import httpx
import openai

IMAGE = {"modalities": ["image", "text"]}


def gateway_panel():
    client = openai.OpenAI(base_url="https://gateway.example/openai/v1", api_key="sk-gateway-key")
    return client.chat.completions.create(
        model="google/gemini-2.5-flash-image",
        messages=[{"role": "user", "content": "a red fox"}],
        extra_body=IMAGE,
    )


def default_sdk():
    return openai.OpenAI().images.generate(model="gpt-image-2", prompt="a fox", size="64x64")


def plain_httpx():
    body = {"model": "gpt-image-2", "prompt": "a fox", "size": "64x64"}
    return httpx.post("https://api.openai.com/v1/images/generations", json=body,
                      headers={"authorization": "Bearer sk-x"}).json()


def elsewhere():
    return httpx.get("https://example.com/")


def models():
    return openai.OpenAI().models.list()
"""

GATEWAY_TESTS = """
import pytest

import app

pytestmark = pytest.mark.imagegen


def test_gateway():
    assert app.gateway_panel().choices[0].message.images


def test_default_sdk():
    assert app.default_sdk().data[0].b64_json


def test_plain_httpx():
    assert app.plain_httpx()["data"][0]["b64_json"]


def test_elsewhere():
    app.elsewhere()


def test_models():
    app.models()
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for name in ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(app=GATEWAY_APP, test_app=GATEWAY_TESTS)
    pytester.syspathinsert()
    return pytester


def _uris(path: Path) -> list[str]:
    return [i["request"]["uri"] for i in json.loads(path.read_text())["interactions"]]


# --- 5. any path prefix ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/openai/v1/chat/completions", "/v1/chat/completions"),
        ("/api/v1/chat/completions", "/api/v1/chat/completions"),  # a route of its own
        ("/openai/images/generations", "/v1/images/generations"),
        ("/gw/v1/images/edits", "/v1/images/edits"),
        ("/proxy/v1/responses", "/v1/responses"),
        (
            "/openai/deployments/gpt-image-2/images/generations",
            "/openai/deployments/gpt-image-2/images/generations",
        ),
        (
            "/v1/acct/gw/google-ai-studio/v1beta/models/gemini-2.5-flash-image:generateContent",
            "/v1beta/models/gemini-2.5-flash-image:generateContent",
        ),
        ("/v1/files", None),
        ("/", None),
    ],
)
def test_the_route_of_a_prefixed_path(path: str, route: str | None) -> None:
    routes = create_app(EmulatorState()).routes  # the routes the shapes' emulator modules declare
    assert operation_route(routes, {"type": "http", "method": "POST", "path": path}) == route


@pytest.mark.parametrize("prefix", ["/openai/v1", "/api/v1", "/some/gateway/v1"])
def test_the_sdk_is_served_under_a_path_prefix(imagegen_emulator: Emulator, sent: Sent, prefix: str) -> None:
    client = openai.OpenAI(base_url=imagegen_emulator.root_url + prefix, api_key=API_KEY, max_retries=0)

    images = client.images.generate(model="gpt-image-2", prompt="a fox", size="64x64")
    chat = client.chat.completions.create(
        model="google/gemini-2.5-flash-image",
        messages=[{"role": "user", "content": "a fox"}],
        extra_body={"modalities": ["image", "text"]},
    )
    drawing = client.responses.create(
        model="gpt-5",
        input="a fox",
        tools=[{"type": "image_generation", "size": "1024x1024", "quality": "low"}],
    )

    assert images.data
    assert images.data[0].b64_json
    assert chat.choices[0].message.content
    assert [item.type for item in drawing.output] == ["image_generation_call"]
    # The log keeps the path as asked.
    assert [r.path for r in imagegen_emulator.requests] == [
        f"{prefix}/images/generations",
        f"{prefix}/chat/completions",
        f"{prefix}/responses",
    ]
    assert sent.problems() == []


def test_an_unknown_path_is_the_services_404_marked_as_unanswerable(imagegen_emulator: Emulator) -> None:
    response = httpx.post(
        f"{imagegen_emulator.root_url}/openai/v1/files",
        json={},
        headers={"authorization": f"Bearer {API_KEY}"},
    )

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Invalid URL (POST /openai/v1/files)"
    assert response.headers["x-imagegen-emulator-no-route"] == "1"


def test_a_gateway_with_a_path_prefix_records_from_the_emulator_and_replays(project: pytest.Pytester) -> None:
    project.runpytest(
        "--imagegen-base-url=emulator", "--imagegen-record=once", "-k", "gateway"
    ).assert_outcomes(passed=1)
    # The URL the application asked for, not the emulator's.
    assert _uris(project.path / "cassettes/test_app/test_gateway.json") == [
        "https://gateway.example/openai/v1/chat/completions"
    ]
    project.runpytest("-k", "gateway").assert_outcomes(passed=1)


# --- 6. a host or an operation the emulator cannot answer ------------------------------------------------


@pytest.mark.parametrize(
    ("test", "line"),
    [
        (
            "test_elsewhere",
            "*EmulatorCannotAnswer: recording from the bundled emulator in test_app.py::test_elsewhere: "
            "it cannot answer GET https://example.com/ (host example.com); nothing was recorded.*",
        ),
        (
            "test_models",
            "*EmulatorCannotAnswer: recording from the bundled emulator in test_app.py::test_models: "
            "it cannot answer GET https://api.openai.com/v1/models (host api.openai.com); nothing was recorded.*",
        ),
    ],
)
def test_a_request_the_emulator_cannot_answer_is_refused_and_not_recorded(
    project: pytest.Pytester, test: str, line: str
) -> None:
    result = project.runpytest("--imagegen-base-url=emulator", "--imagegen-record=once", "-k", test)

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([line])
    cassette = project.path / f"cassettes/test_app/{test}.json"
    assert not cassette.exists() or _uris(cassette) == []


# --- 7. the stored URL is the one the application asked for -----------------------------------------------


def test_the_sdk_and_plain_httpx_store_the_same_url(project: pytest.Pytester) -> None:
    project.runpytest(
        "--imagegen-base-url=emulator", "--imagegen-record=once", "-k", "default_sdk or plain_httpx"
    ).assert_outcomes(passed=2)

    expected = ["https://api.openai.com/v1/images/generations"]
    assert _uris(project.path / "cassettes/test_app/test_default_sdk.json") == expected
    assert _uris(project.path / "cassettes/test_app/test_plain_httpx.json") == expected
    project.runpytest("-k", "default_sdk or plain_httpx").assert_outcomes(passed=2)

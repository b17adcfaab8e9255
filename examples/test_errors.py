"""Error paths: what the service refuses, and what the plugin's client refuses before sending."""

from __future__ import annotations

import openai
import pytest

from pytest_imagegen import RequestValidationError
from pytest_imagegen.cassette.core import ImagegenCassette
from pytest_imagegen.client import ImagegenClient


def test_the_service_refuses_two_dall_e_3_images(imagegen_openai: openai.OpenAI) -> None:
    # The SDK sends this as is; the service answers 400, recorded and replayed like any other reply.
    with pytest.raises(openai.BadRequestError) as excinfo:
        imagegen_openai.images.generate(model="dall-e-3", prompt="two foxes", n=2)
    assert excinfo.value.status_code == 400
    assert excinfo.value.body == {
        "message": "You must provide n=1 for this model.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


def test_the_plugin_client_refuses_it_before_sending(
    imagegen_client: ImagegenClient, imagegen_cassette: ImagegenCassette
) -> None:
    with pytest.raises(RequestValidationError, match="n=1") as excinfo:
        imagegen_client.generate("two foxes", model="dall-e-3", n=2)
    assert excinfo.value.status == 400
    assert imagegen_cassette.interactions == [], "nothing may reach the service"

"""``RESPONSES``: the Responses API's ``image_generation`` tool (``POST /v1/responses``) as an API shape.

A JSON body with a mainline model and the image tool's options; the reply is the response object or its
stream of events. Validation is ``validate.py``, reply checks ``replies.py``; the error envelope is the
OpenAI one the Images API answers with.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from pytest_imagegen.contract.capabilities import DEFAULT_TOOL_MODEL
from pytest_imagegen.contract.shape import ApiShape, Call

if TYPE_CHECKING:
    from pydantic import BaseModel

    from pytest_imagegen.contract.responses.validate import ResponsesRequest

__all__ = ["RESPONSES"]

# Ids the service gives a response, an image call, a message, a reasoning item: new on every recording.
_ID_KEYS: Final = frozenset({"id", "item_id", "previous_response_id"})
_ID: Final = re.compile(r"(?:resp|ig|msg|rs)_[A-Za-z0-9]{8,}")


class ResponsesShape(ApiShape["ResponsesRequest"]):
    name = "responses"
    api = "Responses API"
    path = re.compile(r"/responses/?$")
    # Sub-resources too (``/responses/{id}/input_items``): matched under any base URL, not checked.
    operations = re.compile(r"(/responses(?:/[^/]+)*)/?$")
    request_markers = ("input", "tools", "previous_response_id", "instructions")
    credential_headers = frozenset({"authorization", "api-key", "openai-organization", "openai-project"})
    key_variables = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY")
    image_fields = (
        # Request: input images as data URLs, an earlier image_generation_call passed back whole, a mask.
        ("input", "*", "content", "*", "image_url"),
        ("input", "*", "result"),
        ("tools", "*", "input_image_mask", "image_url"),
        # JSON reply, and the response object in response.created / in_progress / completed events.
        ("output", "*", "result"),
        ("response", "output", "*", "result"),
        # response.output_item.added / done events, and partial images.
        ("item", "result"),
        ("partial_image_b64",),
    )
    error_context = "error reply to POST /v1/responses"
    emulator = "pytest_imagegen.emulator.responses"

    @property
    def error_model(self) -> type[BaseModel]:
        from pytest_imagegen.contract.images.reply_models import ErrorResponse

        return ErrorResponse

    def validate(self, call: Call) -> ResponsesRequest:
        from pytest_imagegen.contract.responses.validate import validate_responses_request

        return validate_responses_request(call.params, strict=call.strict)

    def check_reply(self, request: ResponsesRequest | None, reply: Any, *, strict: bool = False) -> None:
        __tracebackhide__ = True
        from pytest_imagegen.contract.responses.replies import check_responses_reply

        check_responses_reply(request, reply, strict=strict)

    def is_reply(self, reply: Any) -> bool:
        from pytest_imagegen.contract.responses.replies import is_responses_reply

        return is_responses_reply(reply)

    def model_of(self, uri: str, params: Mapping[str, Any]) -> str:
        """The mainline model and the image tool's: ``gpt-5 + gpt-image-1.5``."""
        model = str(params.get("model") or "(from the prompt)")
        tools = [
            t
            for t in params.get("tools") or ()
            if isinstance(t, Mapping) and t.get("type") == "image_generation"
        ]
        if not tools:
            return model
        return f"{model} + {tools[0].get('model') or f'{DEFAULT_TOOL_MODEL} (default)'}"

    def volatile_value(self, key: str, value: Any) -> str | None:
        if key in _ID_KEYS and isinstance(value, str) and _ID.fullmatch(value):
            return f"<{value.split('_', 1)[0]}_ id>"
        return None


RESPONSES: Final = ResponsesShape()

"""``CHAT``: chat completions with image output (a gateway's ``POST /chat/completions``) as an API shape.

A JSON body of ``messages`` with ``modalities`` asking for images; the reply is a chat completion or its
chunks, a stream that ends with ``data: [DONE]`` on the wire. Validation is ``validate.py``, reply checks
``replies.py``, models ``models.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from pytest_imagegen.contract.shape import ApiShape, Call

if TYPE_CHECKING:
    from pydantic import BaseModel

    from pytest_imagegen.contract.chat.validate import ChatRequest

__all__ = ["CHAT"]

# A chat completion's id (``chatcmpl-``, a gateway's ``gen-``): new on every recording.
_ID: Final = re.compile(r"(chatcmpl|gen)-[A-Za-z0-9-]{8,}")


class ChatShape(ApiShape["ChatRequest"]):
    name = "chat"
    api = "chat completions API"
    # A gateway's OpenAI-compatible chat completions (``/v1/chat/completions``, ``/api/v1/...``).
    path = re.compile(r"/chat/completions/?$")
    operations = re.compile(r"(/chat/completions)/?$")
    request_markers = ("messages",)
    credential_headers = frozenset({"authorization"})
    key_variables = ("OPENAI_API_KEY",)
    image_fields = (
        # Request: input images as data URLs in content parts; an earlier assistant turn passed back with
        # the images it drew.
        ("messages", "*", "content", "*", "image_url", "url"),
        ("messages", "*", "images", "*", "image_url", "url"),
        # JSON reply, and stream chunks.
        ("choices", "*", "message", "images", "*", "image_url", "url"),
        ("choices", "*", "delta", "images", "*", "image_url", "url"),
    )
    error_context = "error reply to POST /chat/completions"
    # A stream read from a cassette must end with data: [DONE]: without it, it was cut.
    keeps_done = True
    emulator = "pytest_imagegen.emulator.chat"

    @property
    def error_model(self) -> type[BaseModel]:
        from pytest_imagegen.contract.chat.models import ChatErrorResponse

        return ChatErrorResponse

    def validate(self, call: Call) -> ChatRequest:
        from pytest_imagegen.contract.chat.validate import validate_chat_request

        return validate_chat_request(call.params, strict=call.strict)

    def check_reply(self, request: ChatRequest | None, reply: Any, *, strict: bool = False) -> None:
        __tracebackhide__ = True
        from pytest_imagegen.contract.chat.replies import check_chat_reply

        check_chat_reply(request, reply, strict=strict)

    def check_recorded_reply(self, request: ChatRequest | None, reply: Any, *, strict: bool = False) -> None:
        from pytest_imagegen.contract.chat.replies import check_chat_reply

        check_chat_reply(request, reply, strict=strict, wire=True)

    def is_reply(self, reply: Any) -> bool:
        from pytest_imagegen.contract.chat.replies import is_chat_reply

        return is_chat_reply(reply)

    def event_label(self, data: Mapping[str, Any]) -> str | None:
        kind = data.get("object")  # chat.completion.chunk
        return str(kind) if kind else None

    def volatile_value(self, key: str, value: Any) -> str | None:
        if key == "id" and isinstance(value, str) and (found := _ID.fullmatch(value)):
            return f"<{found.group(1)}- id>"
        return None


CHAT: Final = ChatShape()

"""``check_reply``: a reply of any API shape checked against the contract and the request that asked.

An Images API reply is checked by ``contract/images/replies.py``; a reply of another shape by that shape's
package (``contract/responses``, ``contract/chat``, ``contract/gemini``), chosen by the request's kind or,
without a request, by the reply's own shape.
"""

from __future__ import annotations

from typing import Any

from pytest_imagegen.contract.chat.replies import check_chat_reply, is_chat_reply
from pytest_imagegen.contract.chat.validate import ChatRequest
from pytest_imagegen.contract.gemini.replies import check_gemini_reply, is_gemini_reply
from pytest_imagegen.contract.gemini.validate import GeminiRequest
from pytest_imagegen.contract.images.replies import check_images_reply
from pytest_imagegen.contract.images.validate import ValidatedRequest
from pytest_imagegen.contract.responses.replies import check_responses_reply, is_responses_reply
from pytest_imagegen.contract.responses.validate import ResponsesRequest

__all__ = ["check_reply"]


def check_reply(
    request: ValidatedRequest | ResponsesRequest | ChatRequest | GeminiRequest | None,
    reply: Any,
    *,
    strict: bool = False,
) -> None:
    """Check a reply's schema and, when ``request`` is given, that it answers that request.

    ``reply`` is the JSON of an ``ImagesResponse`` (mapping or model) or a sequence of stream events
    (mappings or models). Raises one ``SchemaAssertionError`` listing every problem.

    A reply of another API shape is checked by that shape's package, chosen by ``request`` when it is a
    ``ResponsesRequest``, ``ChatRequest`` or ``GeminiRequest``, else by the reply's own shape: the
    Responses API's response object or events (``contract.responses.check_responses_reply``), a chat
    completion or its chunks (``contract.chat.check_chat_reply``), a Gemini API reply or its chunks
    (``contract.gemini.check_gemini_reply``).
    """
    __tracebackhide__ = True
    if isinstance(request, ResponsesRequest) or (request is None and is_responses_reply(reply)):
        check_responses_reply(
            request if isinstance(request, ResponsesRequest) else None, reply, strict=strict
        )
        return
    if isinstance(request, ChatRequest) or (request is None and is_chat_reply(reply)):
        check_chat_reply(request if isinstance(request, ChatRequest) else None, reply, strict=strict)
        return
    if isinstance(request, GeminiRequest) or (request is None and is_gemini_reply(reply)):
        check_gemini_reply(request if isinstance(request, GeminiRequest) else None, reply, strict=strict)
        return
    check_images_reply(request, reply, strict=strict)

"""``check_reply``: a reply of any API shape checked against the contract and the request that asked.

The shape is the registry's (``contract/registry.py``): the one whose ``validate`` made ``request``, or,
without a request, the one that claims the reply as its own (the Images API's when none does).
"""

from __future__ import annotations

from typing import Any

from pytest_imagegen.contract import registry
from pytest_imagegen.contract.shape import ShapeRequest

__all__ = ["check_reply"]


def check_reply(request: ShapeRequest | None, reply: Any, *, strict: bool = False) -> None:
    """Check a reply's schema and, when ``request`` is given, that it answers that request.

    ``reply`` is one JSON reply (a mapping or a pydantic model: the openai SDK's or the contract's) or a
    sequence of stream events (mappings or models). Raises one ``SchemaAssertionError`` listing every
    problem.

    The shape is ``request``'s (a ``ValidatedRequest``, ``ResponsesRequest``, ``ChatRequest``,
    ``GeminiRequest``, ... from ``validate_request``), else the reply's own: the Responses API's response
    object or events (``contract.responses.check_responses_reply``), a chat completion or its chunks
    (``contract.chat.check_chat_reply``), a Gemini API reply or its chunks
    (``contract.gemini.check_gemini_reply``), anything else an Images API reply.
    """
    __tracebackhide__ = True
    shape = registry.shape_of_request(request) if request is not None else registry.shape_for_reply(reply)
    shape.check_reply(request, reply, strict=strict)

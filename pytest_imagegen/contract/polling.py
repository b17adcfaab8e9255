"""What the shapes of services one polls share (``bfl``, ``fal``, ``replicate``, ``stability``).

Such a service answers a submitted job with where to ask about it; the client reads its status until it
is final, then fetches the output, often from other hosts than the one it submitted to. Each of those
shapes names the operation a URL path is (the submit, a status read, the result), so a stored GET of a
status URL is validated and checked as what it is; ``PollingShape`` does that dispatch and raises the
problems its shape finds. Also here: the checks of a URL and of a size against a ``PolledModel`` row.

Pure: no I/O; the shapes' own modules are imported when first needed.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pytest_imagegen.contract.capabilities import PolledModel
from pytest_imagegen.contract.shape import ApiShape, Call, RequestT
from pytest_imagegen.contract.uploads import FilesInput
from pytest_imagegen.errors import RequestValidationError

__all__ = ["PollingShape", "int_param", "invalid", "size_problem", "url_problem"]


class PollingShape(ApiShape[RequestT]):
    """An ``ApiShape`` whose operations are told apart by their URL path (a GET has no body to tell)."""

    methods: tuple[str, ...] = ("POST", "GET")

    @abstractmethod
    def operation_of(self, path: str) -> str:
        """Which of ``endpoints`` the URL path ``path`` calls."""

    @abstractmethod
    def reply_problems(self, request: RequestT | None, reply: Any, *, strict: bool) -> list[tuple[str, str]]:
        """Every problem of a 2xx reply as ``(json path, message)``; ``request`` None: judge it alone."""

    def recorded_call(
        self, uri: str, params: Mapping[str, Any], files: FilesInput | None, *, strict: bool = False
    ) -> Call:
        path = urlsplit(uri).path
        return Call(self.operation_of(path), params, files if self.takes_files else None, strict, path)

    def check_reply(self, request: RequestT | None, reply: Any, *, strict: bool = False) -> None:
        __tracebackhide__ = True
        from pytest_imagegen.errors import SchemaAssertionError

        problems = self.reply_problems(request, reply, strict=strict)
        if problems:
            where = f"reply to {request.endpoint}" if request is not None else "reply"
            raise SchemaAssertionError(problems, context=where, api=self.api)

    def check_recorded_reply(self, request: RequestT | None, reply: Any, *, strict: bool = False) -> None:
        # The request was this shape's even when the contract rejected it: judge the reply alone.
        self.check_reply(request, reply, strict=strict)


def invalid(message: str, field: str) -> RequestValidationError:
    """The error of a request the service refuses, naming the field."""
    return RequestValidationError(message, field=field)


def int_param(params: Mapping[str, Any], name: str, low: int, high: int) -> int | None:
    """``params[name]`` as an integer from ``low`` to ``high`` (a multipart field's text too), or None."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise invalid(f"{name} must be an integer from {low} to {high}", name)
    return value


def size_problem(row: PolledModel | None, name: str, value: int | None) -> RequestValidationError | None:
    """Why ``value`` is no ``width`` / ``height`` the model's row allows, or None."""
    if row is None or value is None or row.min_edge is None:
        return None
    if row.max_edge is not None and not row.min_edge <= value <= row.max_edge:
        return invalid(f"{name} must be from {row.min_edge} to {row.max_edge} for {row.id}", name)
    if value % row.multiple_of:
        return invalid(f"{name} must be a multiple of {row.multiple_of} for {row.id}", name)
    return None


def url_problem(path: str, value: Any, what: str) -> list[tuple[str, str]]:
    """A problem when ``value`` is not an http(s) URL (where a client fetches ``what``)."""
    if isinstance(value, str) and urlsplit(value).scheme in ("http", "https") and urlsplit(value).netloc:
        return []
    return [(path, f"{what} must be an http(s) URL (got {str(value)[:60]!r})")]

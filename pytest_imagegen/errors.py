"""Every error a user of pytest-imagegen can meet, in one place.

Each message says what happened, where, and what to do next. None of these derive from an httpx
or httpx2 ``RequestError``: SDKs retry those as connection problems, and a cassette miss or a
refused write must surface at once.

No message prints a secret: a message ends up in terminals, CI logs and junit XML. Whatever in it has a
credential's shape (``safety/credentials.py``), and any literal secret the raiser passes, is shown masked
(``sk-p…(51 chars, #1a2b3c4d)``: a short prefix, the length and a short hash, enough to tell two
values apart). The attributes keep the values as they were, for code that inspects them.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from typing import Any, Final

from pytest_imagegen.safety.credentials import mask_text

__all__ = [
    "DUMMY_API_KEY",
    "EMULATOR_NO_ROUTE_HEADER",
    "CassetteError",
    "CassetteExpired",
    "CassetteMiss",
    "EmulatorCannotAnswer",
    "ImageMismatchError",
    "ImagegenAPIError",
    "ImagegenError",
    "IndistinguishableRequestsError",
    "NetworkBlockedError",
    "RecordingNeedsKeyError",
    "RequestValidationError",
    "SchemaAssertionError",
    "SecretLeakError",
]


class _Same(enum.Enum):
    FIELD = "same as field"


SAME_AS_FIELD: Final = _Same.FIELD


class ImagegenError(Exception):
    """Base class of the plugin's own errors (not of SchemaAssertionError, an AssertionError)."""


class RequestValidationError(ImagegenError, ValueError):
    """A request parameter breaks the Images API contract; raised before anything is sent.

    ``field`` names the offending parameter (``None`` when the API itself names none, as for
    dall-e-3's ``n``); ``code`` and ``message`` use the API's own error codes and wording, so the
    emulator can answer with exactly what the real service would.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None,
        code: str | None = "invalid_value",
        param: str | _Same | None = SAME_AS_FIELD,
        status: int = 400,
        error_type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        # The API sometimes reports no param although one field is at fault (as its error replies show).
        self.param: str | None = field if param is SAME_AS_FIELD else param
        self.status = status
        self.type = error_type

    def to_error_body(self) -> dict[str, Any]:
        """The API's error envelope for this error."""
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


class SchemaAssertionError(AssertionError):
    """A reply breaks the API contract or disagrees with its request.

    ``problems`` lists every problem as ``(json_path, message)``, not just the first.
    """

    def __init__(
        self, problems: Sequence[tuple[str, str]], *, context: str = "reply", api: str = "Images API"
    ) -> None:
        self.problems = list(problems)
        lines = [f"{context} breaks the {api} contract ({len(self.problems)} problem(s)):"]
        lines += [f"  at {path}: {message}" for path, message in self.problems]
        super().__init__(mask_text("\n".join(lines)))


class ImagegenAPIError(ImagegenError):
    """The service answered with a non-2xx status."""

    def __init__(
        self,
        status: int,
        *,
        message: str,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.request_id = request_id
        self.body = body
        details = ", ".join(
            f"{k}={v!r}" for k, v in (("type", type), ("code", code), ("param", param)) if v is not None
        )
        rid = f" [request id {request_id}]" if request_id else ""
        # The service's own words may name the key or the organization (a 401, a 429).
        super().__init__(mask_text(f"HTTP {status}: {message}" + (f" ({details})" if details else "") + rid))


class CassetteError(ImagegenError):
    """A cassette cannot be read or written. The file on disk is left as it was."""

    def __init__(self, path: str, problem: str, *, line: int | None = None, hint: str | None = None) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = f"{path}:{line}" if line is not None else path
        text = f"cassette {where}: {problem}"
        text += (
            f"\n  {hint}"
            if hint
            else "\n  The file was not changed. Fix it by hand, or delete it and re-record."
        )
        super().__init__(mask_text(text))


class CassetteMiss(ImagegenError):
    """A request has no unplayed recorded reply in the cassette, and the record mode forbids recording.

    ``str(exc)`` shows the request, the nearest recorded request, a field-by-field diff, the
    cassette path and the command that would record it. ``secrets``: literal values (the run's
    secrets) to mask in all of them, besides whatever has a credential's shape.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str,
        request: str,
        nearest: str | None = None,
        differences: Sequence[str] = (),
        secrets: Iterable[str] = (),
    ) -> None:
        literals = tuple(secrets)
        self.path = path
        self.request = mask_text(request, literals)
        self.nearest = None if nearest is None else mask_text(nearest, literals)
        self.differences = [mask_text(d, literals) for d in differences]
        super().__init__(mask_text(message, literals))


class IndistinguishableRequestsError(CassetteError):
    """Two requests of one test were sent differently, but redaction stores them alike: recording them
    into one cassette would let each replay the other's reply. Nothing is written for the test.

    ``first`` and ``second`` name the two requests (which one of the test, which interaction);
    ``differences`` are the paths where they differed (never the values: redaction removed them there);
    ``stored`` is the one form both would be stored in.
    """

    def __init__(
        self,
        path: str,
        *,
        first: str,
        second: str,
        stored: str,
        differences: Sequence[str],
        test_id: str | None = None,
    ) -> None:
        self.first, self.second, self.stored = first, second, stored
        self.differences = list(differences)
        where = f" in {test_id}" if test_id else ""
        differ = ", ".join(self.differences) or "what redaction removed"
        problem = (
            f"two requests{where} were sent differently but would be stored alike, so each could replay "
            f"the other's reply:\n  {first}\n  {second}\n  both stored as: {stored}\n"
            f"  they differ only in {differ}, which redaction removes (a secret, or a value named like one)"
        )
        hint = (
            "Nothing was written for this test. Make the requests differ in something that is not redacted, "
            "send them from separate tests (one cassette each), or, if the value is no secret, stop "
            "redacting it (rename the field, leave it out of secret_values / redact_patterns, or "
            "redact_user=False)."
        )
        super().__init__(path, problem, hint=hint)


class CassetteExpired(ImagegenError):
    """A cassette is older than ``imagegen_max_age`` and ``on_expiry`` is ``fail``: nothing was replayed."""

    def __init__(
        self,
        path: str,
        age: str,
        test_id: str | None,
        outcome: dict[str, Any] | None = None,
        *,
        key: str = "OPENAI_API_KEY",
        emulator: bool = False,
    ) -> None:
        self.path = path
        self.outcome = outcome or {}
        where = f" (used by {test_id})" if test_id else ""
        command = f"pytest '{test_id or '<test>'}' --imagegen-record=rewrite"
        # ``key``: the variable of the cassette's own service (GEMINI_API_KEY for the Gemini API...);
        # ``emulator``: it was recorded from the bundled emulator, which needs none.
        how = f"{command}, with {key} set"
        if emulator:
            how += "; it was recorded from the bundled emulator: add --imagegen-base-url=emulator to record it there"
        super().__init__(
            f"cassette {path}{where} has expired: {age}. Record it again ({how}), check it against the "
            "live service with --imagegen-drift, or raise imagegen_max_age."
        )


#: The key application code finds in the environment while a cassette is open and none is set. It is
#: accepted only by the bundled emulator; a recording that would send it elsewhere stops first.
DUMMY_API_KEY = "sk-imagegen-fake-key-none-is-set"


class RecordingNeedsKeyError(ImagegenError):
    """Recording would send the dummy key to a real service: nothing was sent."""

    def __init__(self, method: str, url: str, test_id: str | None) -> None:
        self.url = url
        where = f" in {test_id}" if test_id else ""
        super().__init__(
            f"recording {method} {url}{where} needs a real key, and OPENAI_API_KEY (or AZURE_OPENAI_API_KEY; "
            "GEMINI_API_KEY or GOOGLE_API_KEY for the Gemini API; AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "or AWS_PROFILE, for Amazon Bedrock) is not set; nothing was sent. Set it, or "
            "record from the bundled emulator with --imagegen-base-url=emulator."
        )


class NetworkBlockedError(ImagegenError):
    """A connection (or a name lookup) was refused: the network is blocked in record mode ``none``."""


#: The header the bundled emulator marks a reply with when it has no route for the request (its 404
#: ``Invalid URL``): a recording from the emulator refuses such a request (``EmulatorCannotAnswer``).
EMULATOR_NO_ROUTE_HEADER = "x-imagegen-emulator-no-route"


class EmulatorCannotAnswer(ImagegenError):
    """Recording from the bundled emulator, a request went to a host or an operation it does not serve:
    nothing was recorded."""

    def __init__(self, method: str, url: str, host: str, test_id: str | None) -> None:
        self.url = url
        self.host = host
        where = f" in {test_id}" if test_id else ""
        super().__init__(
            f"recording from the bundled emulator{where}: it cannot answer {method} {url} (host {host}); "
            "nothing was recorded. The emulator serves the Images API, the Responses API, chat completions "
            "and the Gemini API (under any path prefix), nothing else. Record this test from the real "
            "service (without --imagegen-base-url=emulator), or make this request outside the test's "
            "cassette."
        )


class SecretLeakError(ImagegenError):
    """Recording refused: a secret would have reached disk. Nothing was written.

    ``kind`` says what was refused (``cassette``, ``snapshot``).
    """

    def __init__(
        self, path: str, findings: Sequence[tuple[int | None, str, str]], *, kind: str = "cassette"
    ) -> None:
        # findings: (interaction index, field, what was found: a description, never the secret itself;
        # a field path that holds one comes masked from the leak scan, and is masked here again)
        self.path = path
        self.findings = [(index, mask_text(field), what) for index, field, what in findings]
        lines = [f"refused to write {kind} {path}: {len(self.findings)} secret(s) would reach disk:"]
        for index, field, what in self.findings:
            where = f"interaction {index}" if index is not None else kind
            lines.append(f"  {where}, {field}: {what}")
        lines.append(
            "  Nothing was written. Add a redaction rule (imagegen_config redact_headers / "
            "redact_patterns) or remove the value from the request."
        )
        super().__init__("\n".join(lines))


class ImageMismatchError(AssertionError):
    """An image does not look like its reference (``assert_image_matches``), or there is no reference.

    ``expected``, ``actual`` and ``diff`` are the PNGs written for a reviewer (None when not written),
    ``difference`` how far apart the images are (0 to 1).
    """

    def __init__(
        self,
        message: str,
        *,
        expected: Any = None,
        actual: Any = None,
        diff: Any = None,
        difference: float | None = None,
    ) -> None:
        self.expected, self.actual, self.diff, self.difference = expected, actual, diff, difference
        super().__init__(mask_text(message))

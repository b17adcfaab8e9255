"""pytest-imagegen: record and replay OpenAI-style Images API calls in pytest.

Cassettes hold no secrets and no multi-megabyte base64 (each image becomes a tiny placeholder that
still decodes to the same format, size and mode); replies are checked against the API contract.
"""

from pytest_imagegen.assertions import assert_valid_reply
from pytest_imagegen.cassette.core import ImagegenCassette
from pytest_imagegen.client import AsyncImagegenClient, ImagegenClient
from pytest_imagegen.config import ImagegenConfig
from pytest_imagegen.contract import check_reply, validate_request
from pytest_imagegen.errors import (
    CassetteError,
    CassetteMiss,
    ImagegenAPIError,
    RequestValidationError,
    SchemaAssertionError,
    SecretLeakError,
)

__all__ = [
    "AsyncImagegenClient",
    "CassetteError",
    "CassetteMiss",
    "ImagegenAPIError",
    "ImagegenCassette",
    "ImagegenClient",
    "ImagegenConfig",
    "RequestValidationError",
    "SchemaAssertionError",
    "SecretLeakError",
    "assert_valid_reply",
    "check_reply",
    "validate_request",
]

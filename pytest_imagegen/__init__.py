"""pytest-imagegen: record and replay OpenAI-style Images API calls in pytest."""

from pytest_imagegen.errors import (
    CassetteError,
    CassetteMiss,
    ImagegenAPIError,
    RequestValidationError,
    SchemaAssertionError,
    SecretLeakError,
)

__all__ = [
    "CassetteError",
    "CassetteMiss",
    "ImagegenAPIError",
    "RequestValidationError",
    "SchemaAssertionError",
    "SecretLeakError",
]

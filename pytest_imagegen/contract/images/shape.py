"""``IMAGES``: the Images API (``POST /v1/images/generations``, ``/edits``, ``/variations``) as an API shape.

Its requests are JSON or multipart (edits and variations upload files); ``validate_request`` takes its
three operations by name. The rest of the package holds what the methods below call: request models and
validation (``validate.py``, ``options.py``), reply models and checks (``replies.py``). Azure's
``/openai/deployments/NAME/images/...`` is the same shape: a body without ``model`` means the deployment's.

The default shape: a reply no shape claims, and a request dict with no other shape's parameters, are
checked as the Images API's (``contract/registry.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from pytest_imagegen.contract.capabilities import resolve_model
from pytest_imagegen.contract.shape import ApiShape, Call
from pytest_imagegen.contract.uploads import FilesInput

if TYPE_CHECKING:
    from pydantic import BaseModel

    from pytest_imagegen.contract.images.validate import ValidatedRequest

__all__ = ["IMAGES"]

# Azure names the deployment in the path; a body without ``model`` means that deployment's model.
_AZURE_DEPLOYMENT: Final = re.compile(r"/openai/deployments/([^/]+)/images/")
#: The image parameters of the multipart operations, sent as files rather than form fields.
_FILE_PARAMS: Final = ("image", "mask")


class ImagesShape(ApiShape["ValidatedRequest"]):
    name = "images"
    api = "Images API"
    path = re.compile(r"/images/(generations|edits|variations)/?$")
    operations = re.compile(r"(/images/(?:generations|edits|variations))/?$")
    endpoints = ("generations", "edits", "variations")
    takes_files = True
    credential_headers = frozenset({"authorization", "api-key", "openai-organization", "openai-project"})
    credential_query_keys = frozenset({"api-key"})
    # Picks the wire version of an Azure deployment, not what is asked.
    volatile_query_keys = frozenset({"api-version"})
    key_variables = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY")
    image_fields = (
        ("data", "*", "b64_json"),  # JSON reply
        ("b64_json",),  # stream events
        ("images", "*", "image_url"),  # JSON edit: input images as data URLs
        ("mask", "image_url"),
    )
    stream_heading = "image stream"
    emulator = "pytest_imagegen.emulator.images"

    @property
    def error_model(self) -> type[BaseModel]:
        from pytest_imagegen.contract.images.reply_models import ErrorResponse

        return ErrorResponse

    def validate(self, call: Call) -> ValidatedRequest:
        from pytest_imagegen.contract.images.validate import validate_images_request

        return validate_images_request(call.operation, call.params, call.files, strict=call.strict)

    def check_reply(self, request: ValidatedRequest | None, reply: Any, *, strict: bool = False) -> None:
        __tracebackhide__ = True
        from pytest_imagegen.contract.images.replies import check_images_reply

        check_images_reply(request, reply, strict=strict)

    def is_reply(self, reply: Any) -> bool:
        from pytest_imagegen.contract.problems import reply_head

        head, stream = reply_head(reply)
        if not isinstance(head, Mapping):
            return False
        if not stream:
            return isinstance(head.get("data"), list)
        kind = head.get("type")
        return isinstance(kind, str) and kind.startswith(("image_generation.", "image_edit."))

    def endpoint_of(self, uri: str) -> str | None:
        """``generations``, ``edits`` or ``variations`` for a call in this shape, else None."""
        match = self.path.search(urlsplit(uri).path)
        return match.group(1) if match else None

    def recorded_call(
        self, uri: str, params: Mapping[str, Any], files: FilesInput | None, *, strict: bool = False
    ) -> Call:
        path = urlsplit(uri).path
        endpoint = self.endpoint_of(uri)
        if endpoint is None:
            raise ValueError(f"{path!r} is not an Images API path")
        deployment = _AZURE_DEPLOYMENT.search(path)
        if deployment and params.get("model") is None:
            params = {**params, "model": deployment.group(1)}
        return Call(endpoint, params, files, strict, path)

    def model_of(self, uri: str, params: Mapping[str, Any]) -> str:
        endpoint = self.endpoint_of(uri)
        if endpoint is None:
            return "-"
        model = params.get("model")
        if isinstance(model, str) and model:
            return model
        return f"{resolve_model(endpoint, params)} (default)"

    def operation_for(self, params: Mapping[str, Any]) -> str:
        """``images`` (a JSON edit), or ``image`` or ``mask`` with a ``prompt``, is an edit; ``image``
        without a prompt a variation; anything else a generation."""
        if "images" in params:
            return "edits"
        if any(params.get(name) is not None for name in _FILE_PARAMS):
            return "edits" if "prompt" in params else "variations"
        return "generations"

    def file_params(self, operation: str, params: Mapping[str, Any]) -> tuple[str, ...]:
        return () if operation == "generations" or "images" in params else _FILE_PARAMS


IMAGES: Final = ImagesShape()

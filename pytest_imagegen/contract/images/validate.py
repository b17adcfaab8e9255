"""``validate_images_request``: one Images API request checked the way the service checks it.

Steps, in the order the service reports problems: wire types (pydantic request models), the model and
the endpoint, each parameter against the model's capability row (in the order the caller gave them,
so the first offending field is the one reported) and the rules between parameters (``options.py``),
and the uploaded files' real bytes. The first problem raises ``RequestValidationError`` with the API's
code and wording; the emulator answers with ``exc.to_error_body()`` and ``exc.status``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pydantic import BaseModel

from pytest_imagegen.contract import messages
from pytest_imagegen.contract.capabilities import (
    CAPABILITIES,
    ENDPOINTS,
    MB,
    MIME_TYPES,
    Endpoint,
    ModelCapability,
    capability_for,
    resolve_model,
    supports,
)
from pytest_imagegen.contract.images.official import check_nulls, check_official_options
from pytest_imagegen.contract.images.options import check_options
from pytest_imagegen.contract.images.request_models import (
    BOOL_FIELDS,
    INT_FIELDS,
    CreateImageEditRequest,
    CreateImageRequest,
    CreateImageVariationRequest,
    EditImageBodyJsonParam,
    ImageRefParam,
)
from pytest_imagegen.contract.uploads import FilesInput, UploadedFile, read_uploads
from pytest_imagegen.errors import RequestValidationError

__all__ = ["ValidatedRequest", "validate_images_request"]

_IMAGE_PARTS: Final = ("image", "image[]")
_FILE_PARTS: Final = (*_IMAGE_PARTS, "mask", "markup")
_SIZE_RE: Final = re.compile(r"(\d+)x(\d+)")
_INT_TEXT: Final = re.compile(r"\s*[+-]?\d+\s*")


@dataclass(frozen=True)
class ValidatedRequest:
    """A request that passed ``validate_request``, with every effective value resolved.

    ``params`` holds what the caller gave (explicit ``None`` dropped, multipart text coerced to
    int/bool); defaults are resolved only into the named attributes.
    """

    endpoint: Endpoint
    #: The model as sent (provider prefix kept), or the endpoint's default.
    model: str
    #: The capability row's id (for unknown models: the model id without its prefix).
    base_model: str
    capability: ModelCapability = field(repr=False)
    params: dict[str, Any]
    files: tuple[UploadedFile, ...] = ()
    #: JSON edit body: the ``images`` references (``files`` is empty then).
    image_refs: tuple[ImageRefParam, ...] = ()
    form: Literal["json", "multipart"] = "json"
    stream: bool = False
    n: int = 1
    partial_images: int = 0
    #: ``url``/``b64_json`` for models that take the parameter (default ``url``); ``None`` for GPT models.
    response_format: str | None = None
    #: Effective ``output_format`` for models that take it (default ``png``); ``None`` otherwise.
    output_format: str | None = None
    #: The requested size, or ``None`` when the request left it to the default.
    size: str | None = None
    background: str | None = None
    strict: bool = field(default=False, compare=False)

    @property
    def images(self) -> tuple[UploadedFile, ...]:
        """The input images (parts ``image`` / ``image[]``), in order."""
        return tuple(f for f in self.files if f.part in _IMAGE_PARTS)

    @property
    def mask(self) -> UploadedFile | None:
        return next((f for f in self.files if f.part == "mask"), None)

    @property
    def known_model(self) -> bool:
        return self.capability.known

    @property
    def image_format(self) -> str | None:
        """The format base64 images in the reply must have, when known."""
        return self.output_format or (
            self.capability.default_output_format if self.capability.known else None
        )

    @property
    def concrete_size(self) -> tuple[int, int] | None:
        """``(width, height)`` when the request asked a concrete size (not ``auto``, not left out)."""
        match = _SIZE_RE.fullmatch(self.size or "")
        return (int(match.group(1)), int(match.group(2))) if match else None


def validate_images_request(
    endpoint: str, params: Mapping[str, Any], files: FilesInput | None = None, *, strict: bool = False
) -> ValidatedRequest:
    """``validate_request`` for the Images API: ``endpoint`` is ``generations``, ``edits`` or
    ``variations``; ``params`` the JSON body or the multipart text fields (an explicit ``None`` means "not
    given", as the SDK sends JSON nulls); ``files`` maps a part name (``image``, ``image[]``, ``mask``) to
    one file or a list. With ``strict=True`` unknown models and unknown fields are errors too, and the
    official schema's rules where it is stricter than the lenient reading (``official.py``)."""
    if endpoint not in ENDPOINTS:
        raise RequestValidationError(
            f"Invalid URL (POST /v1/images/{endpoint})", field=None, code=None, status=404
        )
    ep: Endpoint = endpoint  # mypy narrows str to the Literal through the membership test above
    # Lenient: an explicit null means "not given", as the openai SDK sends JSON nulls for None (its
    # ``NotGiven`` aside); strict: not where the official schema allows none (``official.py``).
    given = {k: v for k, v in params.items() if v is not None}
    json_edit = ep == "edits" and files is None and "images" in given
    multipart = ep != "generations" and not json_edit
    if files and not multipart:
        raise messages.unknown_parameter(next(iter(files)))
    if strict:
        check_nulls(params, json_edit=json_edit)
    uploads = read_uploads(files) if multipart else ()
    given = _coerce_form(given, strict=strict) if multipart else _coerce_json(given)

    request_model = _request_model(ep, json_edit)
    _check_types(request_model, given, uploads if multipart else None)

    model = resolve_model(ep, given)
    cap = capability_for(model)
    _check_model(ep, model, cap, json_edit=json_edit, strict=strict)
    if strict:
        _check_unknown(request_model, given, uploads)

    # Fields the endpoint does not define pass (lenient) but mean nothing: effective values and the
    # rules between fields read only the endpoint's own fields.
    known = {k: v for k, v in given.items() if k in request_model.model_fields}
    check_options(ep, cap, known, uploads, json_edit=json_edit)
    if strict:
        check_official_options(cap, known, json_edit=json_edit)

    refs: tuple[ImageRefParam, ...] = ()
    # SPEC's JSON edit body lists no free-form sizes; lenient, the model's row decides as for multipart
    # (strict: the four sizes it lists, ``official.py``).
    if json_edit:
        refs = tuple(ImageRefParam.model_validate(r) for r in given["images"])
        _check_ref_count(cap, len(refs))
    elif multipart:
        _check_files(ep, cap, uploads)

    return ValidatedRequest(
        endpoint=ep,
        model=model,
        base_model=cap.id,
        capability=cap,
        params=given,
        files=uploads,
        image_refs=refs,
        form="multipart" if multipart else "json",
        stream=bool(known.get("stream", False)),
        n=int(known.get("n", 1)),
        partial_images=int(known.get("partial_images", 0)),
        response_format=(
            known.get("response_format", cap.default_response_format)
            if supports(cap, "response_format")
            else None
        ),
        output_format=(
            known.get("output_format", cap.default_output_format) if supports(cap, "output_format") else None
        ),
        size=known.get("size"),
        background=known.get("background"),
        strict=strict,
    )


# --- coercion and wire types ---------------------------------------------------------------------


def _coerce_form(given: dict[str, Any], *, strict: bool = False) -> dict[str, Any]:
    """Multipart text as the server reads it: integer and boolean fields parsed, ``svg[model]``
    style bracketed names folded into objects. Booleans: lenient, ``TRUE`` or `` true `` are read too;
    strict, only the ``true`` / ``false`` the openai SDK sends (``contract/images/official.py``)."""
    out: dict[str, Any] = {}
    for key, value in given.items():
        text = value if strict or not isinstance(value, str) else value.strip().lower()
        if isinstance(value, str) and key in INT_FIELDS and _INT_TEXT.fullmatch(value):
            value = int(value)
        elif isinstance(value, str) and key in BOOL_FIELDS and text in ("true", "false"):
            value = text == "true"
        if "[" in key and key.endswith("]") and not key.endswith("[]") and _fold(out, key, value):
            continue
        out[key] = value
    return out


def _fold(out: dict[str, Any], key: str, value: Any) -> bool:
    """Put ``svg[reasoning][effort]=v`` in ``out["svg"]["reasoning"]["effort"]``; False if it does not fit."""
    head, *path = key.replace("]", "").split("[")
    node: Any = out
    for name in (head, *path[:-1]):
        node = node.setdefault(name, {})
        if not isinstance(node, dict):
            return False  # clashes with a plain field of the same name: keep the key as sent
    node[path[-1]] = value
    return True


def _coerce_json(given: dict[str, Any]) -> dict[str, Any]:
    # JSON does not tell 2 from 2.0 reliably across clients; lenient reading: an integral float is an
    # integer. Any other float stays and fails the type check.
    return {
        k: int(v) if k in INT_FIELDS and isinstance(v, float) and v.is_integer() else v
        for k, v in given.items()
    }


def _request_model(endpoint: Endpoint, json_edit: bool) -> type[BaseModel]:
    if endpoint == "generations":
        return CreateImageRequest
    if endpoint == "variations":
        return CreateImageVariationRequest
    return EditImageBodyJsonParam if json_edit else CreateImageEditRequest


def _check_types(
    model: type[BaseModel], given: dict[str, Any], uploads: tuple[UploadedFile, ...] | None
) -> None:
    body = dict(given)
    if uploads is not None:
        body.pop("image", None)
        images = tuple(f for f in uploads if f.part in _IMAGE_PARTS)
        if images:
            body["image"] = images
        for part in ("mask", "markup"):
            single = next((f for f in uploads if f.part == part), None)
            if single is not None and part in model.model_fields:
                body[part] = single
    messages.check_types(model, body)


# --- model and endpoint --------------------------------------------------------------------------


def _models_for(predicate: Callable[[ModelCapability], bool]) -> list[str]:
    return [row.id for row in CAPABILITIES.values() if predicate(row)]


def _check_model(
    endpoint: Endpoint, model: str, cap: ModelCapability, *, json_edit: bool, strict: bool
) -> None:
    if strict and not cap.known:
        raise messages.invalid_value("model", model, _models_for(lambda r: endpoint in r.endpoints))
    if endpoint not in cap.endpoints:
        raise messages.invalid_value("model", model, _models_for(lambda r: endpoint in r.endpoints))
    if json_edit and cap.edit is not None and not cap.edit.json_form:
        supported = _models_for(lambda r: r.edit is not None and r.edit.json_form and "edits" in r.endpoints)
        raise messages.invalid_value("model", model, supported)


def _check_unknown(model: type[BaseModel], given: dict[str, Any], uploads: tuple[UploadedFile, ...]) -> None:
    for name in given:
        if name not in model.model_fields:
            raise messages.unknown_parameter(name)
    for f in uploads:
        base = "image" if f.part in _IMAGE_PARTS else f.part
        if base not in model.model_fields:
            raise messages.unknown_parameter(f.part)


# --- files ---------------------------------------------------------------------------------------


def _mime(fmt: str) -> str:
    return MIME_TYPES.get(fmt, f"image/{fmt}")


def _normal_mime(content_type: str) -> str:
    mime = content_type.split(";", 1)[0].strip().lower()
    return "image/jpeg" if mime == "image/jpg" else mime


def _check_file(label: str, index: int, f: UploadedFile, formats: tuple[str, ...], max_bytes: int) -> None:
    supported = sorted(_mime(fmt) for fmt in formats)
    if f.content_type is not None and _normal_mime(f.content_type) not in supported:
        raise messages.unsupported_mimetype(label, _normal_mime(f.content_type), supported)
    if f.format is None or f.size is None:
        raise RequestValidationError(
            f"Invalid image file or mode for image {index + 1}, please check your image file.",
            field=label,
            code="invalid_image_file",
        )
    if f.format not in formats:
        # The declared type may say PNG; the bytes decide (a JPEG named .png is a JPEG).
        raise messages.unsupported_mimetype(label, _mime(f.format), supported)
    if len(f.data) > max_bytes:
        raise RequestValidationError(
            f"Invalid file '{label}': file too large. Expected a file of at most {max_bytes // MB} MB, "
            f"but got {len(f.data)} bytes instead.",
            field=label,
            code="invalid_image_file",
        )


def _same_size(label: str, f: UploadedFile, first: UploadedFile) -> None:
    if f.size is not None and first.size is not None and f.size != first.size:
        raise RequestValidationError(
            f"Invalid file '{label}': must have the same dimensions as the image "
            f"({first.width}x{first.height}), but got {f.width}x{f.height}.",
            field=label,
            code="invalid_image_file",
        )


def _check_ref_count(cap: ModelCapability, count: int) -> None:
    max_images = cap.edit.max_images if cap.edit is not None else None
    if count < 1:
        raise messages.array_too_short("images", 1, count)
    if max_images is not None and count > max_images:
        raise messages.array_too_long("images", max_images, count)


def _check_files(endpoint: Endpoint, cap: ModelCapability, uploads: tuple[UploadedFile, ...]) -> None:
    rule = cap.edit
    images = [f for f in uploads if f.part in _IMAGE_PARTS]
    if not images:
        raise messages.missing("image")
    if rule is None:
        return
    if len(images) > rule.max_images:
        raise messages.array_too_long("image", rule.max_images, len(images))
    single = len(images) == 1 and images[0].part == "image"
    for i, f in enumerate(images):
        label = "image" if single else f"image[{i}]"
        _check_file(label, i, f, rule.formats, rule.max_bytes)
        if rule.square and f.width != f.height:
            raise RequestValidationError(
                f"Invalid file '{label}': uploaded image must be square, but got {f.width}x{f.height}.",
                field=label,
                code="invalid_image_file",
            )
    for part in ("mask", "markup"):
        extra = next((f for f in uploads if f.part == part), None)
        if extra is None or (endpoint == "variations"):
            continue
        if part == "markup" and not supports(cap, "markup"):
            raise messages.unknown_parameter("markup")
        _check_file(part, 0, extra, rule.mask_formats, rule.mask_max_bytes)
        if rule.mask_same_size:
            _same_size(part, extra, images[0])

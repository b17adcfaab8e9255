"""The per-model capability table of the Images API: one frozen row per model id.

Every per-model rule the validators apply is read from a ``ModelCapability`` row here; no validator
branches on a model name. A new model is one new row (usually ``replace(existing_row, id=...)``).
Sources are the official OpenAPI schema (``SPEC`` in comments; its extract is
``tests/conformance/openai_schema.json``), the openai Python SDK's newer types (``PY-NEW``) and the OpenAI
docs (``DOCS-NEW``); where they leave a rule *unspecified* or disagree (*DISPUTED*), the row takes the
lenient reading and a comment says so.

Also here: which model an endpoint defaults to (``resolve_model``), how gateway ids such as
``openai/dall-e-3`` map to a row, and the permissive row used for models the table does not know.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Final, Literal

from pytest_imagegen.contract.aspect_ratios import GEMINI_3_ASPECTS, GEMINI_25_ASPECTS, IMAGEN_ASPECTS

__all__ = [
    "CAPABILITIES",
    "DEFAULT_MODELS",
    "DEFAULT_TOOL_MODEL",
    "ENDPOINTS",
    "GENERIC",
    "GPT_FALLBACK_MODEL",
    "MIME_TYPES",
    "OUTPUT_FORMAT_RULES",
    "POLLED_MODELS",
    "RESPONSES_MODELS",
    "EditInputRule",
    "Endpoint",
    "FreeFormSizeRule",
    "ModelCapability",
    "OutputFormatRule",
    "PolledModel",
    "base_model_id",
    "capability_for",
    "polled_model",
    "resolve_model",
    "responses_model_known",
    "supports",
]

Endpoint = Literal["generations", "edits", "variations"]
ENDPOINTS: Final[tuple[Endpoint, ...]] = ("generations", "edits", "variations")

#: Pillow format name -> the MIME type the API names in its messages.
MIME_TYPES: Final[Mapping[str, str]] = MappingProxyType(
    {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif"}
)

MB: Final = 1024 * 1024


@dataclass(frozen=True)
class FreeFormSizeRule:
    """Arbitrary ``WIDTHxHEIGHT`` sizes (gpt-image-2 and later)."""

    multiple_of: int = 16
    #: Aspect ratio (long edge / short edge) at most this: "between 1:3 and 3:1".
    max_aspect_ratio: float = 3.0
    # "Hard maximum 3840x2160"; whether 2160x3840 is allowed is unspecified. Lenient reading: a limit
    # on the pixel count and on the longest edge, so portrait 2160x3840 passes too.
    max_edge: int = 3840
    max_pixels: int = 3840 * 2160
    # Minimum size is unspecified: the smallest size the multiple-of rule allows (so tests may ask 64x64).
    min_edge: int = 16


@dataclass(frozen=True)
class EditInputRule:
    """What ``/images/edits`` (and ``/images/variations``) accept as input images for a model."""

    max_images: int
    formats: tuple[str, ...]
    #: Largest accepted file, inclusive (the docs say "< 4 MB" / "< 50 MB"; the boundary byte is allowed).
    max_bytes: int
    square: bool = False
    mask_formats: tuple[str, ...] = ("png",)
    mask_max_bytes: int = 4 * MB
    mask_same_size: bool = True
    #: The JSON edit body (``images`` as references) is for GPT image models only.
    json_form: bool = True


@dataclass(frozen=True)
class OutputFormatRule:
    """Rules an ``output_format`` value brings with it, whatever the model."""

    forbids: tuple[str, ...] = ()
    n_max: int | None = None
    #: Parameters only meaningful with this format (e.g. ``frame_count`` with gif).
    owns: tuple[str, ...] = ()


#: gif: "does not support streaming, partial images, masks, or custom output compression";
#: svg: "requires n=1 and does not support streaming, partial images ... or output_compression".
OUTPUT_FORMAT_RULES: Final[Mapping[str, OutputFormatRule]] = MappingProxyType(
    {
        "gif": OutputFormatRule(
            forbids=("stream", "partial_images", "mask", "output_compression"),
            owns=("frame_count", "frame_duration_ms"),
        ),
        "svg": OutputFormatRule(
            forbids=("stream", "partial_images", "output_compression"), n_max=1, owns=("svg",)
        ),
    }
)


@dataclass(frozen=True)
class ModelCapability:
    """One model's rules. ``None`` in a value column means "any value" (used by the permissive row);
    an empty tuple means the parameter is not supported by the model at all."""

    id: str
    known: bool = True
    endpoints: tuple[Endpoint, ...] = ("generations", "edits")
    prompt_max_length: int = 32000
    n_min: int = 1
    n_max: int = 10
    #: Listed sizes, in the order the API lists them.
    sizes: tuple[str, ...] | None = ("1024x1024", "1536x1024", "1024x1536", "auto")
    free_form_sizes: FreeFormSizeRule | None = None
    #: dall-e-3 answers a wrong size with code ``invalid_size`` and no param.
    size_error_code: str = "invalid_value"
    qualities: tuple[str, ...] | None = ("low", "medium", "high", "auto")
    styles: tuple[str, ...] | None = ()
    #: Empty: the model always answers base64 and rejects the parameter (GPT image models).
    response_formats: tuple[str, ...] | None = ()
    default_response_format: str | None = None
    backgrounds: tuple[str, ...] | None = ("transparent", "opaque", "auto")
    #: Output formats that can carry transparency (``background=transparent`` needs one). The official
    #: schema says png or webp; gif (the openai SDK's ``output_format``) can carry transparency and the
    #: SDK's docs do not forbid it: lenient, allowed (strict: png or webp, ``images/official.py``).
    transparent_formats: tuple[str, ...] = ("png", "webp", "gif")
    # The official schema lists png, jpeg, webp; the openai SDK (``openai/types/image_generate_params.py``,
    # ``image_edit_params.py``) adds gif and svg without naming a model restriction: lenient, every GPT
    # image row takes them (strict: the official three, ``images/official.py``).
    output_formats: tuple[str, ...] | None = ("png", "jpeg", "webp", "gif", "svg")
    default_output_format: str | None = "png"
    #: ``output_compression`` with png: the official schema's description says jpeg or webp only; what the
    #: service does with it is not stated: lenient, accepted (strict: refused, ``images/official.py``).
    output_compression: bool = True
    moderations: tuple[str, ...] | None = ("low", "auto")
    stream: bool = True
    partial_images_max: int = 3
    edit: EditInputRule | None = field(
        default_factory=lambda: EditInputRule(
            max_images=16, formats=("png", "jpeg", "webp"), max_bytes=50 * MB
        )
    )
    input_fidelities: tuple[str, ...] | None = ("high", "low")
    #: ``input_fidelity`` values under ``strict=True`` where the official schema differs from the lenient
    #: column above (``contract/images/official.py``); ``None``: the same.
    input_fidelities_official: tuple[str, ...] | None = None
    #: ``markup`` (a PNG overlay steering an edit) is GPT Image 2.5 only.
    markup: bool = False
    #: Whether the Responses API's ``image_generation`` tool takes the model (its ``model`` option; the
    #: SDK's ``ImageGeneration.model`` lists the GPT image models, no dall-e).
    image_tool: bool = True
    #: The tool's ``action`` values. DISPUTED: one version of the tool guide offers ``action`` for
    #: gpt-image-1.5 and chatgpt-image-latest only, a later one for "supported GPT Image models", and the
    #: SDK types it for every model: lenient, every GPT image row takes all three.
    tool_actions: tuple[str, ...] | None = ("generate", "edit", "auto")
    # --- the multimodal shapes (issue 14): chat completions with image output, the Gemini API -------
    #: Whether chat completions draw with the model when ``modalities`` holds ``"image"`` (a gateway's
    #: ``/chat/completions``: the reply's ``message.images``).
    chat_images: bool = False
    #: The Gemini API methods the model answers (``POST .../models/{model}:{method}``): ``generateContent``
    #: and ``streamGenerateContent`` for Gemini image models, ``predict`` for Imagen.
    gemini_methods: tuple[str, ...] | None = ()
    #: ``aspectRatio`` values (Gemini ``imageConfig``, Imagen ``parameters``, a gateway's ``image_config``)
    #: with the pixel size each gives at ``1K``; ``None``: any ``W:H`` ratio (unknown models).
    aspect_sizes: tuple[tuple[str, int, int], ...] | None = ()
    #: ``imageSize`` values (``1K``, ``2K``, ``4K``: the 1K size times 1, 2, 4); ``None``: any of them.
    image_sizes: tuple[str, ...] | None = ()

    @property
    def variations(self) -> bool:
        """Whether the model may be used on ``/images/variations``."""
        return "variations" in self.endpoints


_GPT: Final = ModelCapability(id="gpt-image-1.5")

_DALL_E_2: Final = ModelCapability(
    id="dall-e-2",
    endpoints=("generations", "edits", "variations"),
    prompt_max_length=1000,
    # "auto" is the documented default for every model (SPEC lists it only for GPT; what it means for
    # dall-e is unspecified): lenient, it is accepted here too.
    sizes=("256x256", "512x512", "1024x1024", "auto"),
    qualities=("standard", "auto"),
    styles=(),
    response_formats=("url", "b64_json"),
    default_response_format="url",
    backgrounds=(),
    output_formats=(),
    # dall-e answers PNG; the output_format parameter itself is not accepted (output_formats is empty).
    default_output_format="png",
    output_compression=False,
    moderations=(),
    stream=False,
    partial_images_max=0,
    edit=EditInputRule(max_images=1, formats=("png",), max_bytes=4 * MB, square=True, json_form=False),
    input_fidelities=(),
    image_tool=False,
    tool_actions=(),
)

_DALL_E_3: Final = replace(
    _DALL_E_2,
    id="dall-e-3",
    endpoints=("generations",),
    prompt_max_length=4000,
    n_max=1,
    sizes=("1024x1024", "1792x1024", "1024x1792", "auto"),
    size_error_code="invalid_size",
    qualities=("standard", "hd", "auto"),
    styles=("vivid", "natural"),
    edit=None,
)

_GPT_2: Final = replace(_GPT, id="gpt-image-2", free_form_sizes=FreeFormSizeRule())

# PY-NEW: gpt-image-2.5-* add qualities xhigh/max, free-form sizes and markup. The 2.6 ids are only
# listed (no per-model rules given): lenient, they get the 2.5 rules.
_GPT_2_5: Final = replace(
    _GPT_2,
    id="gpt-image-2.5-sunburst",
    qualities=("low", "medium", "high", "xhigh", "max", "auto"),
    markup=True,
)


# --- multimodal models: chat completions with image output, the Gemini API (issue 14) ---------------
# Their rows have no Images API endpoint: a gateway's Images API page says "for multimodal models like
# gemini-2.5-flash-image, use /v1/chat/completions instead", and Gemini's native methods are its own.
# The sizes they draw per aspect ratio are tables of their own (``aspect_ratios.py``).

_MULTIMODAL: Final = ModelCapability(
    id="gemini-2.5-flash-image",
    endpoints=(),
    image_tool=False,
    tool_actions=(),
    chat_images=True,
    gemini_methods=("generateContent", "streamGenerateContent"),
    aspect_sizes=GEMINI_25_ASPECTS,
    # imageSize is documented for the Gemini 3 image models; whether 2.5 rejects it is unspecified:
    # lenient, any value passes (and the image stays 1K).
    image_sizes=None,
)
_IMAGEN: Final = replace(
    _MULTIMODAL,
    id="imagen-4.0-generate-001",
    chat_images=False,
    gemini_methods=("predict",),
    # sampleCount: "from 1 to 4".
    n_max=4,
    aspect_sizes=IMAGEN_ASPECTS,
    image_sizes=("1K", "2K"),
)


def _rows(*rows: ModelCapability) -> Mapping[str, ModelCapability]:
    return MappingProxyType({row.id: row for row in rows})


#: Every model the table knows, by id.
CAPABILITIES: Final[Mapping[str, ModelCapability]] = _rows(
    _DALL_E_2,
    _DALL_E_3,
    replace(_GPT, id="gpt-image-1"),
    # input_fidelity on gpt-image-1-mini is DISPUTED: the official schema's InputFidelity says "unsupported for
    # gpt-image-1-mini"; the openai SDK's ImageEditParams.input_fidelity docs let it take "low". Lenient:
    # "low"; strict (and the emulator): unsupported.
    replace(_GPT, id="gpt-image-1-mini", input_fidelities=("low",), input_fidelities_official=()),
    _GPT,
    # input_fidelity on gpt-image-2 is DISPUTED (SPEC: supported; PY-NEW: "omit it"). Lenient: accepted.
    _GPT_2,
    replace(_GPT_2, id="gpt-image-2-2026-04-21"),
    # Missing from SPEC's generations enum but in PY-NEW generate(): lenient, both endpoints.
    # Its input_fidelity support is unspecified: lenient, high/low.
    replace(_GPT, id="chatgpt-image-latest"),
    _GPT_2_5,
    replace(_GPT_2_5, id="gpt-image-2.5-sunburst-2026-09-08"),
    replace(_GPT_2_5, id="gpt-image-2.5-flare"),
    replace(_GPT_2_5, id="gpt-image-2.5-flare-2026-09-08"),
    replace(_GPT_2_5, id="gpt-image-2.6-sunburst"),
    replace(_GPT_2_5, id="gpt-image-2.6-flare"),
    _MULTIMODAL,
    replace(_MULTIMODAL, id="gemini-2.5-flash-image-preview"),
    replace(
        _MULTIMODAL,
        id="gemini-3-pro-image-preview",
        aspect_sizes=GEMINI_3_ASPECTS,
        image_sizes=("1K", "2K", "4K"),
    ),
    # A gateway's GPT-5 image models answer chat completions only; their aspect ratios are unspecified:
    # lenient, any ratio.
    replace(_MULTIMODAL, id="gpt-5-image", gemini_methods=(), aspect_sizes=None),
    replace(_MULTIMODAL, id="gpt-5-image-mini", gemini_methods=(), aspect_sizes=None),
    _IMAGEN,
    replace(_IMAGEN, id="imagen-4.0-ultra-generate-001"),
    # imageSize is documented for Standard and Ultra; for Fast and Imagen 3 it is unspecified: lenient.
    replace(_IMAGEN, id="imagen-4.0-fast-generate-001", image_sizes=None),
    replace(_IMAGEN, id="imagen-3.0-generate-002", image_sizes=None),
)

#: Rules for a model the table does not know: everything the API might accept passes (the API moves
#: faster than any table). ``strict=True`` validation rejects unknown models instead.
GENERIC: Final = ModelCapability(
    id="*",
    known=False,
    endpoints=ENDPOINTS,
    sizes=None,
    qualities=None,
    styles=None,
    response_formats=None,
    backgrounds=None,
    output_formats=None,
    default_output_format=None,
    moderations=None,
    edit=EditInputRule(max_images=16, formats=("png", "jpeg", "webp", "gif"), max_bytes=50 * MB),
    input_fidelities=None,
    markup=True,
    tool_actions=None,
    chat_images=True,
    gemini_methods=None,
    aspect_sizes=None,
    image_sizes=None,
)


@dataclass(frozen=True)
class PolledModel:
    """A model of a polling service (Black Forest Labs, Stability), keyed ``service/model``: the sizes
    (``None``: it takes an aspect ratio, not a width and height) and formats its requests may ask."""

    id: str
    min_edge: int | None = None
    max_edge: int | None = None
    multiple_of: int = 1
    output_formats: tuple[str, ...] = ("jpeg", "png")


#: The providers' documentation: FLUX 1.x takes 256-1440 pixels in steps of 32; FLUX.2 takes from 64 in
#: steps of 16 up to about 4 megapixels (lenient reading: an edge up to 4096) and WebP too; Kontext and
#: Ultra take an aspect ratio; Stability's Ultra and Core write PNG, JPEG or WebP, SD3 PNG or JPEG.
POLLED_MODELS: Final[Mapping[str, PolledModel]] = MappingProxyType(
    {
        row.id: row
        for row in (
            PolledModel("bfl/flux-pro-1.1", 256, 1440, 32),
            PolledModel("bfl/flux-pro", 256, 1440, 32),
            PolledModel("bfl/flux-dev", 256, 1440, 32),
            PolledModel("bfl/flux-2-pro", 64, 4096, 16, ("jpeg", "png", "webp")),
            PolledModel("bfl/flux-2-flex", 64, 4096, 16, ("jpeg", "png", "webp")),
            PolledModel("bfl/flux-kontext-pro"),
            PolledModel("bfl/flux-kontext-max"),
            PolledModel("bfl/flux-pro-1.1-ultra"),
            PolledModel("stability/ultra", output_formats=("png", "jpeg", "webp")),
            PolledModel("stability/core", output_formats=("png", "jpeg", "webp")),
            PolledModel("stability/sd3", output_formats=("png", "jpeg")),
        )
    }
)


def polled_model(service: str, model: str) -> PolledModel | None:
    """The row of ``model`` of ``service`` (``bfl``, ``stability``), or None: an unknown model passes."""
    return POLLED_MODELS.get(f"{service}/{model}")


#: The model each endpoint uses when the request names none (the API reference's defaults).
DEFAULT_MODELS: Final[Mapping[str, str]] = MappingProxyType(
    {"generations": "dall-e-2", "edits": "gpt-image-1.5", "variations": "dall-e-2"}
)

#: Generations default to a GPT image model when a GPT-only parameter is present; which one is
#: unspecified. gpt-image-1.5: it is the edits default and the model of the reference's own examples
#: (gpt-image-1 is shut down), so a request without ``model`` gets the same model on both endpoints.
GPT_FALLBACK_MODEL: Final = "gpt-image-1.5"


# --- the Responses API ----------------------------------------------------------------------------

#: The image model the ``image_generation`` tool uses when it names none (the SDK's ``ImageGeneration.model``
#: docstring; a forum copy of an older reference says gpt-image-1, which is shut down: the SDK wins).
DEFAULT_TOOL_MODEL: Final = "gpt-image-2.6-sunburst"

#: Mainline models that can call the ``image_generation`` tool (the tool guide's "supported models"
#: list). Dated snapshots (``gpt-5-2025-08-07``) follow their base id. A model not listed passes (the
#: list grows with every release); ``strict=True`` rejects it.
RESPONSES_MODELS: Final = frozenset(
    {
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4.1",
        "gpt-4.1-mini",
        "gpt-4.1-nano",
        "o3",
        "gpt-5",
        "gpt-5-nano",
        "gpt-5.2",
        "gpt-5.4",
        "gpt-5.4-mini",
        "gpt-5.4-nano",
        "gpt-5.5",
    }
)

_SNAPSHOT_SUFFIX: Final = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def responses_model_known(model: str) -> bool:
    """Whether ``model`` (provider prefix and snapshot date dropped) is a listed mainline model."""
    return _SNAPSHOT_SUFFIX.sub("", base_model_id(model)) in RESPONSES_MODELS


def base_model_id(model: str) -> str:
    """The table id a model id names: gateway prefixes (``openai/dall-e-3``, any ``prefix/``) dropped."""
    return model.rsplit("/", 1)[-1]


def capability_for(model: str) -> ModelCapability:
    """The row for ``model``; a provider-prefixed id follows its base model; unknown ids get ``GENERIC``
    (with ``id`` set to the model's own id, so callers can name it)."""
    base = base_model_id(model)
    row = CAPABILITIES.get(base)
    return row if row is not None else replace(GENERIC, id=base)


def supports(row: ModelCapability, param: str) -> bool:
    """Whether ``row`` accepts ``param`` at all (any value); parameters without a column always pass."""
    columns: dict[str, Any] = {
        "background": row.backgrounds,
        "moderation": row.moderations,
        "output_format": row.output_formats,
        "input_fidelity": row.input_fidelities,
        "style": row.styles,
        "response_format": row.response_formats,
    }
    if param in columns:
        value = columns[param]
        return value is None or len(value) > 0
    if param in ("stream", "partial_images"):
        return row.stream
    if param == "output_compression":
        return row.output_compression
    if param == "markup":
        return row.markup
    if param in ("complexity", "frame_count", "frame_duration_ms", "svg"):
        return bool(row.output_formats is None or len(row.output_formats) > 0)
    return True


def gpt_only_params(params: Mapping[str, Any]) -> list[str]:
    """The parameters in ``params`` (``None`` meaning absent) the generations default model rejects but
    the GPT fallback model accepts: derived from the two rows, so a new GPT-only column needs no list."""
    default = CAPABILITIES[DEFAULT_MODELS["generations"]]
    fallback = CAPABILITIES[GPT_FALLBACK_MODEL]
    return [
        name
        for name, value in params.items()
        if value is not None
        and not supports(default, name)
        and supports(fallback, name)
        # stream=false asks nothing GPT-specific.
        and not (name == "stream" and value in (False, "false", "False"))
    ]


def resolve_model(endpoint: str, params: Mapping[str, Any]) -> str:
    """The model id a request uses: its ``model`` when given (as sent, prefix kept), else the endpoint's
    default, with generations switching to ``GPT_FALLBACK_MODEL`` when a GPT-only parameter is present."""
    model = params.get("model")
    if isinstance(model, str) and model:
        return model
    if endpoint == "generations" and gpt_only_params(params):
        return GPT_FALLBACK_MODEL
    return DEFAULT_MODELS.get(endpoint, DEFAULT_MODELS["generations"])

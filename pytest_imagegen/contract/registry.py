"""The registry of API shapes: the one place that knows which shapes there are.

``register(shape)`` adds an ``ApiShape`` (``contract/shape.py``), ``unregister`` takes it away again, and
``registered(shape)`` does both around a block (a test's own shape, so it does not leak into other tests).
Every part of the plugin that treats shapes apart asks here which shape it has, then asks the shape:

- ``shape_for(uri)``: the shape of a request (the verdict, metadata, ``show``);
- ``operation_path(path)``: the operation a URL path names under any base URL (request matching);
- ``shape_for_endpoint(name)``: ``validate_request`` and ``assert_valid_reply(endpoint=)``;
- ``shape_of_request(request)``, ``shape_for_reply(reply)``: ``check_reply``, snapshots;
- ``shape_for_params(params, reply)``: ``assert_valid_reply`` given SDK keyword arguments;
- ``credential_headers()``, ``credential_query_keys()``, ``volatile_query_keys()``, ``key_variables()``,
  ``key_alternatives()``: redaction, matching and the dummy keys, over every shape.

The built-in shapes are registered when this module is imported, in ``BUILTIN``'s order (the order
requests and replies are tried in). Adding one is a package under ``contract/`` and one line there.

This is the contract layer's one mutable global: it changes only through ``register`` and ``unregister``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from pytest_imagegen.contract.bedrock.shape import BEDROCK
from pytest_imagegen.contract.bfl.shape import BFL
from pytest_imagegen.contract.chat.shape import CHAT
from pytest_imagegen.contract.fal.shape import FAL
from pytest_imagegen.contract.gemini.shape import GEMINI
from pytest_imagegen.contract.images.shape import IMAGES
from pytest_imagegen.contract.replicate.shape import REPLICATE
from pytest_imagegen.contract.responses.shape import RESPONSES
from pytest_imagegen.contract.shape import ApiShape
from pytest_imagegen.contract.stability.shape import STABILITY

__all__ = [
    "BUILTIN",
    "credential_headers",
    "credential_query_keys",
    "default_shape",
    "endpoints",
    "key_alternatives",
    "key_variables",
    "operation_path",
    "register",
    "registered",
    "shape_for",
    "shape_for_endpoint",
    "shape_for_params",
    "shape_for_reply",
    "shape_named",
    "shape_of_request",
    "shapes",
    "volatile_fields",
    "volatile_query_keys",
]

Shape = ApiShape[Any]

#: The shapes the plugin ships, one line each.
BUILTIN: Final[tuple[Shape, ...]] = (
    IMAGES,
    RESPONSES,
    CHAT,
    GEMINI,
    BEDROCK,
    BFL,
    FAL,
    REPLICATE,
    STABILITY,
)
#: The shape of a reply no shape claims, and of SDK keyword arguments no shape claims: the Images API.
DEFAULT: Final = IMAGES.name

_REQUIRED: Final = ("name", "api", "path", "operations")

_shapes: dict[str, Shape] = {}
_endpoints: dict[str, Shape] = {}


def register(shape: Shape) -> Shape:
    """Add ``shape`` after the shapes already there; returns it. A name or endpoint already taken is a
    ``ValueError``, a missing required attribute a ``TypeError``."""
    missing = [name for name in _REQUIRED if not hasattr(shape, name)]
    if missing:
        raise TypeError(f"{type(shape).__name__} is not a complete API shape: it has no {', '.join(missing)}")
    if shape.name in _shapes:
        raise ValueError(f"an API shape named {shape.name!r} is already registered")
    taken = [name for name in shape.endpoints if name in _endpoints]
    if taken:
        owner = _endpoints[taken[0]].name
        raise ValueError(f"the endpoint {taken[0]!r} of API shape {shape.name!r} is {owner!r}'s already")
    _shapes[shape.name] = shape
    _endpoints.update(dict.fromkeys(shape.endpoints, shape))
    return shape


def unregister(shape: Shape | str) -> None:
    """Take a shape (or the shape of that name) out of the registry; a shape not there is a ``KeyError``."""
    name = shape if isinstance(shape, str) else shape.name
    removed = _shapes.pop(name)
    for endpoint in removed.endpoints:
        _endpoints.pop(endpoint, None)


@contextlib.contextmanager
def registered(shape: Shape) -> Iterator[Shape]:
    """``shape`` registered for the duration of the block, unregistered after it whatever happens."""
    register(shape)
    try:
        yield shape
    finally:
        unregister(shape)


def shapes() -> tuple[Shape, ...]:
    """Every registered shape, in registration order."""
    return tuple(_shapes.values())


def shape_named(name: str) -> Shape | None:
    return _shapes.get(name)


def default_shape() -> Shape:
    return _shapes[DEFAULT]


def endpoints() -> tuple[str, ...]:
    """Every name ``validate_request`` takes, in registration order."""
    return tuple(_endpoints)


# --- which shape ------------------------------------------------------------------------------------------


def shape_for(uri: str) -> Shape | None:
    """The shape a request to ``uri`` is in (by its URL path), or None: a download of an image URL,
    another API, an operation of a shape the contract does not check."""
    path = urlsplit(uri).path
    return next((shape for shape in _shapes.values() if shape.path.search(path) is not None), None)


def volatile_fields(uri: str) -> tuple[tuple[str, ...], ...]:
    """Where the replies to a request to ``uri`` hold values made up afresh (``ApiShape.volatile_fields``)."""
    shape = shape_for(uri)
    return shape.volatile_fields if shape is not None else ()


def operation_path(path: str) -> str | None:
    """The operation a URL path names under any base URL (``/openai/v1/images/edits``: ``/images/edits``),
    or None when it is no shape's operation. The leftmost match wins, then the earlier shape."""
    best: tuple[int, int, str] | None = None
    for order, shape in enumerate(_shapes.values()):
        match = shape.operations.search(path)
        if match is not None and (best is None or (match.start(), order) < best[:2]):
            best = (match.start(), order, match.group(1))
    return best[2] if best is not None else None


def shape_for_endpoint(endpoint: str) -> Shape | None:
    """The shape whose operation ``endpoint`` names (``generations``, ``responses``, ``gemini``)."""
    return _endpoints.get(endpoint)


def shape_of_request(request: Any) -> Shape:
    """The shape whose ``validate`` made ``request``, by the operation it names (``endpoint``); the default
    shape for anything else."""
    endpoint = getattr(request, "endpoint", None)
    return (_endpoints.get(endpoint) if isinstance(endpoint, str) else None) or default_shape()


def shape_for_reply(reply: Any) -> Shape:
    """The first shape that claims ``reply`` as its own (``ApiShape.is_reply``), else the default shape."""
    return next((shape for shape in _shapes.values() if shape.is_reply(reply)), default_shape())


def shape_for_params(params: Mapping[str, Any], reply: Any = None) -> Shape:
    """The shape of a request given as SDK keyword arguments: the one whose parameters it has; when more
    than one claims it (``tools`` is a Responses API parameter, and a chat or Gemini one too), or none
    does, the one that claims ``reply``; else the first that claimed it, or the default shape."""
    claiming = [shape for shape in _shapes.values() if shape.claims_params(params)]
    if len(claiming) != 1 and reply is not None:
        found = next((shape for shape in claiming or _shapes.values() if shape.is_reply(reply)), None)
        if found is not None:
            return found
    return claiming[0] if claiming else default_shape()


# --- over every shape --------------------------------------------------------------------------------------


def credential_headers() -> frozenset[str]:
    """Every shape's credential headers (lower case)."""
    return frozenset(name.lower() for shape in _shapes.values() for name in shape.credential_headers)


def credential_query_keys() -> frozenset[str]:
    """Every shape's credential query keys (lower case)."""
    return frozenset(key.lower() for shape in _shapes.values() for key in shape.credential_query_keys)


def volatile_query_keys() -> frozenset[str]:
    """Query keys every shape says matching leaves out: its credential and its volatile keys."""
    return credential_query_keys() | frozenset(
        key.lower() for shape in _shapes.values() for key in shape.volatile_query_keys
    )


def key_variables() -> tuple[str, ...]:
    """The environment variables any shape's clients read a key from, each once, in shape order."""
    return tuple(dict.fromkeys(name for shape in _shapes.values() for name in shape.key_variables))


def key_alternatives() -> tuple[frozenset[str], ...]:
    """Groups of key variables that stand in for each other (see ``ApiShape.key_alternatives``)."""
    return tuple(dict.fromkeys(group for shape in _shapes.values() for group in shape.key_alternatives))


for _shape in BUILTIN:
    register(_shape)

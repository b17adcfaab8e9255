"""Request side of the client: settings, URL and header shape, validated request bodies.

Pure functions and frozen data shared by the sync and async clients, so both send byte-for-byte the
same requests; the clients only do the I/O. Everything is validated against the contract here,
before a request object exists, so an invalid call never reaches the network.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict, Unpack
from urllib.parse import quote

import httpx

from pytest_imagegen.client.uploads import UploadFile, form_fields, to_upload_files
from pytest_imagegen.contract import FileInput, ValidatedRequest, validate_request
from pytest_imagegen.errors import ImagegenError, RequestValidationError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "ClientOptions",
    "ClientSettings",
    "Endpoint",
    "PreparedCall",
    "prepare_call",
]

Endpoint = Literal["generations", "edits", "variations"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Image generation is slow (tens of seconds for a large GPT image); the SDK waits up to 600 s too.
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=10.0)
_USER_AGENT = "pytest-imagegen-client"
# Endpoints Azure serves under /openai/deployments/{name}/ (openai-python lib/azure.py).
_AZURE_DEPLOYMENT_ENDPOINTS: frozenset[Endpoint] = frozenset({"generations", "edits"})


class ClientOptions(TypedDict, total=False):
    """The client's service options; each one left out (or ``None``) comes from the environment.

    ``api_key``: ``OPENAI_API_KEY`` (on Azure first ``AZURE_OPENAI_API_KEY``). ``base_url``:
    ``OPENAI_BASE_URL``, else ``https://api.openai.com/v1``. ``organization`` / ``project``:
    ``OPENAI_ORG_ID`` / ``OPENAI_PROJECT_ID``, sent as ``OpenAI-Organization`` / ``OpenAI-Project``.
    ``default_headers``: sent with every request, over the client's own. ``strict``: the contract's
    strict mode (unknown models and fields fail). ``azure_endpoint``: switches to Azure OpenAI, with
    ``azure_deployment`` (else the call's ``model`` names the deployment) and ``api_version``
    (``OPENAI_API_VERSION``).
    """

    api_key: str | None
    base_url: str | None
    organization: str | None
    project: str | None
    default_headers: Mapping[str, str] | None
    strict: bool
    azure_endpoint: str | None
    azure_deployment: str | None
    api_version: str | None


@dataclass(frozen=True)
class AzureTarget:
    """Where and how to reach an Azure OpenAI resource."""

    endpoint: str
    api_version: str
    deployment: str | None = None


@dataclass(frozen=True)
class ClientSettings:
    """Everything a client needs to shape a request; resolved once, from arguments then environment."""

    base_url: str
    api_key: str = field(repr=False)
    organization: str | None = None
    project: str | None = None
    default_headers: Mapping[str, str] = field(default_factory=dict)
    strict: bool = False
    azure: AzureTarget | None = None

    @classmethod
    def resolve(
        cls, *, environ: Mapping[str, str] = os.environ, **options: Unpack[ClientOptions]
    ) -> ClientSettings:
        """Fill what the caller left out from the environment, as the openai SDK does."""
        api_key, base_url = options.get("api_key"), options.get("base_url")
        organization, project = options.get("organization"), options.get("project")
        azure_endpoint, azure_deployment = options.get("azure_endpoint"), options.get("azure_deployment")
        api_version = options.get("api_version")
        azure: AzureTarget | None = None
        if azure_endpoint is not None:
            version = api_version or environ.get("OPENAI_API_VERSION")
            if not version:
                raise ImagegenError(
                    "Azure OpenAI needs an API version: pass api_version= (e.g. '2025-04-01-preview') "
                    "or set OPENAI_API_VERSION."
                )
            azure = AzureTarget(azure_endpoint.rstrip("/"), version, azure_deployment)
            api_key = api_key or environ.get("AZURE_OPENAI_API_KEY")
        elif azure_deployment is not None or api_version is not None:
            raise ImagegenError("azure_deployment= and api_version= only apply with azure_endpoint=.")
        api_key = api_key or environ.get("OPENAI_API_KEY")
        if not api_key:
            raise ImagegenError(
                "No API key: pass api_key= or set OPENAI_API_KEY"
                + (" (or AZURE_OPENAI_API_KEY)" if azure else "")
                + ". The bundled emulator takes any key starting with 'sk-'; replaying a cassette "
                "through the imagegen_client fixture needs no real key."
            )
        return cls(
            base_url=(base_url or environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
            api_key=api_key,
            organization=organization if organization is not None else environ.get("OPENAI_ORG_ID"),
            project=project if project is not None else environ.get("OPENAI_PROJECT_ID"),
            default_headers=dict(options.get("default_headers") or {}),
            strict=options.get("strict", False),
            azure=azure,
        )

    def headers(self) -> dict[str, str]:
        """Auth, account and caller headers for every request."""
        headers = {"Accept": "application/json", "User-Agent": _USER_AGENT}
        if self.azure is not None:
            headers["api-key"] = self.api_key
        else:
            headers["Authorization"] = f"Bearer {self.api_key}"
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        headers.update(self.default_headers)
        return headers

    def url(self, endpoint: Endpoint, model: object) -> tuple[str, dict[str, str]]:
        """``(url, query)`` for an endpoint; on Azure the deployment is ``azure_deployment`` or the model."""
        if self.azure is None:
            return f"{self.base_url}/images/{endpoint}", {}
        query = {"api-version": self.azure.api_version}
        if endpoint not in _AZURE_DEPLOYMENT_ENDPOINTS:
            return f"{self.azure.endpoint}/openai/images/{endpoint}", query
        deployment = self.azure.deployment or model
        if not isinstance(deployment, str) or not deployment:
            raise RequestValidationError(
                "Azure OpenAI routes image requests to a deployment: pass azure_deployment= to the client "
                "or model= (the deployment name) to the call.",
                field="model",
                code="missing_required_parameter",
            )
        return (
            f"{self.azure.endpoint}/openai/deployments/{quote(deployment, safe='')}/images/{endpoint}",
            query,
        )


@dataclass(frozen=True)
class PreparedCall:
    """One validated call, ready to become an ``httpx.Request`` for any client."""

    endpoint: Endpoint
    validated: ValidatedRequest
    url: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    #: The parameters as sent (prompt included, ``stream`` set by the streaming methods).
    body: Mapping[str, Any]
    files: list[tuple[str, UploadFile]] = field(default_factory=list)
    strict: bool = False

    @property
    def stream(self) -> bool:
        """Whether the call asked for an event stream."""
        return self.body.get("stream") is True

    def build(self, client: httpx.Client | httpx.AsyncClient, timeout: httpx.Timeout | None) -> httpx.Request:
        """The request, built by ``client`` so its own defaults (event hooks, cookies) still apply."""
        kwargs: dict[str, Any] = {"params": self.query or None, "headers": self.headers}
        if timeout is not None:
            kwargs["timeout"] = timeout
        if self.endpoint == "generations":
            # JSON keeps an explicit None as null, as the SDK sends it.
            kwargs["json"] = self.body
        else:
            data: dict[str, str | list[str]] = {}
            for name, value in form_fields(self.body):
                previous = data.get(name)
                if previous is None:
                    data[name] = value
                elif isinstance(previous, list):
                    previous.append(value)
                else:
                    data[name] = [previous, value]
            kwargs["data"] = data
            kwargs["files"] = self.files
        return client.build_request("POST", self.url, **kwargs)

    def describe(self) -> str:
        """``POST <url> (model m)`` for error messages."""
        model = self.body.get("model")
        return f"POST {self.url}" + (f" (model {model})" if model else "")


def prepare_call(
    settings: ClientSettings,
    endpoint: Endpoint,
    params: Mapping[str, Any],
    images: Mapping[str, object] | None = None,
    *,
    stream: bool = False,
) -> PreparedCall:
    """Validate ``params`` (and read ``images``: part name -> image input) into a :class:`PreparedCall`.

    A gateway's prefixed model id (``openai/dall-e-3``) goes on the wire as given; the contract validates
    it by its base model.

    ``stream`` is the streaming methods' business: a ``stream=`` in ``params`` is refused, so the return
    type of each method holds. Raises ``RequestValidationError`` before anything is built.
    """
    if "stream" in params:
        raise TypeError(
            "stream= is not a parameter here: call generate_stream()/edit_stream() for a stream, "
            "generate()/edit() for a single reply"
        )
    body = {**params, "stream": True} if stream else dict(params)
    files: dict[str, list[UploadFile]] = {}
    for name, value in (images or {}).items():
        if value is not None:
            part, uploads = to_upload_files(value, name=name)
            files[part] = uploads
    contract_files: dict[str, list[FileInput]] = {part: [*uploads] for part, uploads in files.items()}
    checked = body
    deployment = settings.azure.deployment if settings.azure is not None else None
    if deployment and body.get("model") is None and endpoint in _AZURE_DEPLOYMENT_ENDPOINTS:
        # On Azure the deployment decides the model when the call names none: validate as that (an
        # arbitrary deployment name is an unknown model, checked leniently), not as the endpoint default.
        checked = {**body, "model": deployment}
    validated = validate_request(endpoint, checked, contract_files or None, strict=settings.strict)
    url, query = settings.url(endpoint, body.get("model"))
    return PreparedCall(
        endpoint,
        validated,
        url,
        query,
        settings.headers(),
        body,
        files=[(part, upload) for part, uploads in files.items() for upload in uploads],
        strict=settings.strict,
    )

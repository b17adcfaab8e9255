"""Replicate's predictions: create (``Prefer: wait`` answers the finished prediction at once), read,
cancel, and the outputs on the delivery host.

``POST /v1/models/{owner}/{name}/predictions`` (``Authorization: Bearer <token>``) takes ``{"input":
{...}}`` (``contract.replicate.validate_replicate_request``) and answers a ``starting`` prediction whose
``urls.get`` is ``GET /v1/predictions/{id}``: ``starting``, then ``processing`` (each with ``Retry-After:
1``) as many times as the create asked (``polling.pending_polls``), then ``succeeded`` with its output on
the other host (``polling.other_root``, as ``replicate.delivery`` is): a list of ``num_outputs`` URLs for
most models, one URL for the models that make one image (``SINGLE_OUTPUT``). Images are Pillow-made, of
the ``width`` / ``height`` asked, else about ``megapixels`` (1 by default) at ``aspect_ratio``, in the
``output_format`` asked (WebP by default). Errors are problem documents (``{"title", "detail",
"status"}``).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from pytest_imagegen.contract.replicate.validate import CREATE, validate_replicate_request
from pytest_imagegen.emulator import polling
from pytest_imagegen.emulator.drawing import ImageSpec, seed_of
from pytest_imagegen.errors import RequestValidationError

__all__ = ["COMPLETED_AT", "CREATED_AT", "SINGLE_OUTPUT", "routes"]

#: Models whose output is one URL, not a list.
SINGLE_OUTPUT = frozenset(
    {"black-forest-labs/flux-1.1-pro", "black-forest-labs/flux-pro", "ideogram-ai/ideogram-v3"}
)
_FORMATS = {"webp": "webp", "jpg": "jpeg", "png": "png"}


def _problem(status: int, title: str, detail: str) -> Response:
    return polling.json_response(status, {"title": title, "detail": detail, "status": status})


#: The times a prediction reports are fixed, as the plugin stores every ``created`` time: re-recording the
#: same calls changes no cassette byte.
CREATED_AT = "2025-01-01T00:00:00.000000Z"
COMPLETED_AT = "2025-01-01T00:00:01.500000Z"


def _size(inputs: dict[str, Any]) -> tuple[int, int]:
    width, height = inputs.get("width"), inputs.get("height")
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        return width, height
    wide, high = polling.aspect_size(inputs.get("aspect_ratio"))
    try:
        scale = float(inputs.get("megapixels", 1)) ** 0.5
    except ValueError:
        scale = 1.0
    return max(16, round(wide * scale / 16) * 16), max(16, round(high * scale / 16) * 16)


def routes(handler: Any) -> list[BaseRoute]:
    """Create, read, cancel, and the outputs (``contract/replicate/shape.py`` names this module)."""
    state = handler.state
    book = polling.JobBook()

    def prediction(job: polling.Job, status: str) -> dict[str, Any]:
        api = job.data["root"]
        document: dict[str, Any] = {
            "id": job.id,
            "model": job.data["model"],
            "version": "dp-4d0bcc010b3049749a251855f12800be",
            "input": job.data["input"],
            "logs": "" if status == "starting" else "Using seed: 42\n",
            "output": None,
            "data_removed": False,
            "error": None,
            "status": status,
            "created_at": job.data["created_at"],
            "urls": {
                "cancel": f"{api}/v1/predictions/{job.id}/cancel",
                "get": f"{api}/v1/predictions/{job.id}",
                "stream": f"{job.data['other']}/v1/streams/{job.id}",
                "web": f"https://replicate.com/p/{job.id}",
            },
        }
        if status == "succeeded":
            urls = [
                f"{job.data['other']}/xezq/{job.id}/out-{i}.{job.data['ext']}" for i in range(len(job.specs))
            ]
            document["output"] = urls[0] if job.data["model"] in SINGLE_OUTPUT else urls
            document["completed_at"] = COMPLETED_AT
            document["metrics"] = {"predict_time": 1.2, "total_time": 1.5}
        return document

    async def create(request: Request) -> Response:
        rid = polling.new_id().replace("-", "")[:26]
        body = await request.body()
        try:
            params: Any = json.loads(body)
        except ValueError:
            params = None
        fields = params if isinstance(params, dict) else {}
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            polling.log(state, request, 401, fields, rid)
            return _problem(401, "Unauthenticated", "You did not pass a valid authentication token")
        try:
            asked = validate_replicate_request(CREATE, request.url.path, params)
        except RequestValidationError as exc:
            polling.log(state, request, 422, fields, rid)
            return _problem(422, "Input validation failed", f"{exc.field}: {exc.message}")
        inputs = dict(fields["input"])
        fmt = _FORMATS.get(str(inputs.get("output_format", "webp")), "webp")
        width, height = _size(inputs)
        specs = [
            ImageSpec(seed=seed_of(body, str(i)), width=width, height=height, output_format=fmt)  # type: ignore[arg-type]
            for i in range(asked.count or 1)
        ]
        rid = book.new_id(request.url.path, body).replace("-", "")[:26]
        wait = request.headers.get("prefer", "").startswith("wait")
        job = book.add(polling.Job(rid, 0 if wait else polling.pending_polls(request.headers), specs))
        ext = str(inputs.get("output_format", "webp"))
        job.data.update(root=polling.root(request), other=polling.other_root(request), model=asked.model)
        job.data.update(input=inputs, created_at=CREATED_AT, ext=ext if ext in _FORMATS else "webp")
        polling.log(state, request, 201, fields, rid)
        return polling.json_response(201, prediction(job, "succeeded" if wait else "starting"))

    async def read(request: Request) -> Response:
        job, pending = book.read(request.path_params["prediction_id"])
        polling.log(state, request, 200 if job else 404, {}, request.path_params["prediction_id"])
        if job is None:
            return _problem(404, "Not found", "The requested resource could not be found.")
        if job.data.get("canceled"):
            return polling.json_response(200, prediction(job, "canceled"))
        if pending:
            status = "starting" if job.reads == 1 else "processing"
            return polling.json_response(200, prediction(job, status), [polling.RETRY_AFTER])
        return polling.json_response(200, prediction(job, "succeeded"))

    async def cancel(request: Request) -> Response:
        job = book.get(request.path_params["prediction_id"])
        polling.log(state, request, 200 if job else 404, {}, request.path_params["prediction_id"])
        if job is None:
            return _problem(404, "Not found", "The requested resource could not be found.")
        job.data["canceled"] = True
        return polling.json_response(200, prediction(job, "canceled"))

    async def output(request: Request) -> Response:
        prediction_id = request.path_params["prediction_id"]
        index = request.path_params["name"].removeprefix("out-").split(".")[0]
        return await polling.download(state, request, book.get(prediction_id), index, prediction_id)

    return [
        Route("/v1/models/{owner}/{name}/predictions", create, methods=["POST"]),
        Route("/v1/deployments/{owner}/{name}/predictions", create, methods=["POST"]),
        Route("/v1/predictions/{prediction_id}", read, methods=["GET"]),
        Route("/v1/predictions/{prediction_id}/cancel", cancel, methods=["POST"]),
        Route("/xezq/{prediction_id}/{name}", output, methods=["GET"]),
    ]

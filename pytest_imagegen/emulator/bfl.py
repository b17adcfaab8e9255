"""Black Forest Labs' FLUX API: submit, status reads, signed sample downloads.

``POST /v1/{model}`` (a ``flux*`` model; the key in ``x-key``) takes the model's JSON body
(``contract.bfl.validate_bfl_request``) and answers ``{"id", "polling_url", "cost"}`` with the polling URL
on the other host (``polling.other_root``); ``GET /v1/get_result?id=`` answers ``Pending`` (with
``Retry-After: 1``) as many times as the submit asked (``polling.pending_polls``), then ``Ready`` with a
``result.sample`` URL, signed and valid ten minutes, on the submit's host; ``GET /results/...`` serves the
Pillow-made image of the size and format asked (``width`` / ``height`` or ``aspect_ratio``, JPEG by
default). A prompt with ``[moderated]`` in it ends ``Content Moderated``. Errors are FastAPI's
``{"detail": ...}``.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from pytest_imagegen.contract.bfl.validate import SUBMIT, validate_bfl_request
from pytest_imagegen.emulator import polling
from pytest_imagegen.emulator.drawing import ImageSpec, seed_of
from pytest_imagegen.emulator.transport import RawResponse
from pytest_imagegen.errors import RequestValidationError

__all__ = ["SAMPLE_LIFETIME", "routes"]

#: How long a sample URL may be fetched, in seconds ("expires in minutes").
SAMPLE_LIFETIME = 600
_DEFAULT_SIZE = (1024, 768)


class _FluxModel(Convertor[str]):
    """A model path segment that is a FLUX model (``/v1/{model}`` would take every ``/v1/...`` path)."""

    regex = r"flux[\w.-]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("flux", _FluxModel())


def _detail(status: int, field: str, message: str) -> Response:
    detail = [{"loc": ["body", field], "msg": message, "type": "value_error"}]
    return polling.json_response(status, {"detail": detail})


def routes(handler: Any) -> list[BaseRoute]:
    """The submit, the status read and the sample download (``contract/bfl/shape.py`` names this module)."""
    state = handler.state
    book = polling.JobBook()

    async def submit(request: Request) -> Response:
        rid = polling.new_id()
        body = await request.body()
        try:
            params: Any = json.loads(body)
        except ValueError:
            params = None
        fields = params if isinstance(params, dict) else {}
        if not request.headers.get("x-key"):
            polling.log(state, request, 403, fields, rid)
            return polling.json_response(403, {"detail": "Not authenticated - Invalid Authentication"})
        try:
            asked = validate_bfl_request(SUBMIT, request.url.path, params, strict=False)
        except RequestValidationError as exc:
            polling.log(state, request, 422, fields, rid)
            return _detail(422, exc.field or "body", exc.message)
        fmt = asked.output_format or "jpeg"
        if asked.width and asked.height:
            size = (asked.width, asked.height)
        else:
            size = polling.aspect_size(fields.get("aspect_ratio"), _DEFAULT_SIZE)
        spec = ImageSpec(seed=seed_of(body), width=size[0], height=size[1], output_format=fmt)  # type: ignore[arg-type]
        rid = book.new_id(request.url.path, body)
        job = book.add(polling.Job(rid, polling.pending_polls(request.headers), [spec]))
        job.data.update(root=polling.root(request), prompt=fields.get("prompt", ""), fields=fields)
        polling.log(state, request, 200, fields, rid)
        poll_url = f"{polling.other_root(request)}/v1/get_result?id={rid}"
        return polling.json_response(200, {"id": rid, "polling_url": poll_url, "cost": 3.0})

    async def get_result(request: Request) -> Response:
        job_id = request.query_params.get("id", "")
        job, pending = book.read(job_id)
        polling.log(state, request, 200, {}, job_id)
        if job is None:
            return polling.json_response(200, {"id": job_id, "status": "Task not found", "result": None})
        if pending:
            progress = round(job.reads / (job.reads + job.pending + 1), 2)
            document = {"id": job.id, "status": "Pending", "result": None, "progress": progress}
            return polling.json_response(200, document, [polling.RETRY_AFTER])
        if "[moderated]" in str(job.data["prompt"]):
            document = {"id": job.id, "status": "Content Moderated", "result": None, "progress": None}
            return polling.json_response(200, document)
        spec = job.specs[0]
        path = f"/results/{job.id[:2]}/{job.id}/sample.{'jpg' if spec.output_format == 'jpeg' else spec.output_format}"
        sample = polling.sign(state, job.data["root"], path, SAMPLE_LIFETIME)
        seed = job.data["fields"].get("seed", int.from_bytes(spec.seed[:4], "big"))
        result = {"sample": sample, "prompt": job.data["prompt"], "seed": seed, "duration": 4.2}
        return polling.json_response(
            200, {"id": job.id, "status": "Ready", "result": result, "progress": None}
        )

    async def sample(request: Request) -> Response:
        job = book.get(request.path_params["job_id"])
        problem = polling.signature_problem(state, request)
        status = 403 if problem else 404 if job is None else 200
        polling.log(state, request, status, {}, request.path_params["job_id"])
        if job is None or problem:
            message = problem or "The specified blob does not exist."
            return RawResponse(
                status, f"<Error><Message>{message}</Message></Error>".encode(), [], "application/xml"
            )
        return await polling.image_response(job.specs[0])

    return [
        Route("/v1/get_result", get_result, methods=["GET"]),
        Route("/v1/{model:flux}", submit, methods=["POST"]),
        Route("/results/{shard}/{job_id}/{name}", sample, methods=["GET"]),
    ]

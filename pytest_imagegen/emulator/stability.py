"""Stability AI's v2beta Stable Image API: synchronous generation, asynchronous jobs and their results.

``POST /v2beta/stable-image/generate/{ultra|core|sd3}`` (``authorization: Bearer <key>``) takes
multipart form data only (``contract.stability.validate_stability_request``) and answers at once with a
Pillow-made image of about a megapixel at the ``aspect_ratio`` asked (1:1 by default), in the
``output_format`` asked (PNG by default): its bytes with ``finish-reason`` and ``seed`` headers for
``accept: image/*`` (the default), ``{"image", "finish_reason", "seed"}`` for ``accept:
application/json``. ``POST /v2beta/stable-image/upscale/creative`` (and the other asynchronous endpoints,
``ASYNC_OPERATIONS``) answers ``{"id"}``; ``GET /v2beta/results/{id}`` answers 202 ``{"id", "status":
"in-progress"}`` with ``Retry-After: 1`` as many times as the submit asked (``polling.pending_polls``),
then 200 with the image, twice the input's size, as that read accepts. Errors are ``{"id", "name",
"errors"}``.
"""

from __future__ import annotations

import base64
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from pytest_imagegen.contract.stability.validate import GENERATE, validate_stability_request
from pytest_imagegen.contract.uploads import FilesInput, read_uploads
from pytest_imagegen.emulator import polling
from pytest_imagegen.emulator.drawing import ImageSpec, OutputFormat, seed_of
from pytest_imagegen.emulator.error_replies import ErrorReply
from pytest_imagegen.emulator.transport import RawResponse, parse_body
from pytest_imagegen.errors import RequestValidationError

__all__ = ["routes"]

_MAX_EDGE = 4096


def _error(status: int, name: str, message: str, rid: str) -> Response:
    return polling.json_response(status, {"id": rid.replace("-", ""), "name": name, "errors": [message]})


def _seed(spec: ImageSpec) -> int:
    return int.from_bytes(spec.seed[:4], "big") % 4294967294


async def _image_reply(spec: ImageSpec, accept: str, *, as_result: bool = False) -> Response:
    data = await polling.drawn(spec)
    if "application/json" in accept:
        key = "result" if as_result else "image"
        document = {key: base64.b64encode(data).decode(), "finish_reason": "SUCCESS", "seed": _seed(spec)}
        return polling.json_response(200, document)
    headers = [("finish-reason", "SUCCESS"), ("seed", str(_seed(spec)))]
    return RawResponse(200, data, headers, polling.MEDIA_TYPES[spec.output_format])


def _upscaled(files: Any) -> tuple[int, int]:
    images = [f for f in read_uploads(files) if f.part == "image"]
    size = images[0].size if images else None
    if size is None:
        return 1024, 1024
    scale = min(2.0, _MAX_EDGE / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def routes(handler: Any) -> list[BaseRoute]:
    """The Stable Image endpoints and the results (``contract/stability/shape.py`` names this module)."""
    state = handler.state
    book = polling.JobBook()

    async def stable_image(request: Request) -> Response:
        rid = polling.new_id()
        parsed = await parse_body(request)
        params, files = parsed if not isinstance(parsed, ErrorReply) else ({}, None)
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            polling.log(state, request, 401, params, rid)
            return _error(401, "unauthorized", "authorization: missing or invalid", rid)
        if files is None:
            polling.log(state, request, 400, params, rid)
            return _error(400, "bad_request", "content-type: must be multipart/form-data", rid)
        accept = request.headers.get("accept", "image/*")
        if "image/" not in accept and "application/json" not in accept and "*/*" not in accept:
            polling.log(state, request, 400, params, rid)
            return _error(400, "bad_request", "accept: must be image/* or application/json", rid)
        try:
            asked = validate_stability_request(GENERATE, request.url.path, params, cast("FilesInput", files))
        except RequestValidationError as exc:
            polling.log(state, request, 400, params, rid)
            return _error(400, "bad_request", exc.message, rid)
        uploads = b"".join(data for parts in files.values() for _, data, _ in parts)
        identity = request.url.path.encode() + repr(sorted(params.items())).encode() + uploads
        if asked.is_async:
            width, height = _upscaled(files)
        else:
            width, height = polling.aspect_size(params.get("aspect_ratio"))
        fmt = cast("OutputFormat", asked.output_format)
        spec = ImageSpec(seed=seed_of(identity), width=width, height=height, output_format=fmt)
        polling.log(state, request, 200, params, rid)
        if not asked.is_async:
            return await _image_reply(spec, accept)
        job_id = book.new_id(identity, "".join(f"{n}:{len(v)}" for n, v in sorted(files.items()))).replace(
            "-", ""
        )
        job = book.add(polling.Job(job_id * 2, polling.pending_polls(request.headers), [spec]))
        return polling.json_response(200, {"id": job.id})

    async def result(request: Request) -> Response:
        job, pending = book.read(request.path_params["job_id"])
        polling.log(
            state, request, 404 if job is None else 202 if pending else 200, {}, request.path_params["job_id"]
        )
        if job is None:
            return _error(
                404, "not_found", f"id: {request.path_params['job_id']} was not found", polling.new_id()
            )
        if pending:
            return polling.json_response(202, {"id": job.id, "status": "in-progress"}, [polling.RETRY_AFTER])
        return await _image_reply(job.specs[0], request.headers.get("accept", "image/*"), as_result=True)

    return [
        Route("/v2beta/stable-image/{group}/{endpoint}", stable_image, methods=["POST"]),
        Route("/v2beta/results/{job_id}", result, methods=["GET"]),
    ]

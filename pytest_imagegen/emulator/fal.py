"""fal.ai's queue: submit, status reads, the result, the cancel, and the images on the CDN host.

``POST /fal-ai/{app...}`` (``Authorization: Key <key>``) takes the app's JSON input
(``contract.fal.validate_fal_request``) and answers ``{"request_id", "status_url", "response_url",
"cancel_url", "queue_position"}``, on the submit's host as ``queue.fal.run`` is. ``GET status_url``
answers 202 ``IN_QUEUE`` (with its ``queue_position``), then ``IN_PROGRESS`` (with logs), each with
``Retry-After: 1``, as many times as the submit asked (``polling.pending_polls``), then 200 ``COMPLETED``
with the ``response_url``; ``GET response_url`` answers ``{"images": [...], "seed", "has_nsfw_concepts",
"timings", "prompt"}`` with the images on the other host (``polling.other_root``, as ``v3.fal.media``
is): ``num_images`` Pillow-made images of the ``image_size`` asked (``landscape_4_3`` by default) in the
``output_format`` asked (JPEG by default). Errors are ``{"detail": ...}``.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from pytest_imagegen.contract.fal.validate import SUBMIT, validate_fal_request
from pytest_imagegen.emulator import polling
from pytest_imagegen.emulator.drawing import ImageSpec, seed_of
from pytest_imagegen.errors import RequestValidationError

__all__ = ["routes"]

_DEFAULT_SIZE = (1024, 768)  # landscape_4_3


def routes(handler: Any) -> list[BaseRoute]:
    """The queue's routes and the CDN's (``contract/fal/shape.py`` names this module)."""
    state = handler.state
    book = polling.JobBook()

    def urls(job: polling.Job) -> dict[str, str]:
        base = f"{job.data['root']}/fal-ai/{job.data['app_id']}/requests/{job.id}"
        return {"status_url": f"{base}/status", "response_url": base, "cancel_url": f"{base}/cancel"}

    async def submit(request: Request) -> Response:
        rid = polling.new_id()
        body = await request.body()
        try:
            params: Any = json.loads(body)
        except ValueError:
            params = None
        fields = params if isinstance(params, dict) else {}
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme != "Key" or not key.strip():
            polling.log(state, request, 401, fields, rid)
            return polling.json_response(401, {"detail": "No user found for Key ID and Secret"})
        try:
            asked = validate_fal_request(SUBMIT, request.url.path, params)
        except RequestValidationError as exc:
            polling.log(state, request, 422, fields, rid)
            detail = [{"loc": ["body", exc.field or "body"], "msg": exc.message, "type": "value_error"}]
            return polling.json_response(422, {"detail": detail})
        fmt = str(fields.get("output_format", "jpeg"))
        size = (asked.width, asked.height) if asked.width and asked.height else _DEFAULT_SIZE
        specs = [
            ImageSpec(seed=seed_of(body, str(i)), width=size[0], height=size[1], output_format=fmt)  # type: ignore[arg-type]
            for i in range(asked.count or 1)
        ]
        rid = book.new_id(request.url.path, body)
        job = book.add(polling.Job(rid, polling.pending_polls(request.headers), specs))
        # The status and result URLs name the app (owner and alias), not the path under it.
        app_id = request.path_params["app"].split("/")[0]
        job.data.update(root=polling.root(request), other=polling.other_root(request), app_id=app_id)
        job.data.update(prompt=fields.get("prompt", ""), seed=fields.get("seed", 42))
        polling.log(state, request, 200, fields, rid)
        document = {"status": "IN_QUEUE", "request_id": rid, **urls(job), "queue_position": job.pending}
        return polling.json_response(200, document)

    async def status(request: Request) -> Response:
        job, pending = book.read(request.path_params["request_id"])
        polling.log(state, request, 200 if job else 404, {}, request.path_params["request_id"])
        if job is None:
            return polling.json_response(404, {"detail": "Request not found"})
        if pending and job.pending > 0:
            document: dict[str, Any] = {"status": "IN_QUEUE", "queue_position": job.pending - 1}
            return polling.json_response(202, {**document, **urls(job)}, [polling.RETRY_AFTER])
        if pending:
            logs = [
                {
                    "message": "Generating...",
                    "level": "INFO",
                    "source": "user",
                    "timestamp": "2026-01-01T00:00:00",
                }
            ]
            return polling.json_response(
                202, {"status": "IN_PROGRESS", "logs": logs, **urls(job)}, [polling.RETRY_AFTER]
            )
        job.data["done"] = True
        document = {"status": "COMPLETED", "logs": None, "metrics": {"inference_time": 1.1}, **urls(job)}
        return polling.json_response(200, document)

    async def result(request: Request) -> Response:
        job = book.get(request.path_params["request_id"])
        polling.log(state, request, 200 if job else 404, {}, request.path_params["request_id"])
        if job is None:
            return polling.json_response(404, {"detail": "Request not found"})
        if not job.data.get("done"):
            return polling.json_response(400, {"detail": "Request is still in progress"})
        images = [
            {
                "url": f"{job.data['other']}/files/{job.id[:8]}/{job.id}-{i}.{'jpg' if spec.output_format == 'jpeg' else spec.output_format}",
                "width": spec.width,
                "height": spec.height,
                "content_type": polling.MEDIA_TYPES[spec.output_format],
            }
            for i, spec in enumerate(job.specs)
        ]
        document = {
            "images": images,
            "timings": {"inference": 1.1},
            "seed": job.data["seed"],
            "has_nsfw_concepts": [False] * len(images),
            "prompt": job.data["prompt"],
        }
        return polling.json_response(200, document)

    async def cancel(request: Request) -> Response:
        job = book.get(request.path_params["request_id"])
        polling.log(state, request, 202 if job else 404, {}, request.path_params["request_id"])
        if job is None:
            return polling.json_response(404, {"detail": "Request not found"})
        return polling.json_response(
            400 if job.data.get("done") else 202, {"status": "CANCELLATION_REQUESTED"}
        )

    async def cdn(request: Request) -> Response:
        name = request.path_params["name"].rsplit(".", 1)[0]
        job_id, _, index = name.rpartition("-")
        return await polling.download(state, request, book.get(job_id), index, job_id)

    return [
        Route("/fal-ai/{app_id}/requests/{request_id}/status", status, methods=["GET"]),
        Route("/fal-ai/{app_id}/requests/{request_id}/cancel", cancel, methods=["PUT"]),
        Route("/fal-ai/{app_id}/requests/{request_id}", result, methods=["GET"]),
        Route("/fal-ai/{app:path}", submit, methods=["POST"]),
        Route("/files/{bucket}/{name}", cdn, methods=["GET"]),
    ]

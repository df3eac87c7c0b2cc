"""Routes outside the API's paths, under ``/_sandbox/``: read-only inspection and the files
the API's answers point to.

- ``GET /_sandbox/stats``: the counters of :mod:`.stats` as JSON.
- ``GET /_sandbox/sms/{phone}``: the verification code 302/303 issued for a phone (what the
  SMS would have said), ``{"phone": …, "verify_code": …}``, 404 if none.
- ``GET /_sandbox/codepic.png?code=&size=&type=``: the PNG behind a 603 address.
- ``GET /_sandbox/authenpic.png?bgimage=&ismarkname=``: the PNG behind a 701 URL.
- ``GET /_sandbox/files/{token}/{name}``: the ZIP behind a 504 address, streamed.
- ``POST /_sandbox/pages/{ticket}``: the form of a page interface (:mod:`.handlers_pages`).

None of these routes is signed or faulted: they are the sandbox's own, not the centre's.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .handlers_pages import page_submit_endpoint
from .handlers_pictures import code_picture, pixel_size
from .pictures import authen_png
from .state import State
from .stats import Stats
from .zipstream import zip_stream

__all__ = ["inspection_routes"]


def _png(data: bytes) -> Response:
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-store"})


def inspection_routes(state: State, stats: Stats) -> list[Route]:
    """The ``/_sandbox/`` routes of one sandbox."""

    async def stats_route(request: Request) -> Response:
        body = json.dumps(stats.snapshot(), ensure_ascii=False)
        return Response(body, media_type="application/json")

    async def sms_route(request: Request) -> Response:
        phone = str(request.path_params["phone"])
        issued = state.verify_codes.get(phone)
        if issued is None:
            return JSONResponse({"phone": phone, "verify_code": None}, status_code=404)
        return JSONResponse({"phone": phone, "verify_code": issued[0]})

    async def codepic_route(request: Request) -> Response:
        code = request.query_params.get("code", "")
        size = pixel_size(request.query_params.get("size", "400"))
        if not code or size is None:
            return Response("code and a size of 50-2000 px are required", status_code=400)
        return _png(code_picture(state.config.resolver + code, size))

    async def authenpic_route(request: Request) -> Response:
        background = request.query_params.get("bgimage", "")
        mark = request.query_params.get("ismarkname", "0")
        if background not in tuple("0123456789") or mark not in ("0", "1"):
            return Response("bgimage 0-9 and ismarkname 0/1 are required", status_code=400)
        return _png(authen_png(int(background), mark == "1"))

    async def file_route(request: Request) -> Response:
        download = state.downloads.get(str(request.path_params["token"]))
        upload = state.uploads.get(download.uploadcode_id) if download else None
        if download is None or upload is None:
            return Response("no such download", status_code=404)
        resolver = state.config.resolver
        codes = upload.full_codes() if download.code_type == 1 else upload.short_codes()
        lines = ((resolver + code + "\r\n").encode("utf-8") for code in codes)
        name = f"{upload.uploadcode_id}.txt"
        archive = zip_stream(name, lines, password=download.password, seed=state.config.seed)
        return StreamingResponse(
            archive,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{upload.uploadcode_id}.zip"'},
        )

    return [
        Route("/_sandbox/stats", stats_route, methods=["GET"]),
        Route("/_sandbox/sms/{phone}", sms_route, methods=["GET"]),
        Route("/_sandbox/codepic.png", codepic_route, methods=["GET"]),
        Route("/_sandbox/authenpic.png", authenpic_route, methods=["GET"]),
        Route("/_sandbox/files/{token}/{name}", file_route, methods=["GET"]),
        Route("/_sandbox/pages/{ticket}", page_submit_endpoint(state), methods=["POST"]),
    ]

"""The console's CSS and JavaScript."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, Response

from console.rendering import STATIC_DIR

router = APIRouter(prefix="/console", include_in_schema=False)


STATIC_FILES = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}


@router.get("/static/{name}")
async def static_file(name: str) -> Response:
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        raise HTTPException(404)
    response = FileResponse(STATIC_DIR / name, media_type=media_type)
    response.headers["Cache-Control"] = "max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

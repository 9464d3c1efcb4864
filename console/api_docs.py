"""The JSON API's interactive docs (``/docs``) and schema (``/openapi.json``) for logged-in staff only.

In production the schema is a map of every console action and its parameters; it is no secret from staff,
but there is no reason to hand it to the internet. Embedded mode keeps FastAPI's public defaults.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from console.deps import ApiStaff, PageStaff

router = APIRouter(include_in_schema=False)


@router.get("/openapi.json")
async def openapi_schema(request: Request, staff: ApiStaff) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs")
async def swagger_ui(staff: PageStaff) -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="qiaobot API")

"""The API's refusals: one JSON shape per HTTP status, and the 409 body that carries the current ticket."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from console.schemas import ConflictOut, ErrorOut
from staff.errors import StaffActionError
from tickets.errors import AnswerConflict

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The action is refused (the detail says why, in Chinese)"},
    401: {"model": ErrorOut, "description": "Not logged in"},
    403: {"model": ErrorOut, "description": "Missing CSRF header or not allowed for this role"},
    404: {"model": ErrorOut, "description": "No such ticket"},
}
WRITE_ERRORS = {**ERRORS, 409: {"model": ConflictOut, "description": "The ticket changed since it was read"}}


def error_response(exc: StaffActionError) -> JSONResponse:
    if isinstance(exc, AnswerConflict):
        body = ConflictOut(
            detail=exc.message,
            number=exc.number,
            current_version=exc.current_version,
            state=exc.state,
            answer=exc.answer,
            answered_by=exc.answered_by,
            answered_at=exc.answered_at,
            assignee=exc.assignee,
        )
        return JSONResponse(body.model_dump(mode="json"), status_code=409)
    return JSONResponse({"detail": exc.message}, status_code=exc.status)

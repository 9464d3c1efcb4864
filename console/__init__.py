"""The staff console: Chinese web pages under ``/console`` and the same actions as a JSON API under ``/api``.

``router`` is what the application includes; it carries both halves.
"""

from fastapi import APIRouter

from console import models  # noqa: F401 - registers the sessions table on Base.metadata
from console.api import router as api_router
from console.pages import router as pages_router

router = APIRouter()
router.include_router(pages_router)
router.include_router(api_router)

__all__ = ["router"]

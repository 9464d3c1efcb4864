"""Import target for ``uvicorn bot.main:app`` (each worker process builds its own app from the environment)."""

from bot.app import create_app

app = create_app()

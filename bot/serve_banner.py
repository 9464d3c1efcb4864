"""The "已启动" banner of ``qiaobot serve``, printed when the service answers and not before.

Importing the app (the matcher, jieba, OpenCC) takes seconds; a banner printed before ``uvicorn.run``
sends a newcomer to a page that does not load yet. A daemon thread asks ``/healthz`` until it answers.
"""

from __future__ import annotations

import threading
import time

import click
import httpx


def _local_address(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def announce_when_listening(host: str, port: int, banner: str) -> threading.Thread:
    url = f"http://{_local_address(host)}:{port}/healthz"

    def wait_then_print() -> None:
        while True:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    click.echo(banner)
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)

    thread = threading.Thread(target=wait_then_print, name="serve-banner", daemon=True)
    thread.start()
    return thread

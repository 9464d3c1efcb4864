"""``qiaobot chat``: talk to a running service from the terminal as a WeChat user would."""

from __future__ import annotations

import asyncio
import sys
from typing import cast

import click
import httpx

from bot.simulated_user import SimulatedUser
from config.settings import Settings
from wechat.inbound import Mode

COMMANDS_HELP = "（/image 发图片，/voice 文字 作为语音，/subscribe 关注，/click KEY 点菜单，/quit 退出）"


class NotAService(Exception):
    """The URL answered, but not as a running qiaobot does."""


async def check_service(http: httpx.AsyncClient) -> None:
    """Ask ``/healthz`` before saying "已连接": a dead URL or another program must fail here, not at the first line."""
    response = await http.get("/healthz", timeout=5)
    try:
        healthy = response.status_code == 200 and response.json().get("ok") is True
    except ValueError:
        healthy = False
    if not healthy:
        raise NotAService(f"HTTP {response.status_code}")


async def chat_loop(url: str, settings: Settings, mode: str, openid: str | None) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=15) as http:
        await check_service(http)
        user = SimulatedUser(
            http=http,
            token=settings.wechat_token,
            appid=settings.wechat_appid,
            aes_key=settings.wechat_aes_key or None,
            mode=cast(Mode, mode),
        )
        if openid:
            user.openid = openid
        click.echo(f"已连接 {url}（{mode} 模式，openid={user.openid}）{COMMANDS_HELP}")
        loop = asyncio.get_running_loop()
        while True:
            try:
                line = await loop.run_in_executor(None, lambda: input("你> "))
            except (EOFError, KeyboardInterrupt):
                break
            line = line.strip()
            if not line:
                continue
            if line in ("/quit", "/exit"):
                break
            kind, text, key = "text", line, ""
            if line.startswith("/"):
                command, _, rest = line[1:].partition(" ")
                kind, text, key = command, rest, rest
            try:
                reply = await user.say(text, kind=kind, key=key)
            except (httpx.HTTPError, ValueError) as exc:
                click.echo(f"!! {exc}", err=True)
                continue
            click.echo(f"机器人> {reply}" if reply else "机器人> （success，无被动回复）")
            await asyncio.sleep(0.3)
            try:
                for text_pushed in await user.pushed():
                    click.echo(f"客服消息> {text_pushed}")
            except httpx.HTTPError:
                pass


def run_chat(url: str, settings: Settings, mode: str, openid: str | None) -> None:
    try:
        asyncio.run(chat_loop(url, settings, mode, openid))
    except (httpx.ConnectError, httpx.ConnectTimeout):
        click.echo(
            f"无法连接 {url}：请先运行 `make run`（或 `qiaobot serve`），或用 --url 指向正在运行的服务。", err=True
        )
        sys.exit(1)
    except (NotAService, httpx.HTTPError) as exc:
        click.echo(f"{url} 没有像 qiaobot 服务那样应答（/healthz：{exc}）：请检查 --url。", err=True)
        sys.exit(1)

"""``qiaobot staff …``: console accounts."""

from __future__ import annotations

import sys

import click

from config.settings import get_settings
from staff.roles import ROLES


@click.group()
def staff() -> None:
    """Staff console accounts."""


@staff.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(list(ROLES)), default="staff", show_default=True)
@click.option("--name", "display_name", default="", help="Name shown in the console.")
@click.option("--openid", default=None, help="The person's WeChat openid, for reminder messages.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def staff_create(username: str, role: str, display_name: str, openid: str | None, password_stdin: bool) -> None:
    """Create a console account (the password is asked for, or read with --password-stdin)."""
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm import Session

    from staff.accounts import create_staff
    from storage.db import create_sync_engine

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("密码", hide_input=True, confirmation_prompt=True)
    engine = create_sync_engine(get_settings().database_url)
    try:
        with Session(engine) as session, session.begin():
            user = create_staff(session, username, password, role, display_name)
            user.wechat_openid = openid
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    except IntegrityError:
        raise click.ClickException(f"用户名 {username} 已存在") from None
    finally:
        engine.dispose()
    click.echo(f"已创建 {role} 账号：{username}")

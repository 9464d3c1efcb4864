"""Console pages for festival greetings: campaigns with their state and results; edit, preview, approve.

Everyone logged in may look; only supervisors change anything (every form carries the CSRF token). The
page reuses the console's layout (``base.html``) through its own Jinja environment with autoescaping on.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import ChoiceLoader, DictLoader, Environment, FileSystemLoader, StrictUndefined
from starlette.responses import HTMLResponse

from console.deps import Db, PageStaff, page_staff_csrf, services_of
from console.rendering import ROLE_LABELS, SECURITY_HEADERS, TEMPLATES_DIR, Times
from console.sessions import StaffSession
from faq.script import to_traditional
from greetings.core import GreetingRefused
from greetings.service import GreetingService
from staff import notifications
from staff.models import StaffUser

router = APIRouter(prefix="/console/greetings", include_in_schema=False)


async def _supervisor_form(staff: Annotated[StaffSession, Depends(page_staff_csrf)]) -> StaffSession:
    """A supervisor's form post (logged in, CSRF-checked): everyone may look at greetings, only supervisors act."""
    if not staff.user.can("supervisor"):
        raise HTTPException(403, "您的账号没有这项权限")
    return staff


Supervisor = Annotated[StaffSession, Depends(_supervisor_form)]

STATE_LABELS = {
    "draft": "草稿（未审批）",
    "approved": "已审批",
    "cancelled": "已取消",
    "pending": "待发送",
    "sending": "发送中",
    "retrying": "重试中",
    "submitted": "已提交微信",
    "awaiting_admin": "等待管理员确认",
    "done": "已完成",
    "failed": "失败",
    "missed": "已错过",
    "uncertain": "结果不确定",
}
DONE_MESSAGES = {
    "edited": "已保存；如之前已审批，需要重新审批",
    "edited_hant_stale": "已保存；简体改了而繁體没改，请核对繁體（可用“按简体重新生成繁體”）",
    "derived": "已按简体重新生成繁體并保存；如之前已审批，需要重新审批",
    "previewed": "预览已发送到该微信号",
    "approved": "已审批，将按时发送",
    "cancelled": "已取消",
    "retried": "已安排重新发送",
    "read": "已标记为已读",
}

_PAGE = """{% extends "base.html" %}
{% block title %}节日问候{% endblock %}
{% block content %}
<h1>节日问候</h1>
<p class="hint">草稿在节日前自动生成；未审批的问候不会发出。修改已审批的问候会撤销审批。</p>
{% if notices %}
<h2>需要关注</h2>
<ul id="greeting-notices">
{% for n in notices %}
  <li class="{{ n.level }}">{{ t.short(n.created_at) }} {{ n.text }}
  {% if me.can("supervisor") %}<form method="post" action="/console/greetings/notices/{{ n.id
    }}/read" class="inline">
  <input type="hidden" name="csrf_token" value="{{ csrf }}"><button
    type="submit">已读</button></form>{% endif %}</li>
{% endfor %}
</ul>
{% endif %}
{% for item in items %}
{% set c = item.view.campaign %}
<section class="campaign" id="campaign-{{ c.id }}">
  <h2>#{{ c.id }} {{ c.festival }} {{ c.festival_date.isoformat() }}
    <small>{{ LABELS.get(item.view.summary, item.view.summary) }}{% if c.approved_by %}（{{
    c.approved_by }} 审批）{% endif %}
    · {{ "客服消息逐人发送" if c.mode == "per_follower" else "群发" }}</small></h2>
  <p class="greeting-text">简体：{{ c.text_hans }}</p>
  <p class="greeting-text">繁體：{{ c.text_hant }}</p>
  {% if item.derived_hant != c.text_hant %}
  <p class="warn" id="hant-differs-{{ c.id }}">繁體与简体的转换结果不一致，请核对（可能是简体改后繁體未更新）。
    按简体转换：{{ item.derived_hant }}</p>
  {% endif %}
  <table>
    <thead><tr><th>受众</th><th>发送时间</th><th>状态</th><th>结果</th><th>原因</th><th></th></tr></thead>
    <tbody>
    {% for s in item.view.sends %}
    <tr><td>{{ s.tag_name }}（{{ "繁體" if s.script == "hant" else "简体" }}）</td><td>{{
    t.short(s.send_at) }}</td>
      <td>{{ LABELS.get(s.state, s.state) }}</td>
      <td>{% if s.total_count is not none %}送达 {{ s.sent_count if s.sent_count is not none else "?" }} /
        {{ s.filter_count }}（共 {{ s.total_count }}{% if s.error_count %}，失败 {{ s.error_count }}{%
    endif %}）{% endif %}
        {% if s.msg_id %}<br><code>msg_id {{ s.msg_id }}</code>{% endif %}</td>
      <td class="err">{{ s.last_error }}</td>
      <td>{% if me.can("supervisor") and s.state in ("failed", "missed") %}
        <form method="post" action="/console/greetings/sends/{{ s.id }}/retry" class="inline">
        <input type="hidden" name="csrf_token" value="{{ csrf }}"><button
    type="submit">立即重发</button></form>{% endif %}</td></tr>
    {% endfor %}
    </tbody>
  </table>
  {% if item.quota %}<ul class="hint">{% for line in item.quota.lines %}<li>{{ line }}</li>{% endfor %}
    {% for p in item.quota.problems %}<li class="err">{{ p }}</li>{% endfor %}</ul>{% endif %}
  {% if me.can("supervisor") and c.state != "cancelled" %}
  <form method="post" action="/console/greetings/{{ c.id }}/edit" class="greeting-edit">
    <input type="hidden" name="csrf_token" value="{{ csrf }}">
    <label>简体<textarea name="text_hans" rows="3" data-pair="hant-{{ c.id }}">{{ c.text_hans }}</textarea></label>
    <label>繁體<textarea name="text_hant" rows="3" id="hant-{{ c.id }}">{{ c.text_hant }}</textarea></label>
    <p class="warn" id="hant-{{ c.id }}-stale" hidden>简体已修改，繁體还是原来的：
      请一并修改，或点“按简体重新生成繁體”。</p>
    <button type="submit">保存修改</button>
    <button type="submit" name="derive_hant" value="1" class="secondary"
      id="derive-hant-{{ c.id }}">保存，并按简体重新生成繁體</button>
  </form>
  <form method="post" action="/console/greetings/{{ c.id }}/preview" class="inline">
    <input type="hidden" name="csrf_token" value="{{ csrf }}">
    {% if my_openid %}
    <label>预览发到 <input name="openid" value="{{ my_openid }}" required size="30"
      id="preview-openid-{{ c.id }}"></label>
    <span class="hint">（默认是您账号绑定的微信）</span>
    {% else %}
    <input name="openid" placeholder="接收预览的 openid" required id="preview-openid-{{ c.id }}">
    <span class="hint">（账号绑定微信后会自动填入：qiaobot staff create … --openid）</span>
    {% endif %}
    <select name="script"><option value="hans">简体</option><option value="hant">繁體</option></select>
    <button type="submit">发送预览</button>
    {% if c.previewed_by %}<span class="hint">{{ c.previewed_by }} 于 {{ t.short(c.previewed_at) }}
    预览过</span>{% endif %}
  </form>
  <div class="greeting-decision">
  {% if item.view.summary == "draft" %}
  <form method="post" action="/console/greetings/{{ c.id }}/approve" class="inline"
    data-confirm="审批通过 #{{ c.id }} {{ c.festival }}？审批后将按上表的时间发给所列受众，不再需要人工操作。">
    <input type="hidden" name="csrf_token" value="{{ csrf }}">
    <button type="submit" id="approve-{{ c.id }}">审批通过</button></form>
  {% endif %}
  <form method="post" action="/console/greetings/{{ c.id }}/cancel" class="inline cancel"
    data-confirm="取消 #{{ c.id }} {{ c.festival }} 的问候？取消后不会发送，也不能恢复。">
    <input type="hidden" name="csrf_token" value="{{ csrf }}">
    <button type="submit" class="secondary" id="cancel-{{ c.id }}">取消此问候</button></form>
  </div>
  {% endif %}
</section>
{% else %}<p class="empty">还没有节日问候</p>{% endfor %}
{% endblock %}
"""

_env = Environment(
    loader=ChoiceLoader([DictLoader({"greetings.html": _PAGE}), FileSystemLoader(TEMPLATES_DIR)]),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _service(request: Request) -> GreetingService:
    return services_of(request).greetings


def _back(done: str) -> RedirectResponse:
    return RedirectResponse(f"/console/greetings?done={done}", status_code=303)


async def _bound_openid(db: Any, staff: StaffSession) -> str:
    """The supervisor's own WeChat openid (``staff create --openid``): where a preview goes by default."""
    account = await db.get(StaffUser, staff.user.id)
    return str(account.wechat_openid) if account is not None and account.wechat_openid else ""


async def _page(request: Request, db: Any, staff: StaffSession, error: str | None = None) -> Response:
    services = services_of(request)
    greetings = _service(request)
    items = []
    for view in await greetings.list_campaigns(limit=30):
        quota = await greetings.quota(view.campaign.id) if view.summary == "draft" else None
        items.append({"view": view, "quota": quota, "derived_hant": to_traditional(view.campaign.text_hans)})
    html = _env.get_template("greetings.html").render(
        me=staff.user,
        csrf=staff.csrf_token,
        active="greetings",
        t=Times(services.settings.tz, services.clock.now()),
        unread=await notifications.unread_count(db, staff.user),
        flash=DONE_MESSAGES.get(request.query_params.get("done") or ""),
        error=error,
        ROLE_LABELS=ROLE_LABELS,
        LABELS=STATE_LABELS,
        items=items,
        my_openid=await _bound_openid(db, staff),
        notices=await greetings.notices(limit=20),
        health=services.health,  # the banner every page shows while Redis or the database is out
    )
    return HTMLResponse(html, status_code=400 if error else 200, headers=SECURITY_HEADERS)


@router.get("")
async def greetings_page(request: Request, db: Db, staff: PageStaff) -> Response:
    return await _page(request, db, staff)


async def _act(request: Request, db: Any, staff: StaffSession, done: str, action: Any) -> Response:
    try:
        await action
    except GreetingRefused as exc:
        return await _page(request, db, staff, error=str(exc))
    return _back(done)


@router.post("/{campaign_id}/edit")
async def edit(
    request: Request,
    db: Db,
    staff: Supervisor,
    campaign_id: int,
    text_hans: Annotated[str, Form()],
    text_hant: Annotated[str, Form()],
    derive_hant: Annotated[str, Form()] = "",
) -> Response:
    """Save both texts; with ``derive_hant`` the 繁體 text is the conversion of the 简体 one. A 简体 edit that
    leaves 繁體 as it was is saved, and the page says so (followers reading 繁體 would get the old text)."""
    greetings = _service(request)
    try:
        before = (await greetings.get(campaign_id)).campaign
    except GreetingRefused as exc:
        return await _page(request, db, staff, error=str(exc))
    if derive_hant:
        text_hant = to_traditional(text_hans.strip())
    action = greetings.edit(campaign_id, by=staff.user.display_name, text_hans=text_hans, text_hant=text_hant)
    done = "derived" if derive_hant else "edited"
    if not derive_hant and text_hans.strip() != before.text_hans and text_hant.strip() == before.text_hant:
        done = "edited_hant_stale"
    return await _act(request, db, staff, done, action)


@router.post("/{campaign_id}/preview")
async def preview(
    request: Request,
    db: Db,
    staff: Supervisor,
    campaign_id: int,
    openid: Annotated[str, Form()],
    script: Annotated[str, Form()] = "hans",
) -> Response:
    action = _service(request).preview(campaign_id, openid.strip(), by=staff.user.display_name, script=script)
    return await _act(request, db, staff, "previewed", action)


@router.post("/{campaign_id}/approve")
async def approve(request: Request, db: Db, staff: Supervisor, campaign_id: int) -> Response:
    return await _act(
        request, db, staff, "approved", _service(request).approve(campaign_id, by=staff.user.display_name)
    )


@router.post("/{campaign_id}/cancel")
async def cancel(request: Request, db: Db, staff: Supervisor, campaign_id: int) -> Response:
    return await _act(
        request, db, staff, "cancelled", _service(request).cancel(campaign_id, by=staff.user.display_name)
    )


@router.post("/sends/{send_id}/retry")
async def retry(request: Request, db: Db, staff: Supervisor, send_id: int) -> Response:
    return await _act(request, db, staff, "retried", _service(request).retry(send_id, by=staff.user.display_name))


@router.post("/notices/{notice_id}/read")
async def read_notice(request: Request, db: Db, staff: Supervisor, notice_id: int) -> Response:
    return await _act(request, db, staff, "read", _service(request).mark_read(notice_id))

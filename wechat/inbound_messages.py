"""The messages and events WeChat POSTs, built field for field as the official "接收普通消息" and
"接收事件推送" pages describe them (mirrored by wechatpy's ``messages.py`` and ``events.py``)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime

from wechat.wire_xml import DEFAULT_ACCOUNT_ID, MASS_HELPER_ID, XmlValue, _epoch, next_msg_id, render_xml


def _header(from_user: str, to_user: str, at: datetime | None, msg_type: str) -> dict[str, XmlValue]:
    return {"ToUserName": to_user, "FromUserName": from_user, "CreateTime": _epoch(at), "MsgType": msg_type}


def _message(
    from_user: str,
    to_user: str,
    at: datetime | None,
    msg_type: str,
    body: Mapping[str, XmlValue],
    msg_id: int | None,
) -> str:
    fields = _header(from_user, to_user, at, msg_type)
    fields.update(body)
    fields["MsgId"] = next_msg_id() if msg_id is None else msg_id
    return render_xml(fields)


def _event(from_user: str, to_user: str, at: datetime | None, event: str, body: Mapping[str, XmlValue]) -> str:
    fields = _header(from_user, to_user, at, "event")
    fields["Event"] = event
    fields.update(body)
    return render_xml(fields)


def _media_id() -> str:
    return secrets.token_urlsafe(48)[:64]


def text_message(
    from_user: str,
    content: str,
    *,
    to_user: str = DEFAULT_ACCOUNT_ID,
    at: datetime | None = None,
    msg_id: int | None = None,
) -> str:
    return _message(from_user, to_user, at, "text", {"Content": content}, msg_id)


def image_message(
    from_user: str,
    *,
    pic_url: str = "http://mmbiz.qpic.cn/mmbiz_jpg/fake/0",
    media_id: str | None = None,
    to_user: str = DEFAULT_ACCOUNT_ID,
    at: datetime | None = None,
    msg_id: int | None = None,
) -> str:
    body: dict[str, XmlValue] = {"PicUrl": pic_url, "MediaId": media_id or _media_id()}
    return _message(from_user, to_user, at, "image", body, msg_id)


def voice_message(
    from_user: str,
    *,
    recognition: str | None = None,
    media_id: str | None = None,
    audio_format: str = "amr",
    to_user: str = DEFAULT_ACCOUNT_ID,
    at: datetime | None = None,
    msg_id: int | None = None,
) -> str:
    """Voice message; ``Recognition`` is present only when the account enabled speech recognition, and
    WeChat then also sends ``MediaId16K``."""
    media = media_id or _media_id()
    body: dict[str, XmlValue] = {"MediaId": media, "Format": audio_format}
    if recognition is not None:
        body["MediaId16K"] = media + "16K"
        body["Recognition"] = recognition
    return _message(from_user, to_user, at, "voice", body, msg_id)


def video_message(
    from_user: str,
    *,
    short: bool = False,
    media_id: str | None = None,
    thumb_media_id: str | None = None,
    to_user: str = DEFAULT_ACCOUNT_ID,
    at: datetime | None = None,
    msg_id: int | None = None,
) -> str:
    """``video`` or, with ``short=True``, ``shortvideo`` (same fields)."""
    body: dict[str, XmlValue] = {
        "MediaId": media_id or _media_id(),
        "ThumbMediaId": thumb_media_id or _media_id(),
    }
    return _message(from_user, to_user, at, "shortvideo" if short else "video", body, msg_id)


def location_message(
    from_user: str,
    latitude: float,
    longitude: float,
    *,
    label: str = "",
    scale: int = 15,
    to_user: str = DEFAULT_ACCOUNT_ID,
    at: datetime | None = None,
    msg_id: int | None = None,
) -> str:
    """A location the user picked and sent; ``Location_X`` is the latitude, ``Location_Y`` the longitude."""
    body: dict[str, XmlValue] = {
        "Location_X": latitude,
        "Location_Y": longitude,
        "Scale": scale,
        "Label": label,
    }
    return _message(from_user, to_user, at, "location", body, msg_id)


def link_message(
    from_user: str,
    url: str,
    *,
    title: str = "",
    description: str = "",
    to_user: str = DEFAULT_ACCOUNT_ID,
    at: datetime | None = None,
    msg_id: int | None = None,
) -> str:
    body: dict[str, XmlValue] = {"Title": title, "Description": description, "Url": url}
    return _message(from_user, to_user, at, "link", body, msg_id)


def subscribe_event(
    from_user: str,
    *,
    scene: str | None = None,
    ticket: str | None = None,
    to_user: str = DEFAULT_ACCOUNT_ID,
    at: datetime | None = None,
) -> str:
    """A follow; following through a parametric QR code adds ``EventKey=qrscene_<scene>`` and ``Ticket``."""
    body: dict[str, XmlValue] = {}
    if scene is not None:
        body["EventKey"] = f"qrscene_{scene}"
        body["Ticket"] = ticket or secrets.token_urlsafe(24)
    return _event(from_user, to_user, at, "subscribe", body)


def unsubscribe_event(from_user: str, *, to_user: str = DEFAULT_ACCOUNT_ID, at: datetime | None = None) -> str:
    return _event(from_user, to_user, at, "unsubscribe", {})


def scan_event(
    from_user: str,
    scene: str,
    *,
    ticket: str | None = None,
    to_user: str = DEFAULT_ACCOUNT_ID,
    at: datetime | None = None,
) -> str:
    """An existing follower scanned a parametric QR code: ``EventKey`` is the bare scene (no prefix)."""
    body: dict[str, XmlValue] = {"EventKey": scene, "Ticket": ticket or secrets.token_urlsafe(24)}
    return _event(from_user, to_user, at, "SCAN", body)


def click_event(from_user: str, key: str, *, to_user: str = DEFAULT_ACCOUNT_ID, at: datetime | None = None) -> str:
    return _event(from_user, to_user, at, "CLICK", {"EventKey": key})


def view_event(
    from_user: str,
    url: str,
    *,
    menu_id: int | None = None,
    to_user: str = DEFAULT_ACCOUNT_ID,
    at: datetime | None = None,
) -> str:
    body: dict[str, XmlValue] = {"EventKey": url}
    if menu_id is not None:
        body["MenuId"] = menu_id
    return _event(from_user, to_user, at, "VIEW", body)


def location_report_event(
    from_user: str,
    latitude: float,
    longitude: float,
    *,
    precision: float = 65.0,
    to_user: str = DEFAULT_ACCOUNT_ID,
    at: datetime | None = None,
) -> str:
    """The periodic ``LOCATION`` report (not a message the user typed)."""
    body: dict[str, XmlValue] = {"Latitude": latitude, "Longitude": longitude, "Precision": precision}
    return _event(from_user, to_user, at, "LOCATION", body)


def mass_send_job_finish_event(
    msg_id: int,
    *,
    total_count: int,
    filter_count: int,
    sent_count: int,
    error_count: int,
    status: str = "send success",
    from_user: str = MASS_HELPER_ID,
    to_user: str = DEFAULT_ACCOUNT_ID,
    at: datetime | None = None,
) -> str:
    """WeChat's report that a mass send finished. Note the element is ``MsgID`` (capital D) here, unlike
    ``MsgId`` on messages; ``Status`` is "send success", "send fail" or "err(<code>)"."""
    body: dict[str, XmlValue] = {
        "MsgID": msg_id,
        "Status": status,
        "TotalCount": total_count,
        "FilterCount": filter_count,
        "SentCount": sent_count,
        "ErrorCount": error_count,
    }
    return _event(from_user, to_user, at, "MASSSENDJOBFINISH", body)


def template_send_job_finish_event(
    from_user: str,
    msg_id: int,
    *,
    status: str = "success",
    to_user: str = DEFAULT_ACCOUNT_ID,
    at: datetime | None = None,
) -> str:
    """Delivery report of one template message; ``Status`` is "success", "failed:user block" or
    "failed: system failed" (official "模板消息" page)."""
    return _event(from_user, to_user, at, "TEMPLATESENDJOBFINISH", {"MsgID": msg_id, "Status": status})

"""What WeChat POSTs to our webhook, built and signed exactly as WeChat does it.

The simulator, the tests and the benchmark must exercise the webhook through the same bytes the real
platform sends, otherwise a bug in signature checking or decryption only shows up in production.
Crypto is wechatpy's (``PrpCrypto``, ``WeChatSigner``); only the request side of the protocol, which
wechatpy does not implement because a server never needs it, is written here.

Sources for the wire format:
- URL check / plain signature: sha1 of the sorted ``token, timestamp, nonce`` — official "接入指南",
  vector ``token='test', timestamp='1410685589', nonce='test'`` from wechatpy ``tests/test_utils.py``.
- Safe/compat mode: ``msg_signature = sha1(sort(token, timestamp, nonce, Encrypt))`` and
  ``Encrypt = base64(AES-256-CBC(random16 + len4(network order) + xml + appid))`` with IV = key[:16]
  and PKCS#7 padding to 32 bytes — official "消息加解密说明" and the official WXBizMsgCrypt samples.
- Message fields: official "接收普通消息" / "接收事件推送" pages, mirrored by wechatpy's ``messages.py``
  and ``events.py``.
"""

from __future__ import annotations

import base64
import itertools
import secrets
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET
from wechatpy.crypto import PrpCrypto
from wechatpy.utils import WeChatSigner

Mode = Literal["plain", "compat", "aes"]
XmlValue = str | int | float | Mapping[str, "XmlValue"]

#: Original ID (``gh_…``) of the official account; WeChat puts it in ``ToUserName`` of inbound messages.
DEFAULT_ACCOUNT_ID = "gh_qiaolian00001"
#: Sender of MASSSENDJOBFINISH per the official "事件推送群发结果" page (群发助手).
MASS_HELPER_ID = "mphelper"

# WeChat MsgIds are 64-bit integers such as 6054768590064713728; a process-wide counter from a random base
# keeps them unique (the webhook de-duplicates on MsgId) without colliding across simulator runs.
_msg_ids = itertools.count(6_000_000_000_000_000_000 + secrets.randbelow(10**17))


class ReplyVerificationError(ValueError):
    """The server's passive reply is not what WeChat would accept (bad signature, wrong appid, plaintext
    where a cipher was required)."""


def next_msg_id() -> int:
    return next(_msg_ids)


def _epoch(at: datetime | None) -> int:
    if at is None:
        return int(time.time())
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("WeChat timestamps must come from timezone-aware datetimes")
    return int(at.timestamp())


def _cdata(text: str) -> str:
    # "]]>" cannot appear inside one CDATA section; split it across two, as XML requires.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _render_value(value: XmlValue) -> str:
    if isinstance(value, bool):
        raise TypeError("WeChat XML has no booleans")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return _cdata(value)
    return "".join(f"<{key}>{_render_value(inner)}</{key}>" for key, inner in value.items())


def render_xml(fields: Mapping[str, XmlValue]) -> str:
    """Render as WeChat does: strings in CDATA, numbers bare, one element per line."""
    lines = [f"<{key}>{_render_value(value)}</{key}>" for key, value in fields.items()]
    return "<xml>\n" + "\n".join(lines) + "\n</xml>"


def _element_to_value(element: Element) -> Any:
    children = list(element)
    if not children:
        return element.text or ""
    result: dict[str, Any] = {}
    for child in children:
        value = _element_to_value(child)
        if child.tag in result:
            existing = result[child.tag]
            if isinstance(existing, list):
                existing.append(value)
            else:
                result[child.tag] = [existing, value]
        else:
            # News replies' <Articles> hold <item>s; keep them a list even when there is only one.
            result[child.tag] = [value] if child.tag == "item" else value
    return result


def parse_xml(xml: str | bytes) -> dict[str, Any]:
    """Parse WeChat XML into a dict (leaf text as str, nested elements as dicts, repeated ones as lists).

    defusedxml because the same helper may read untrusted bodies."""
    root = SafeET.fromstring(xml)
    value = _element_to_value(root)
    return value if isinstance(value, dict) else {}


# --- message builders -------------------------------------------------------------------------------


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


# --- signing and encryption -------------------------------------------------------------------------


def url_signature(token: str, timestamp: str, nonce: str) -> str:
    """``signature`` query parameter: sha1 over the lexicographically sorted token, timestamp, nonce."""
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce)
    return str(signer.signature)


def msg_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """``msg_signature`` / ``MsgSignature``: the same sha1 with the ``Encrypt`` text as a fourth item."""
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce, encrypt)
    return str(signer.signature)


def _aes_key_bytes(aes_key: str) -> bytes:
    if len(aes_key) != 43:
        raise ValueError("EncodingAESKey must be 43 characters")
    key = base64.b64decode(aes_key + "=")
    if len(key) != 32:
        raise ValueError("EncodingAESKey must decode to 32 bytes")
    return key


class _FixedPrefixCrypto(PrpCrypto):
    """PrpCrypto with the 16-byte random prefix pinned, so published vectors can be reproduced."""

    def __init__(self, key: bytes, prefix: str) -> None:
        super().__init__(key)
        self._prefix = prefix

    def get_random_string(self) -> str:
        return self._prefix


def encrypt_payload(plaintext: str, aes_key: str, appid: str, *, random_prefix: str | None = None) -> str:
    """The ``Encrypt`` text for ``plaintext``; ``random_prefix`` (16 chars) only for reproducing vectors."""
    key = _aes_key_bytes(aes_key)
    if random_prefix is not None:
        if len(random_prefix.encode()) != 16:
            raise ValueError("random_prefix must be 16 bytes")
        crypto: PrpCrypto = _FixedPrefixCrypto(key, random_prefix)
    else:
        crypto = PrpCrypto(key)
    encrypted: bytes = crypto.encrypt(plaintext, appid)
    return encrypted.decode("ascii")


def decrypt_payload(encrypt: str, aes_key: str, appid: str) -> str:
    """Inverse of :func:`encrypt_payload`; raises wechatpy's ``InvalidAppIdException`` on another appid."""
    return str(PrpCrypto(_aes_key_bytes(aes_key)).decrypt(encrypt, appid))


def _nonce() -> str:
    # WeChat's nonces are decimal strings of up to 10 digits, e.g. "1320562132".
    return str(secrets.randbelow(9 * 10**9) + 10**9)


def sign_get(token: str, echostr: str, *, at: datetime | None = None, nonce: str | None = None) -> dict[str, str]:
    """Query string of WeChat's server-URL check (GET). Official accounts sign it in plain form in every
    mode and expect ``echostr`` echoed back verbatim."""
    timestamp = str(_epoch(at))
    nonce = nonce or _nonce()
    return {
        "signature": url_signature(token, timestamp, nonce),
        "echostr": echostr,
        "timestamp": timestamp,
        "nonce": nonce,
    }


def _sender(xml: str) -> str | None:
    sender = parse_xml(xml).get("FromUserName")
    return sender if isinstance(sender, str) and sender else None


def sign_post(
    xml: str,
    mode: Mode,
    token: str,
    aes_key: str | None = None,
    appid: str | None = None,
    *,
    at: datetime | None = None,
    nonce: str | None = None,
    openid: str | None = None,
    random_prefix: str | None = None,
) -> tuple[dict[str, str], bytes]:
    """Query parameters and body of the POST WeChat makes for ``xml`` in the given security mode.

    - plain: body is the XML; query ``signature, timestamp, nonce, openid``.
    - compat (兼容模式): body keeps every plaintext field and adds ``Encrypt``; query adds
      ``encrypt_type=aes`` and ``msg_signature``.
    - aes (安全模式): body is only ``ToUserName`` + ``Encrypt``; same query as compat.
    WeChat keeps sending the plain ``signature`` in the encrypted modes too.
    """
    timestamp = str(_epoch(at))
    nonce = nonce or _nonce()
    query: dict[str, str] = {
        "signature": url_signature(token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
    }
    sender = openid if openid is not None else _sender(xml)
    if sender is not None:
        query["openid"] = sender
    if mode == "plain":
        return query, xml.encode("utf-8")
    if aes_key is None or appid is None:
        raise ValueError(f"mode {mode!r} needs aes_key and appid")
    encrypt = encrypt_payload(xml, aes_key, appid, random_prefix=random_prefix)
    query["encrypt_type"] = "aes"
    query["msg_signature"] = msg_signature(token, timestamp, nonce, encrypt)
    if mode == "compat":
        closing = xml.rstrip().rfind("</xml>")
        if closing < 0:
            raise ValueError("not a WeChat XML document")
        body = xml.rstrip()[:closing] + f"<Encrypt>{_cdata(encrypt)}</Encrypt>\n</xml>"
    elif mode == "aes":
        to_user = parse_xml(xml).get("ToUserName", "")
        body = render_xml({"ToUserName": to_user if isinstance(to_user, str) else "", "Encrypt": encrypt})
    else:
        raise ValueError(f"unknown mode {mode!r}")
    return query, body.encode("utf-8")


def decode_reply(
    body: bytes | str,
    mode: Mode,
    token: str,
    aes_key: str | None = None,
    appid: str | None = None,
    *,
    expect_nonce: str | None = None,
) -> dict[str, Any] | None:
    """Check and parse the server's passive reply as WeChat would; ``None`` for "no reply".

    An empty body or the literal ``success`` tells WeChat not to reply (official "被动回复用户消息").
    In aes mode the reply must be encrypted; in compat mode WeChat accepts either form. ``expect_nonce``
    checks that the reply echoes the request's nonce, as the official samples do.
    """
    raw = body.decode("utf-8") if isinstance(body, bytes) else body
    if raw.strip() in ("", "success"):
        return None
    outer = parse_xml(raw)
    if "Encrypt" not in outer:
        if mode == "aes":
            raise ReplyVerificationError("safe mode requires an encrypted reply")
        return outer
    if mode == "plain":
        raise ReplyVerificationError("plain mode got an encrypted reply")
    if aes_key is None or appid is None:
        raise ValueError(f"mode {mode!r} needs aes_key and appid")
    encrypt, signature = str(outer["Encrypt"]), outer.get("MsgSignature")
    timestamp, nonce = outer.get("TimeStamp"), outer.get("Nonce")
    if not (isinstance(signature, str) and isinstance(timestamp, str) and isinstance(nonce, str)):
        raise ReplyVerificationError("encrypted reply lacks MsgSignature/TimeStamp/Nonce")
    if not timestamp.isdigit():
        raise ReplyVerificationError(f"TimeStamp {timestamp!r} is not epoch seconds")
    if expect_nonce is not None and nonce != expect_nonce:
        raise ReplyVerificationError(f"reply nonce {nonce!r} does not echo request nonce {expect_nonce!r}")
    if msg_signature(token, timestamp, nonce, encrypt) != signature:
        raise ReplyVerificationError("MsgSignature mismatch")
    try:
        inner = decrypt_payload(encrypt, aes_key, appid)
    except Exception as exc:  # wechatpy raises InvalidAppIdException or low-level decode errors
        raise ReplyVerificationError(f"cannot decrypt reply: {exc!r}") from exc
    return parse_xml(inner)

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
import secrets
from datetime import datetime
from typing import Any, Literal

from wechatpy.crypto import PrpCrypto
from wechatpy.utils import WeChatSigner

from wechat.inbound_messages import (  # the builders are part of this module's API: what WeChat sends
    click_event,
    image_message,
    link_message,
    location_message,
    location_report_event,
    mass_send_job_finish_event,
    scan_event,
    subscribe_event,
    template_send_job_finish_event,
    text_message,
    unsubscribe_event,
    video_message,
    view_event,
    voice_message,
)
from wechat.wire_xml import (
    DEFAULT_ACCOUNT_ID,
    MASS_HELPER_ID,
    XmlValue,
    _cdata,
    _epoch,
    next_msg_id,
    parse_xml,
    render_xml,
)

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "MASS_HELPER_ID",
    "Mode",
    "ReplyVerificationError",
    "XmlValue",
    "click_event",
    "decode_reply",
    "decrypt_payload",
    "encrypt_payload",
    "image_message",
    "link_message",
    "location_message",
    "location_report_event",
    "mass_send_job_finish_event",
    "msg_signature",
    "next_msg_id",
    "parse_xml",
    "render_xml",
    "scan_event",
    "sign_get",
    "sign_post",
    "subscribe_event",
    "template_send_job_finish_event",
    "text_message",
    "unsubscribe_event",
    "url_signature",
    "video_message",
    "view_event",
    "voice_message",
]

Mode = Literal["plain", "compat", "aes"]

class ReplyVerificationError(ValueError):
    """The server's passive reply is not what WeChat would accept (bad signature, wrong appid, plaintext
    where a cipher was required)."""


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

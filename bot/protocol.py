"""The WeChat callback protocol: signatures, safe XML parsing and the AES envelope.

Spec: 微信公众平台 "接入概述" (signature = sha1 of the sorted token, timestamp and nonce) and
"消息加解密说明" (safe mode: msg_signature = sha1 of sorted token, timestamp, nonce and Encrypt; the payload is
AES-256-CBC over random(16) + len(4) + msg + appid with PKCS#7 padding to 32 bytes).
In compatible mode the XML carries both plaintext fields and ``Encrypt``; we trust only the encrypted copy,
and once an EncodingAESKey is configured a plaintext callback is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Literal
from xml.etree.ElementTree import Element, ParseError, fromstring

from bot.aes import AppIdMismatch, EnvelopeError, WeChatAes

Mode = Literal["plain", "compat", "aes"]


class ProtocolError(Exception):
    """A request WeChat would never send. ``status`` is the HTTP answer; ``public`` is safe to show."""

    def __init__(self, status: int, public: str, detail: str = "") -> None:
        super().__init__(detail or public)
        self.status = status
        self.public = public


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def signature_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected, given.lower())


def parse_xml(body: bytes | str) -> dict[str, Any]:
    """Parse a WeChat XML document into a flat dict, refusing DTDs and entities (XXE, billion laughs).

    Entities can only be declared inside a DOCTYPE, so a document without one cannot expand or fetch
    anything; refusing ``<!DOCTYPE``/``<!ENTITY`` in the decoded text (not the bytes, which a UTF-16
    document could disguise) gives defusedxml's protection without building its parser per request.
    """
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        raise ProtocolError(400, "malformed xml", "body is not UTF-8") from None
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ProtocolError(400, "xml with a DTD or entities is not accepted")
    try:
        root = fromstring(text)
    except (ParseError, ValueError, SyntaxError, RecursionError) as exc:
        raise ProtocolError(400, "malformed xml", repr(exc)) from None
    if root.tag != "xml":
        raise ProtocolError(400, "malformed xml", f"root element is {root.tag!r}")
    return _children(root)


#: WeChat's deepest callback (pic_sysphoto: SendPicsInfo > PicList > item > PicMd5Sum) is 4 levels below
#: the root; anything much deeper is not from WeChat, and unbounded recursion would end in a 500.
MAX_XML_DEPTH = 8


def _children(element: Element, depth: int = 1) -> dict[str, Any]:
    if depth > MAX_XML_DEPTH:
        raise ProtocolError(400, "malformed xml", f"nested deeper than {MAX_XML_DEPTH} levels")
    result: dict[str, Any] = {}
    for child in element:
        result[child.tag] = _children(child, depth + 1) if len(child) else (child.text or "")
    return result


@dataclass(frozen=True)
class Envelope:
    """A verified, decrypted inbound request."""

    mode: Mode
    message: dict[str, Any]
    plaintext: bytes


_ENCRYPT = re.compile(r"<Encrypt>\s*(?:<!\[CDATA\[([A-Za-z0-9+/=]*)\]\]>|([A-Za-z0-9+/=]*))\s*</Encrypt>")


def _outer_envelope(body: bytes) -> tuple[str, bool]:
    """The ``Encrypt`` payload of an encrypted callback, and whether it is compatible mode.

    Only the encrypted copy is trusted (its signature is checked next), so the outer document is not parsed in
    full on the normal path; anything unusual goes through ``parse_xml`` for its refusals and error messages.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(400, "malformed xml", "body is not UTF-8") from None
    match = _ENCRYPT.search(text) if "<!" not in text.replace("<![CDATA[", "") else None
    if match is not None:
        return match.group(1) or match.group(2) or "", "<FromUserName>" in text
    outer = parse_xml(text)
    encrypted = outer.get("Encrypt")
    if not isinstance(encrypted, str) or not encrypted:
        raise ProtocolError(400, "missing Encrypt element")
    return encrypted, len(outer) > 2


class CallbackCodec:
    """Verifies and opens inbound callbacks and seals replies, for one account's token/key/appid."""

    def __init__(self, token: str, appid: str, aes_key: str | None) -> None:
        self.token = token
        self.appid = appid
        self.aes_key = aes_key or None
        self._aes = WeChatAes(aes_key, appid) if aes_key else None

    def check_url_signature(self, signature: str | None, timestamp: str, nonce: str) -> bool:
        return signature_matches(sha1_signature(self.token, timestamp, nonce), signature)

    def open(
        self,
        body: bytes,
        *,
        signature: str | None,
        timestamp: str,
        nonce: str,
        encrypt_type: str | None,
        msg_signature: str | None,
    ) -> Envelope:
        if not self.check_url_signature(signature, timestamp, nonce):
            raise ProtocolError(403, "invalid signature")
        if not encrypt_type or encrypt_type == "raw":
            if self._aes is not None:
                # In plaintext the signature does not cover the body; with a key configured WeChat sends
                # every callback encrypted (compatible mode too), so a plaintext one is not from WeChat.
                raise ProtocolError(403, "plaintext callbacks are not accepted when an EncodingAESKey is set")
            return Envelope("plain", parse_xml(body), body)
        if encrypt_type != "aes":
            raise ProtocolError(400, "unsupported encrypt_type")
        if self._aes is None:
            raise ProtocolError(400, "encrypted message but no EncodingAESKey is configured")
        encrypted, compat = _outer_envelope(body)
        if not msg_signature:
            raise ProtocolError(400, "missing msg_signature")
        if not signature_matches(sha1_signature(self.token, timestamp, nonce, encrypted), msg_signature):
            raise ProtocolError(403, "invalid msg_signature")
        try:
            plaintext = self._aes.decrypt(encrypted)
        except AppIdMismatch:
            raise ProtocolError(400, "message is not for this account", "appid mismatch") from None
        except EnvelopeError as exc:
            raise ProtocolError(400, "cannot decrypt message", repr(exc)) from None
        return Envelope("compat" if compat else "aes", parse_xml(plaintext), plaintext)

    def seal(self, reply_xml: str, mode: Mode, nonce: str | None = None) -> str:
        """Wrap a passive reply for the mode of the request it answers (encrypted modes get encrypted replies,
        carrying their own MsgSignature/TimeStamp/Nonce; like the official samples we echo the request's nonce)."""
        if mode == "plain" or self._aes is None:
            return reply_xml
        nonce = nonce or secrets.token_hex(8)
        timestamp = str(int(time.time()))
        encrypted = self._aes.encrypt(reply_xml.encode("utf-8"))
        signature = sha1_signature(self.token, timestamp, nonce, encrypted)
        return (
            f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt><MsgSignature><![CDATA[{signature}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )

"""WeChat's XML on the wire: rendered as WeChat renders it (strings in CDATA, numbers bare) and parsed
safely (defusedxml), plus the ids and timestamps messages carry."""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

XmlValue = str | int | float | Mapping[str, "XmlValue"]

#: Original ID (``gh_…``) of the official account; WeChat puts it in ``ToUserName`` of inbound messages.
DEFAULT_ACCOUNT_ID = "gh_qiaolian00001"
#: Sender of MASSSENDJOBFINISH per the official "事件推送群发结果" page (群发助手).
MASS_HELPER_ID = "mphelper"

# WeChat MsgIds are 64-bit integers such as 6054768590064713728; a process-wide counter from a random base
# keeps them unique (the webhook de-duplicates on MsgId) without colliding across simulator runs.
_msg_ids = itertools.count(6_000_000_000_000_000_000 + secrets.randbelow(10**17))


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

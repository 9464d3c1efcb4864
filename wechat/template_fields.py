"""What a template message's fields may hold since WeChat's 2023 rules, and fitting our text to them.

Since 2023-05-04 (《关于规范公众号模板消息的再次公告》, https://mp.weixin.qq.com/s/hvLO4Vs75NXDA__SxuyKXw;
the WeChat team's answers at https://developers.weixin.qq.com/community/develop/doc/000e625b200d3812d7611d5696b000
and …/000062830a0e50a680925c45966000) template messages no longer show the ``first`` and ``remark`` fields
(they are filtered out), custom colours are shown in the default colour and emoji as "□". Templates added
since are *category templates* (类目模板): every field is typed by its name (``thing1``, ``character_string2``,
``time3`` …) and a value that breaks the type's rule is refused with 47003 "argument invalid!
data.<field>.value invalid" (official "发送模板消息" page, 类目模板消息参数值内容限制说明,
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html, and
https://developers.weixin.qq.com/community/develop/doc/0002888d8801e897a561dfe6e61800: "thing字段限制20个以内
字符, 若超出20个字符会报错"). So a notice must say everything in its typed fields, short.

Pure: the fake WeChat API checks payloads with ``value_problem``; our senders build them with ``fit``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import Any

#: Fields of the pre-2023 templates that WeChat no longer shows.
DEPRECATED_FIELDS = frozenset({"first", "remark"})

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KEY = re.compile(r"^([a-z_]+?)(\d+)$")
_TIME_OF_DAY = r"\d{1,2}:\d{2}(:\d{2})?"
_DATE = r"(\d{4}年)?\d{1,2}月\d{1,2}日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
_TIME_POINT = rf"(({_DATE})\s?)?{_TIME_OF_DAY}"
_DATE_POINT = rf"({_DATE})(\s?{_TIME_OF_DAY})?"
_ASCII_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")

# type -> (the longest value in characters, a pattern the whole value must match or None)
RULES: dict[str, tuple[int, re.Pattern[str] | None]] = {
    "thing": (20, None),  # 20 个以内字符，可汉字、数字、字母或符号组合
    "character_string": (32, _ASCII_PRINTABLE),  # 32 位以内数字、字母或符号（不支持中文）
    "number": (32, re.compile(r"^-?\d+(\.\d+)?$")),
    "letter": (32, re.compile(r"^[A-Za-z]+$")),
    "symbol": (5, re.compile(r"^[^\w\s]+$")),
    "time": (64, re.compile(rf"^{_TIME_POINT}(\s?~\s?{_TIME_POINT})?$")),  # 24 小时制时间，可带年月日，时段用 ~
    "date": (64, re.compile(rf"^{_DATE_POINT}(\s?~\s?{_DATE_POINT})?$")),
    "amount": (16, re.compile(r"^[¥$€£]?\d{1,12}(\.\d+)?元?$")),
    "phone_number": (17, re.compile(r"^[\d+\-() ]+$")),
    "car_number": (8, None),
    "name": (20, None),  # 10 个以内纯汉字或 20 个以内纯字母或符号
    "phrase": (5, re.compile(rf"^[{_HAN}]+$")),  # 5 个以内纯汉字
    "const": (20, None),
}


def field_type(key: str) -> str | None:
    """``thing2`` -> ``thing``; None for a name that is not a category-template field."""
    match = _KEY.match(key)
    if match is None or match.group(1) not in RULES:
        return None
    return match.group(1)


def _has_emoji(value: str) -> bool:
    return any(unicodedata.category(ch) == "So" or 0x1F000 <= ord(ch) <= 0x1FAFF for ch in value)


def value_problem(key: str, value: object) -> str | None:
    """Why WeChat would refuse ``value`` in field ``key`` of a category template; None when it is fine."""
    kind = field_type(key)
    if kind is None:
        return "not a field of a category template" + (
            " (deprecated since 2023-05-04)" if key in DEPRECATED_FIELDS else ""
        )
    if not isinstance(value, str) or not value.strip():
        return "empty"
    limit, pattern = RULES[kind]
    if kind == "name" and re.search(f"[{_HAN}]", value):
        limit = 10
    if len(value) > limit:
        return f"longer than {limit} characters"
    if "\n" in value or "\r" in value:
        return "line break"
    if _has_emoji(value):
        return "emoji"
    if pattern is not None and not pattern.match(value):
        return f"not a {kind} value"
    return None


def data_problems(data: Mapping[str, Any]) -> list[str]:
    """Every field of a template's ``data`` that WeChat would refuse, as ``data.<key>.value invalid``."""
    problems = []
    for key, field in data.items():
        if not isinstance(field, Mapping) or value_problem(key, field.get("value")) is not None:
            problems.append(f"data.{key}.value invalid")
    return problems


def fit(key: str, value: str) -> str:
    """``value`` made acceptable for field ``key``: one line, no emoji, clipped to the type's length (with
    "…"). Only for free-text types; a value of a strict type (a number, a time) must be built right."""
    kind = field_type(key)
    text = " ".join(value.split())
    text = "".join(ch for ch in text if not _has_emoji(ch))
    if kind is None:
        return text
    limit = RULES[kind][0]
    if kind == "name" and re.search(f"[{_HAN}]", text):
        limit = 10
    return text if len(text) <= limit else text[: limit - 1] + "…"


def template_data(fields: Mapping[str, str], values: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The ``data`` of a template message: ``fields`` maps our slots (``number``, ``status`` …) to the
    template's field names, ``values`` gives each slot's text. Values are fitted; no colours (not shown since
    2023); a slot the template does not have is left out."""
    return {key: {"value": fit(key, values[slot])} for slot, key in fields.items() if slot in values}


def time_value(at: datetime, tz: tzinfo) -> str:
    """A ``time`` field's value: 24-hour time with the date, e.g. "2026年12月1日 14:30"."""
    local = at.astimezone(tz)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"

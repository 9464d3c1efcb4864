"""What a named foreign country stands for in a message: where the user is, where they go, or a foreign system.

"在美国…" and "美国的朋友" say where the user or someone lives; "去泰国免签吗" asks about a trip's destination
(Thailand's rules, not China's); "美国商标", "US green card" ask about that country's own system, which the
federation's KB usually does not answer. faq.analysis reads each named country (a form of #abroad that is not
a generic "国外") with these rules, from the words just before and after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# Words for "abroad" in general: they name no country.
GENERIC_ABROAD = frozenset({"国外", "海外", "外国", "境外", "在外", "驻外", "国外的", "abroad", "overseas"})
_ABROAD = "#abroad"
_LOCATION_MARKERS = frozenset(
    {
        "在",
        "于",
        "住在",
        "从",
        "到",
        "去",
        "来自",
        "人在",
        "身在",
        "in",
        "from",
        "at",
        "to",
        "living",
        "live",
        "住",
        "喺",
        "系",
        "去过",
        "移民",
        "移民到",
        "定居",
        "留学",
        "来",
        "来到",
        "回",
        "回到",
        "返回",
        "待在",
        "呆在",
        "留在",
        "搬到",
        "搬去",
    }
)
# A token ending in one of these stands for the marker itself ("签在伦敦", "住喺多伦多").
_LOCATION_SUFFIXES = ("在", "喺", "于")
# Before a named country these make it where the user is going: "去泰国免签吗" asks about
# Thailand's rules, not China's.
_DESTINATION_MARKERS = frozenset({"去", "到", "飞", "飞去", "前往", "去到", "to"})
# A country followed by these names a person's nationality or origin, not a foreign system.
_PERSON_MARKERS = frozenset(
    {"籍", "人", "国籍", "公民", "华人", "华裔", "华侨", "侨胞", "老公", "老婆", "朋友", "男朋友", "女朋友"}
    | {"citizen", "citizens", "citizenship", "national", "nationals", "nationality", "passport", "people", "person"}
    | {"man", "woman", "wife", "husband", "friend", "boyfriend", "girlfriend", "colleague", "partner", "descent"}
)
# Any of these in the message means it is about China after all ("拿了加拿大护照，中国护照还能用吗").
_DOMESTIC_CONCEPTS = frozenset({"#domestic", "#chinese_citizen"})


def names_a_country(token: str, matched: frozenset[str]) -> bool:
    """Whether a token read as #abroad names a specific foreign country or city (not "国外", "overseas")."""
    return _ABROAD in matched and token not in GENERIC_ABROAD


def is_destination(tokens: list[str], i: int) -> bool:
    """Whether the country at tokens[i] is where the user is going ("去泰国", "to Japan")."""
    return bool(i) and tokens[i - 1] in _DESTINATION_MARKERS


def is_foreign_system(
    tokens: list[str], i: int, width: int, forms: Mapping[str, frozenset[str]], stopwords: frozenset[str]
) -> bool:
    """Whether the country at tokens[i : i + width] is an attribute ("美国商标", "US green card") rather than
    where someone is ("在美国…", "西班牙马德里") or whose nationality ("美国籍", "美国的朋友")."""
    token = tokens[i]
    previous = tokens[i - 1] if i else ""
    following = [t for t in tokens[i + width : i + width + 2] if t != "的"]
    return bool(
        not token.endswith("籍")  # 美国籍: a person's nationality, never a system
        and previous not in _LOCATION_MARKERS
        # "工签在伦敦": jieba joined 在 to the word before; "西班牙马德里": a city in a country
        and not previous.endswith(_LOCATION_SUFFIXES)
        and not (i and _ABROAD in (forms.get(previous) or ()))
        and following
        and following[0] not in _PERSON_MARKERS
        and following[0] not in stopwords
    )


def about_china(units: Iterable[str]) -> bool:
    """Whether the message is about China after all, whatever foreign system it names."""
    return bool(_DOMESTIC_CONCEPTS & set(units))

from __future__ import annotations

import pytest

from faq.script import is_traditional, to_traditional


@pytest.mark.parametrize(
    ("text", "traditional"),
    [
        ("護照過期了怎麼辦", True),
        ("我的回鄉證丟了", True),
        ("护照过期了怎么办", False),
        ("hello passport", False),
        ("", False),
        ("中国", False),  # shared characters only: default to Simplified
        ("請問 passport 怎麼 renew", True),
    ],
)
def test_is_traditional(text: str, traditional: bool) -> None:
    assert is_traditional(text) is traditional


def test_to_traditional_round_trip_detects_as_traditional() -> None:
    answer = "请通过中国领事APP申请换发护照，办理时间约为两周。"
    converted = to_traditional(answer)
    assert converted != answer
    assert "護照" in converted and "領事" in converted
    assert is_traditional(converted)
    assert "APP" in converted  # Latin text is left alone


def test_bie_is_not_turned_into_the_bie_of_awkward() -> None:
    from faq.script import to_traditional

    assert to_traditional("别着急，别担心") == "別著急，別擔心"
    assert to_traditional("这样有点别扭") == "這樣有點彆扭"

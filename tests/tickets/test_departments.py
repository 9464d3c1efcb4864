"""The department document: the shipped file is valid and routes its categories; bad edits are refused with
a message that names the entry at fault."""

from __future__ import annotations

import pytest

from config import CONFIG_DIR
from tickets.departments import DepartmentConfigError, parse_departments

SHIPPED = (CONFIG_DIR / "departments.yaml").read_text(encoding="utf-8")


def test_shipped_file_routes_every_faq_category_it_names() -> None:
    book = parse_departments(SHIPPED)
    assert [d.name for d in book.departments] == ["联络部", "权益保障部", "经济科技部", "文化宣传部", "办公室"]
    assert book.route("出入境") == "rights"
    assert book.route("投资") == "economy"
    assert book.route("没有这个分类") is None
    assert book.route(None) is None
    assert book.name_of(None) == "分派员（未派单）"
    assert book.name_of("gone") == "gone"
    assert {r.code for r in book.referrals} == {"exit_entry", "consulate", "local_qiaoban", "hotline_12345"}
    assert "12367" in (book.referral("exit_entry") or pytest.fail("missing")).guidance


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("departments: [", "YAML 格式错误（第 1 行"),
        ("- a\n- b\n", "应包含 departments 和 referrals"),
        ("departments: []\nteams: []\n", "不认识的项：teams"),
        ("departments: []\n", "至少需要一个部门"),
        ("departments:\n  - code: a b\n    name: 甲\n", "code 应由"),
        ("departments:\n  - code: a\n", "缺少 name"),
        ("departments:\n  - code: a\n    name: 甲\n  - code: a\n    name: 乙\n", "部门 乙（a）：code a 重复"),
        (
            "departments:\n  - code: a\n    name: 甲\n    categories: [法律]\n"
            "  - code: b\n    name: 乙\n    categories: [法律]\n",
            "分类 法律 已分给 甲",
        ),
        ("departments:\n  - code: a\n    name: 甲\n    categories: 法律\n", "categories 应是一个列表"),
        ("departments:\n  - code: a\n    name: 甲\n    owner: x\n", "不认识的字段 owner"),
        ("departments:\n  - code: a\n    name: 甲\nreferrals:\n  - code: r\n    name: 使馆\n", "缺少 guidance"),
        (
            "departments:\n  - code: a\n    name: 甲\nreferrals:\n  - code: a\n    name: 使馆\n    guidance: 去使馆\n",
            "code a 与其他部门或转介去向重复",
        ),
        ("departments:\n  - code: a\n    name: " + "长" * 40 + "\n", "name 最多 32 个字"),
    ],
)
def test_bad_documents_are_refused_with_where_and_why(text: str, message: str) -> None:
    with pytest.raises(DepartmentConfigError) as refused:
        parse_departments(text)
    assert message in refused.value.message

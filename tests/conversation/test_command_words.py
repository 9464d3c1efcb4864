"""Issue 9, fault 5 and issue 13: one validated table of hand-over and status words (简/繁/English), used
by the text handler, the menu and the texts that mention them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from config.settings import COMMAND_WORDS_PATH, TOPIC_MENU_PATH
from handlers.commands import CommandWordsError, command_words, load_command_words
from handlers.menu import TopicMenuError, load_topic_menu, menu_text
from tests.conversation.conftest import tickets_of

ISSUE_HUMAN_WORDS = [
    "人工",
    "转人工",
    "人工客服",
    "真人",
    "客服",
    "找客服",
    "human",
    "agent",
    "staff",
    "轉人工",
    "真人客服",
    "Human",
    "找 客服！",
]
ISSUE_STATUS_WORDS = ["查询", "查詢", "进度", "進度", "status"]


def _table_words(command: str) -> list[str]:
    data = yaml.safe_load(COMMAND_WORDS_PATH.read_text(encoding="utf-8"))
    return [str(word) for word in data["commands"][command]["exact"]]


def test_the_table_holds_every_hand_over_word_the_issue_names() -> None:
    words = command_words()
    for word in ISSUE_HUMAN_WORDS:
        assert words.exact(word) == "human", word
    for word in ISSUE_STATUS_WORDS:
        assert words.exact(word) == "status", word


@pytest.mark.parametrize("word", sorted({*ISSUE_HUMAN_WORDS, *_table_words("human")}))
async def test_every_hand_over_word_asks_for_the_question(new_user, services, word) -> None:  # type: ignore[no-untyped-def]
    user = new_user()
    reply = await user.say(word)
    assert reply is not None and ("请直接描述您要咨询的问题" in reply or "請直接描述您要諮詢的問題" in reply), reply
    created = await user.say("我想问问老家祖屋翻修要办什么手续")
    assert created is not None and "留言编号" in created
    assert len(await tickets_of(services, user.openid)) == 1


@pytest.mark.parametrize("word", sorted({*ISSUE_STATUS_WORDS, *_table_words("status")}))
async def test_every_status_word_reports_tickets(new_user, word) -> None:  # type: ignore[no-untyped-def]
    reply = await new_user().say(word)
    assert reply is not None and ("没有留言记录" in reply or "沒有留言記錄" in reply), reply


async def test_the_menu_button_and_the_word_mean_the_same(new_user) -> None:  # type: ignore[no-untyped-def]
    clicked = await new_user().say("", kind="click", key="HUMAN")
    typed = await new_user().say("找客服")
    assert clicked == typed


async def test_the_menu_names_the_words_the_table_holds(new_user) -> None:  # type: ignore[no-untyped-def]
    menu = await new_user().say("菜单")
    assert menu is not None
    human, status = _table_words("human")[0], _table_words("status")[0]
    assert f"回复“{human}”" in menu and f"回复“{status}”" in menu
    assert menu_text() in menu
    assert menu_text().count("\n") + 1 == len(yaml.safe_load(TOPIC_MENU_PATH.read_text(encoding="utf-8"))["groups"])


def test_a_word_listed_for_two_commands_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(COMMAND_WORDS_PATH.read_text(encoding="utf-8"))
    data["commands"]["status"]["exact"].append("客服")
    path = tmp_path / "words.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CommandWordsError, match="客服"):
        load_command_words(path)


def test_a_missing_command_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(COMMAND_WORDS_PATH.read_text(encoding="utf-8"))
    del data["commands"]["human"]
    path = tmp_path / "words.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CommandWordsError, match="human"):
        load_command_words(path)


def test_a_menu_with_an_unknown_placeholder_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "menu.yaml"
    path.write_text("groups:\n  - {title: 热线, summary: '{humans}', categories: [热线服务]}\n", encoding="utf-8")
    with pytest.raises(TopicMenuError, match="humans"):
        load_topic_menu(path)


def test_the_feedback_words_come_from_the_table_in_both_scripts() -> None:
    """The 有用/没用 line names the table's first words, and every listed form (简/繁/English) is understood."""
    from handlers.answer_feedback import FEEDBACK_PROMPT, FEEDBACK_PROMPT_HANT, feedback_of
    from handlers.commands import command_of

    helpful, unhelpful = _table_words("helpful"), _table_words("unhelpful")
    assert {"有用", "有幫助"} <= set(helpful) and {"没用", "沒用", "沒有用"} <= set(unhelpful)
    assert FEEDBACK_PROMPT.endswith(f"回复 {helpful[0]} / {unhelpful[0]}")
    assert FEEDBACK_PROMPT_HANT == "這個回答有幫助嗎？回覆 有用 / 沒用"
    assert all(feedback_of(w) is True for w in helpful) and all(feedback_of(w) is False for w in unhelpful)
    assert feedback_of("沒用！") is False and feedback_of("Not Helpful.") is False
    assert feedback_of("护照有用吗") is None
    assert all(command_of(w) is None for w in (*helpful, *unhelpful))  # only an answer to the line


def test_a_word_both_helpful_and_unhelpful_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(COMMAND_WORDS_PATH.read_text(encoding="utf-8"))
    data["commands"]["unhelpful"]["exact"].append("有幫助")  # read as 有帮助, already a helpful word
    path = tmp_path / "words.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CommandWordsError, match="有幫助"):
        load_command_words(path)
    del data["commands"]["helpful"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CommandWordsError, match="helpful"):
        load_command_words(path)

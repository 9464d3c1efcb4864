"""Drafting a staff answer from an FAQ answer: keep what answers the question, drop what only the bot says.

FAQ answers end with lines such as "如需进一步帮助，可回复“人工”留言，我们将在2个工作日内答复。". They tell a user
which word to send the bot; in an answer written by a person, who is already helping, they are wrong. A
sentence asking the user to reply with a quoted word (回复“人工”, 回復「查詢」, reply with a number) is such
a line, whatever the word: the rule needs no list of command words. Pure text in, text out.
"""

from __future__ import annotations

import re

# 回复/回復/发送/發送 + a quoted word of up to 8 characters, or 回复序号/数字.
_BOT_INSTRUCTION = re.compile(r"(回[复復]|[发發]送)\s*(?:[“「\"'‘『][^”」\"'’』]{1,8}[”」\"'’』]|序[号號]|[数數]字)")
_SENTENCE = re.compile(r"[^。！？!?\n]*(?:[。！？!?]+|$)")


def staff_draft(faq_answer: str) -> str:
    """``faq_answer`` without the sentences that only make sense coming from the bot."""
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", faq_answer.strip()):
        lines = []
        for line in paragraph.splitlines():
            kept = "".join(s for s in _SENTENCE.findall(line) if s and not _BOT_INSTRUCTION.search(s))
            if kept.strip() or not line.strip():
                lines.append(kept.rstrip())
        text = "\n".join(lines).strip()
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)

"""Whether a message asks about one particular case, person, office or earlier request.

The KB answers in general: how property rights are protected, how to reach a local 侨联, how a 归侨证明 is
issued. "我家在台山的老房子被亲戚占了，请律师要多少钱", "台山市侨联的办公电话和地址" and "催一下我的归侨证明"
share its words, yet only staff (or the user's own tickets) can answer them. Pure: no I/O.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from handlers.triage import comparable
from handlers.triage_cues import TriageCues, triage_cues

Specific = Literal["earlier_request", "office", "person", "case"]
# A ticket number as the desk prints it (tickets/numbering.py): Q20261123-0001.
_TICKET_NUMBER = re.compile(r"q\d{8}-\d{4}")
_HAN = "\u4e00-\u9fff"


@cache
def _patterns(cues: TriageCues) -> tuple[re.Pattern[str], re.Pattern[str]]:
    offices = "|".join(re.escape(word) for word in cues.offices)
    titles = "|".join(re.escape(word) for word in cues.titles)
    named_office = re.compile(f"([{_HAN}]{{2,4}}?)(?:省|市|县|区|镇|乡)(?:{offices})")
    # Not "付律师费" (pay a lawyer's fee): a title followed by 费 is a fee, not a person.
    person = re.compile(f"[{re.escape(cues.surnames)}](?:{titles})(?!费)") if titles else re.compile("(?!)")
    return named_office, person


def _named_place(text: str, cues: TriageCues) -> bool:
    return cues.any_place(text)


def _named_office(text: str, cues: TriageCues) -> bool:
    """A contact ask about one office: "台山市侨联的电话", "江门侨办在哪" (not "当地侨联的联系方式")."""
    if not cues.any_contact_ask(text):
        return False
    named_office, _ = _patterns(cues)
    for match in named_office.finditer(text):
        if not cues.any_not_place(match.group(1)):
            return True
    return _named_place(text, cues) and cues.any_office(text)


def specific_case(text: str) -> Specific | None:
    cues = triage_cues()
    plain = comparable(text)
    if _TICKET_NUMBER.search(plain) or cues.any_earlier_request(plain):
        return "earlier_request"
    if _named_office(plain, cues):
        return "office"
    _, person = _patterns(cues)
    if person.search(plain):
        return "person"
    if cues.any_case_word(plain):
        return "case"
    if cues.any_personal(plain) and (_named_place(plain, cues) or cues.any_fee(plain)):
        return "case"
    return None

"""How an FAQ answer reads to the user: the answer, the "依据：…" line when its entry names a policy source,
and the optional "was this helpful" line; with the hand-written Traditional version when there is one
(automatic conversion is only the fallback: a person's wording of a legal answer wins)."""

from __future__ import annotations

from dataclasses import dataclass

from faq.kb import FaqEntry
from faq.script import to_traditional
from handlers.answer_feedback import FEEDBACK_PROMPT, FEEDBACK_PROMPT_HANT, PresentedAnswer
from knowledge.content import PolicySource
from knowledge.models import KbEntryDetails
from knowledge.sources import basis_line


@dataclass(frozen=True)
class AnswerExtras:
    answer_hant: str
    basis: str  # the 依据 line, "" when the entry names no source

    @classmethod
    def of(cls, row: KbEntryDetails) -> AnswerExtras:
        source = PolicySource(
            authority=row.source_authority,
            title=row.source_title,
            number=row.source_number,
            effective_on=row.effective_on,
        )
        return cls(answer_hant=row.answer_hant.strip(), basis=basis_line(source))


def present(entry: FaqEntry, extras: AnswerExtras | None, *, show_basis: bool, ask_feedback: bool) -> PresentedAnswer:
    tail_hans: list[str] = []
    tail_hant: list[str] = []
    if show_basis and extras is not None and extras.basis:
        tail_hans.append(extras.basis)
    if ask_feedback:
        tail_hans.append(FEEDBACK_PROMPT)
    text = "\n".join([f"【{entry.question}】", entry.answer.strip(), *tail_hans])
    if extras is None or not extras.answer_hant:
        return PresentedAnswer(text, None)
    # The title and the 依据 line are not hand-written: they are converted as any other text.
    if show_basis and extras.basis:
        tail_hant.append(to_traditional(extras.basis))
    if ask_feedback:
        tail_hant.append(FEEDBACK_PROMPT_HANT)
    hant = "\n".join([to_traditional(f"【{entry.question}】"), extras.answer_hant, *tail_hant])
    return PresentedAnswer(text, hant)


"""Free-text search over tickets: the number, the question, users' messages (later additions and what they
wrote before the hand-over) and staff notes, in Chinese without word spaces, English or a mix.

Each space-separated term must occur somewhere in the ticket (in any of those texts), as a substring, case
aside: "护照 巴塞罗那" finds a ticket whose question names the passport and whose addition names Barcelona.

The indexes are made by migration 0014: on PostgreSQL GIN indexes of the characters and character pairs of
the text (one- and two-character words answered from the index alone, longer terms narrowed by it and
checked with ILIKE); on SQLite FTS5 trigram tables kept by triggers (terms under three characters are
checked with LIKE over the rows, which is slower but exact).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, TableClause, and_, column, func, literal_column, select, table, union
from sqlalchemy.sql import CompoundSelect

from tickets.models import Ticket, TicketMessage

SEARCHED_KINDS = ("user", "context", "note", "ask")  # as in migration 0014
MAX_TERMS = 8
MAX_TERM_CHARS = 64
_WORD = re.compile(r"\w", re.UNICODE)
# A whole ticket number (tickets.numbering): looked up by the number's own unique index. Its character pairs
# (digits) are in every ticket, so the text index would narrow nothing (measured: 1.4 s at 100,000 tickets).
_TICKET_NUMBER = re.compile(r"^[Qq]\d{8}-\d{4,}$")


def search_terms(query: str) -> list[str]:
    """The terms of a search box entry: split on spaces (ASCII or full-width), those with a letter or digit,
    at most ``MAX_TERMS`` of them, each cut to ``MAX_TERM_CHARS``; repeats dropped."""
    terms: list[str] = []
    for raw in query.replace("\u3000", " ").split():
        term = raw.strip()[:MAX_TERM_CHARS]
        if _WORD.search(term) and term.casefold() not in (t.casefold() for t in terms):
            terms.append(term)
    return terms[:MAX_TERMS]


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _needs_check(term: str) -> bool:
    """On PostgreSQL the index answers a single word of one or two characters exactly; anything longer (or
    with punctuation inside) is narrowed by its pairs and then checked as a substring."""
    return len(term) > 2 or not term.isalnum()


def _pg_matches(term: str) -> CompoundSelect[Any]:
    grams = func.qiaobot_search_query_grams(term)
    question_doc = Ticket.number + " " + Ticket.question
    in_question = [func.qiaobot_search_grams(question_doc).op("@>")(grams)]
    in_message = [
        TicketMessage.kind.in_(SEARCHED_KINDS),
        func.qiaobot_search_grams(TicketMessage.body).op("@>")(grams),
    ]
    if _needs_check(term):
        pattern = _like_pattern(term)
        in_question.append(question_doc.ilike(pattern, escape="\\"))
        in_message.append(TicketMessage.body.ilike(pattern, escape="\\"))
    return union(
        select(Ticket.id).where(*in_question),
        select(TicketMessage.ticket_id).where(*in_message),
    )


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


# SQLite's FTS5 tables of migration 0014 (rowid = tickets.id, and ticket_messages.id).
_FTS_QUESTIONS = table("ticket_search_questions", column("rowid"))
_FTS_MESSAGES = table("ticket_search_messages", column("rowid"))


def _fts_match(fts: TableClause, term: str) -> ColumnElement[bool]:
    # The trigram tokenizer matches a quoted phrase as a substring, case-insensitively.
    return literal_column(fts.name).op("MATCH")(_fts_phrase(term))


def _sqlite_matches(term: str) -> CompoundSelect[Any]:
    if len(term) >= 3:
        return union(
            select(_FTS_QUESTIONS.c.rowid).where(_fts_match(_FTS_QUESTIONS, term)),
            select(TicketMessage.ticket_id)
            .join(_FTS_MESSAGES, _FTS_MESSAGES.c.rowid == TicketMessage.id)
            .where(_fts_match(_FTS_MESSAGES, term)),
        )
    pattern = _like_pattern(term)
    return union(
        select(Ticket.id).where((Ticket.number + " " + Ticket.question).like(pattern, escape="\\")),
        select(TicketMessage.ticket_id).where(
            TicketMessage.kind.in_(SEARCHED_KINDS), TicketMessage.body.like(pattern, escape="\\")
        ),
    )


def text_match(dialect: str, query: str) -> ColumnElement[bool] | None:
    """The condition on ``Ticket`` for a search box entry, or None when it holds no term."""
    terms = search_terms(query)
    if not terms:
        return None
    matches = _pg_matches if dialect == "postgresql" else _sqlite_matches
    return and_(
        *(
            Ticket.number == term.upper() if _TICKET_NUMBER.match(term) else Ticket.id.in_(matches(term))
            for term in terms
        )
    )

"""Free-text search over tickets: the number, the question, users' messages (later additions and what they
wrote before the hand-over) and staff notes, in Chinese without word spaces, English or a mix.

Each space-separated term must occur somewhere in the ticket, as a substring, case aside: "护照 巴塞罗那"
finds a ticket whose question names the passport and whose addition names Barcelona. A whole ticket number
is looked up by its unique index; a number's ending with its dash ("1201-0042", "-0042") matches numbers
that end so. Results come newest first.

Every ticket has one search document (migration 0019: ``ticket_search``, its texts joined by newlines, kept
by triggers). A console search answers a page and a count capped at ``COUNT_CAP`` ("1000+ 件"), in one of two
ways (``search_page``):

- from the index: on PostgreSQL a GIN index of the document's characters and character pairs (exact for one-
  and two-character words, narrowing for longer ones, which are checked with LIKE); on SQLite an FTS5 trigram
  index (three characters or more; shorter terms are checked with LIKE). At most ``COUNT_CAP + 1`` matches
  under the filters are read; if that is all of them, they are sorted and the page cut from them.
- by recency: when more than ``COUNT_CAP`` tickets match, the word is common (one ticket in a hundred at
  least), so walking the tickets newest first and checking each one's document finds a page after a few
  hundred rows, instead of sorting every match (17,655 tickets hold 护照 at 100,000 tickets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, column, func, literal_column, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from storage.types import UtcDateTime
from tickets.models import Ticket

SEARCHED_KINDS = ("user", "context", "note", "ask")  # as in migrations 0014 and 0019
MAX_TERMS = 8
MAX_TERM_CHARS = 64
# Past this many matches the count shows as "1000+" and the page is found by recency.
COUNT_CAP = 1000
_WORD = re.compile(r"\w", re.UNICODE)
# A whole ticket number (tickets.numbering): looked up by the number's own unique index.
_TICKET_NUMBER = re.compile(r"^[Qq]\d{8}-\d{4,}$")
# A number's ending: optional date digits, the dash, the (zero-padded, 4+ digit) daily sequence.
_NUMBER_TAIL = re.compile(r"^\d{0,8}-\d{4,}$")

# Migration 0019's table: PostgreSQL (ticket_id, the ticket's state, department and received time, doc
# lower-cased); SQLite FTS5 (rowid = tickets.id, doc).
_PG_DOCS = table(
    "ticket_search",
    column("ticket_id"),
    column("state"),
    column("department"),
    column("created_at", UtcDateTime()),
    column("doc"),
)
_FTS_DOCS = table("ticket_search", column("rowid"), column("doc"))
# The columns PostgreSQL's documents copy from their ticket, for ``tickets.queue.scope_conditions``.
DOC_SCOPE = (_PG_DOCS.c.state, _PG_DOCS.c.department, _PG_DOCS.c.created_at)


def search_terms(query: str) -> list[str]:
    """The terms of a search box entry: split on spaces (ASCII or full-width), those with a letter or digit,
    at most ``MAX_TERMS`` of them, each cut to ``MAX_TERM_CHARS``; repeats dropped."""
    terms: list[str] = []
    for raw in query.replace("\u3000", " ").split():
        term = raw.strip()[:MAX_TERM_CHARS]
        if _WORD.search(term) and term.casefold() not in (t.casefold() for t in terms):
            terms.append(term)
    return terms[:MAX_TERMS]


@dataclass(frozen=True)
class SearchHits:
    """One page of matching ticket ids, newest first, and how many match (``COUNT_CAP`` when ``capped``)."""

    ids: list[int]
    total: int
    capped: bool


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _needs_check(term: str) -> bool:
    """On PostgreSQL the index answers a single word of one or two characters exactly; anything longer (or
    with punctuation inside) is narrowed by its pairs and then checked as a substring."""
    return len(term) > 2 or not term.isalnum()


def _number_conditions(dialect: str, terms: list[str]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for term in terms:
        if _TICKET_NUMBER.match(term):
            conditions.append(Ticket.number == term.upper())
        elif _NUMBER_TAIL.match(term):
            if dialect == "postgresql":  # a range scan of ix_tickets_number_reversed
                conditions.append(func.reverse(Ticket.number).like(term[::-1] + "%"))
            else:  # the number is in the document: its trigrams narrow the tickets to check
                in_docs = select(_FTS_DOCS.c.rowid).where(literal_column("ticket_search").op("MATCH")(f'"{term}"'))
                conditions.extend([Ticket.id.in_(in_docs), Ticket.number.like("%" + term)])
    return conditions


def _text_terms(terms: list[str]) -> list[str]:
    return [t for t in terms if not _TICKET_NUMBER.match(t) and not _NUMBER_TAIL.match(t)]


def _indexed_docs(dialect: str, terms: list[str]) -> Select[Any]:
    """The ids of the tickets whose document holds every term, read through the document's index."""
    if dialect == "postgresql":
        grams = func.qiaobot_search_query_grams(" ".join(terms))
        checks = [_PG_DOCS.c.doc.like(func.lower(_like_pattern(t)), escape="\\") for t in terms if _needs_check(t)]
        return select(_PG_DOCS.c.ticket_id).where(func.qiaobot_search_grams(_PG_DOCS.c.doc).op("@>")(grams), *checks)
    long_terms = [t for t in terms if len(t) >= 3]
    phrases = " ".join('"' + t.replace('"', '""') + '"' for t in long_terms)  # FTS5: substrings, case folded
    # The ESCAPE clause matters: without it SQLite hands LIKE to FTS5, whose trigram tokenizer (3.40) counts
    # '%护照%' as long enough for its index and then finds no trigram in it: no rows at all.
    short = [_FTS_DOCS.c.doc.like(_like_pattern(t), escape="\\") for t in terms if len(t) < 3]
    matched = [literal_column("ticket_search").op("MATCH")(phrases)] if long_terms else []
    return select(_FTS_DOCS.c.rowid).where(*matched, *short)


def _checked_docs(terms: list[str]) -> list[ColumnElement[bool]]:
    """SQLite: each term checked against one ticket's document, found by its rowid (a correlated subquery,
    so the tickets are walked in the order asked and the walk stops at the page)."""
    doc = select(_FTS_DOCS.c.doc).where(_FTS_DOCS.c.rowid == Ticket.id).scalar_subquery()
    return [doc.like(_like_pattern(t), escape="\\") for t in terms]


def text_match(dialect: str, query: str) -> ColumnElement[bool] | None:
    """The condition on ``Ticket`` for a search box entry, or None when it holds no term (the export uses
    it for every match; the queue page uses ``search_page``)."""
    terms = search_terms(query)
    if not terms:
        return None
    conditions = _number_conditions(dialect, terms)
    text_terms = _text_terms(terms)
    if text_terms and dialect == "postgresql":
        hits = _indexed_docs(dialect, text_terms).cte("search_hits").prefix_with("MATERIALIZED")  # see by_index
        conditions.append(Ticket.id.in_(select(hits.c.ticket_id)))
    elif text_terms:
        conditions.append(Ticket.id.in_(_indexed_docs(dialect, text_terms)))
    return and_(*conditions)


def by_index(dialect: str, where: list[Any], terms: list[str], doc_where: list[Any] | None = None) -> Select[Any]:
    """(id, created_at) of at most ``COUNT_CAP + 1`` tickets matching ``terms`` under ``where`` (and, on
    PostgreSQL, ``doc_where``: conditions on the documents' copies of state, department and received time,
    checked on the rows the index finds), read through the documents' index, in no particular order."""
    conditions = _number_conditions(dialect, terms) + where
    text_terms = _text_terms(terms)
    if dialect == "postgresql" and text_terms:
        docs = _indexed_docs(dialect, text_terms).add_columns(_PG_DOCS.c.created_at).where(*(doc_where or []))
        if not conditions:  # the documents answer alone, and LIMIT stops the index's heap scan at the cap
            return docs.limit(COUNT_CAP + 1)
        # MATERIALIZED: the documents are read through their index and nothing else (the planner, left to
        # join freely, evaluated the grams function ticket by ticket: 0.5-1.6 s).
        hits = docs.cte("search_hits").prefix_with("MATERIALIZED")
        found = select(hits.c.ticket_id, hits.c.created_at).join(Ticket, Ticket.id == hits.c.ticket_id)
        return found.where(*conditions).limit(COUNT_CAP + 1)
    found = select(Ticket.id, Ticket.created_at)
    if doc_where:
        found = found.join(_PG_DOCS, _PG_DOCS.c.ticket_id == Ticket.id).where(*doc_where)
    if not text_terms:
        pass
    else:
        # SQLite with only one- and two-character terms: one scan of the documents (65 ms at 100,000
        # tickets), cheaper than looking each ticket's document up by rowid (275 ms when few match).
        conditions.append(Ticket.id.in_(_indexed_docs(dialect, text_terms)))
    return found.where(*conditions).limit(COUNT_CAP + 1)


def by_recency(
    dialect: str, where: list[Any], terms: list[str], offset: int, limit: int, doc_where: list[Any] | None = None
) -> Select[Any]:
    """The ids of one page of tickets matching ``terms`` under ``where``, newest first, found by walking the
    tickets (PostgreSQL: their documents, with ``doc_where``) newest first and checking each document."""
    numbers = _number_conditions(dialect, terms)
    text_terms = _text_terms(terms)
    if dialect == "postgresql":
        # strpos, not LIKE: the planner estimates LIKE '%出入境%' as matching one row in ten thousand and
        # would rather read every ticket and sort (650 ms) than walk; a function's result it takes as a third.
        checks = [func.strpos(_PG_DOCS.c.doc, func.lower(t)) > 0 for t in text_terms]
        docs = select(_PG_DOCS.c.ticket_id).where(*(doc_where or []), *checks)
        if where or numbers:
            docs = docs.join(Ticket, Ticket.id == _PG_DOCS.c.ticket_id).where(*where, *numbers)
        newest_first = (_PG_DOCS.c.created_at.desc(), _PG_DOCS.c.ticket_id.desc())
        return docs.order_by(*newest_first).offset(offset).limit(limit)
    newest_first = (Ticket.created_at.desc(), Ticket.id.desc())
    walk = numbers + _checked_docs(text_terms)
    return select(Ticket.id).where(*where, *walk).order_by(*newest_first).offset(offset).limit(limit)


async def search_page(
    session: AsyncSession, where: list[Any], query: str, offset: int, limit: int, doc_where: list[Any] | None = None
) -> SearchHits | None:
    """The page of tickets matching ``query`` under the queue's other conditions ``where``, newest first,
    and their count up to ``COUNT_CAP``; None when the query holds no term. ``doc_where``: see ``by_index``."""
    terms = search_terms(query)
    if not terms:
        return None
    dialect = session.get_bind().dialect.name
    found = (await session.execute(by_index(dialect, where, terms, doc_where))).all()
    if len(found) <= COUNT_CAP:
        found.sort(key=lambda row: (row[1], row[0]), reverse=True)
        return SearchHits([row[0] for row in found[offset : offset + limit]], len(found), False)
    ids = await session.scalars(by_recency(dialect, where, terms, offset, limit, doc_where))
    return SearchHits(list(ids), COUNT_CAP, True)

"""Whether a message is about a topic beside the KB's rather than one of its questions.

"双色球下期号码帮我预测一下" shares one word (号码, read as a phone number) with the mobile-number entry and
says three things the KB never speaks of (双色球, 下期, 预测). Its score can still be high: the one shared
word is most of what the KB knows of the message. A message that shares at most one unit with its best
entry and uses at least three content words no entry uses asks about something next to the KB: it is
offered the entry, never answered with it.

Measured on the seven dev suites (main 54923ff): of the 1,247 messages answered correctly none falls under
this rule; two out-of-scope messages answered did. With two unknown words it would also catch the
hand-over requests ("帮我接一下人工客服吧 说不清楚"), which are right.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from faq.analysis import CONCEPT_PREFIX

MAX_SHARED = 1
MIN_UNKNOWN = 3


def beside_the_kb(message_units: Iterable[str], entry_units: Collection[str], vocabulary: Collection[str]) -> bool:
    """At most MAX_SHARED units in common with the entry, at least MIN_UNKNOWN words the whole KB never uses."""
    distinct = set(message_units)
    shared = sum(1 for u in distinct if u in entry_units)
    unknown = sum(1 for u in distinct if not u.startswith(CONCEPT_PREFIX) and u not in vocabulary)
    return shared <= MAX_SHARED and unknown >= MIN_UNKNOWN

"""Whether a story and the question inside it point to the same entry.

A story around a question ("我在日本读完研回国了，档案一直放在原来的大学，现在找工作不知道档案该转到哪儿") is
scored as a whole, its narrating clauses weighed down (faq.focus). The question read alone (faq.analysis
`Analyzer.question`) is a second reading of the same message. Measured on the nine dev suites (1,039
in-scope messages read as a story, 2026-12-01; candidates ordered by probability): the whole message ranks
the right entry first for 87.7 % of them, the question alone for 75.2 % (the story names the topic as often
as the question does), and no mix of the two readings tried (the better probability of the two, the sum of
their log-odds, the whole's plus a quarter or half of the question's) ranked clearly better than the whole
(85.1-87.9 % against 87.7 %).
But where the two readings put the same entry first, that entry is right 93.7 % of the time (745 of 795, as
`bench/faq_misses.py` counts them); where they disagree, 69.7 % (170 of 244).

So the comparison does not rank; it says how sure the ranking is. `FaqMatcher.explain` shows it. As an
answer-gate feature it would need a refit of the gate (faq.fitting): in a leave-one-suite-out refit of the
gate on the nine suites it added 27 right answers at the same 40 wrong or out-of-scope answers (1,609 →
1,636), and 24 of 391 on the colloquial and multi-part styles at 10.
"""

from __future__ import annotations

from collections.abc import Sequence

from faq.analysis import Analysis
from faq.calibration import Calibration
from faq.features import candidate_features
from faq.index import KbIndex


def question_alone_first(
    index: KbIndex, question: Analysis, positions: Sequence[int], calibration: Calibration
) -> int | None:
    """The entry position that the question read alone ranks first among the whole message's candidates
    (`positions`), or None without candidates."""
    if not positions:
        return None
    rows = candidate_features(question, list(positions), index)
    probabilities = [calibration.probability(row) for row in rows]
    best = max(range(len(positions)), key=lambda i: (probabilities[i], -i))
    return positions[best]

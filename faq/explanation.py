"""Why the matcher answered, suggested or handed over: what `FaqMatcher.explain` returns.

Staff who wonder why a message got the wrong answer, and developers tuning the matcher, need the same
view: the message as the analyser read it, the candidates with their probabilities and signals, the gate
and its threshold, and the one rule that decided. It is filled in while `decide` runs, so it cannot drift
from what `decide` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from faq.decision import Decision


@dataclass(frozen=True)
class Candidate:
    faq_id: str
    question: str
    probability: float
    features: dict[str, float]


@dataclass
class Explanation:
    text: str
    calibration: str = ""  # which calibration decided (its note: the prior trained across KBs, or conservative)
    mode: str = ""
    units: tuple[str, ...] = ()  # concepts (#x) and content words, as the analyser read the message
    query_features: dict[str, float] = field(default_factory=dict)
    candidates: list[Candidate] = field(default_factory=list)  # best first
    # How a story was read (faq.focus): each clause with its weight, and the entry the question read alone
    # ranks first (faq.story); empty / None when nothing was read as story.
    clauses: tuple[tuple[str, float], ...] = ()
    question_alone: str | None = None
    gate_probability: float | None = None  # None: the gate was not consulted
    gate_threshold: float | None = None
    reason: str = ""
    decision: Decision | None = None

    def to_dict(self) -> dict[str, Any]:
        decision = self.decision
        return {
            "q": self.text,
            "decision": decision.decision if decision else None,
            "faq_id": decision.faq_id if decision else None,
            "suggestions": list(decision.suggestions) if decision else [],
            "score": decision.score if decision else 0.0,
            "reason": self.reason,
            "calibration": self.calibration,
            "mode": self.mode,
            "units": list(self.units),
            "clauses": [{"text": text, "weight": weight} for text, weight in self.clauses],
            "question_alone": self.question_alone,
            "query_features": {k: round(v, 4) for k, v in self.query_features.items()},
            "gate": None
            if self.gate_probability is None
            else {"probability": round(self.gate_probability, 4), "threshold": self.gate_threshold},
            "candidates": [
                {
                    "faq_id": c.faq_id,
                    "question": c.question,
                    "probability": round(c.probability, 4),
                    "features": {k: round(v, 4) for k, v in c.features.items()},
                }
                for c in self.candidates
            ],
        }

    def to_text(self, candidates: int = 5) -> str:
        decision = self.decision
        head: str = decision.decision if decision else "?"
        if decision and decision.faq_id:
            head += f" {decision.faq_id}"
        elif decision and decision.suggestions:
            head += f" [{', '.join(decision.suggestions)}]"
        lines = [f"{head}  ← {self.text}", f"  why: {self.reason}", f"  calibration: {self.calibration} ({self.mode})"]
        if self.units:
            lines.append(f"  read as: {' '.join(self.units)}")
        if self.clauses:
            lines.append("  clauses: " + " | ".join(f"{text} ({weight:g})" for text, weight in self.clauses))
        if self.question_alone is not None:
            first = self.candidates[0].faq_id if self.candidates else None
            agreement = "agrees" if first == self.question_alone else f"not {first}"
            lines.append(f"  question read alone ranks first: {self.question_alone} ({agreement})")
        if self.query_features:
            lines.append("  message: " + ", ".join(f"{k}={v:.2f}" for k, v in self.query_features.items()))
        if self.gate_probability is not None:
            lines.append(f"  gate: {self.gate_probability:.3f} (answers at >= {self.gate_threshold:.3f})")
        for rank, c in enumerate(self.candidates[:candidates], 1):
            lines.append(f"  {rank}. {c.probability:.3f} {c.faq_id}  {c.question}")
            strongest = sorted(c.features.items(), key=lambda kv: -abs(kv[1]))[:6]
            lines.append("       " + ", ".join(f"{k}={v:.2f}" for k, v in strongest))
        return "\n".join(lines)

"""When a message the matcher does not answer gets numbered choices rather than a plain hand-over, and how
far down the candidates the choices go: a policy over the gate's and the best candidate's probabilities,
apart from how those probabilities are computed (faq.matcher)."""

from __future__ import annotations

from faq.calibration import Calibration

# When an unanswered message gets choices (worth_offering): below the calibration's suggest threshold a
# gate of at least OFFER_GATE (and a best p of MIN_OFFER_P); above it, a gate of at least UNRELATED_GATE.
# Chosen on the five dev suites (OFFER_GATE 0.1/0.2/0.3 x UNRELATED_GATE 0.02/0.05): the right entry
# answered or offered rose on every suite (holdout4 90.3 -> 91.6 %, holdout5 91.4 -> 93.6, Fuqing
# 88.9 -> 93.7, Guangdong 93.2 -> 96.8, Lishui 94.7 -> 97.9) while fewer out-of-scope messages were given
# choices (123 -> 117 of 292). At 0.1 / 0.02 hit was a little higher and 152 of them got choices.
OFFER_GATE = 0.2
UNRELATED_GATE = 0.05
MIN_OFFER_P = 0.01
# A message the gate finds KB-like (gate >= OFFER_GATE) shows further choices down to this probability
# instead of the calibration's suggest floor (0.03): its right entry is often second or third at p
# 0.01-0.03. Measured on the five dev suites: hit 92.5/93.9/93.2/96.3/97.9 -> 93.8/94.6/94.2/96.3/98.4;
# the same 118 of 292 out-of-scope messages get choices, 49 of them three (32 before), 233 in all (209).
OFFERED_FLOOR = 0.01


def worth_offering(p1: float, gate: float | None, generic: bool, calibration: Calibration) -> bool:
    """Whether a message the matcher does not answer gets numbered choices, or a plain hand-over.

    The best candidate's probability alone cannot tell a story whose right entry scored low (long messages
    spread their words) from chit-chat that shares a word with an entry. The gate's probability, which
    weighs the whole message (its concepts, the words the KB never uses, the best candidate's own
    signals), tells them apart better: a low-scoring message is offered choices when the gate is at least
    OFFER_GATE, and a gate under UNRELATED_GATE marks an unrelated best candidate however high its p.
    Without the gate (a rule settled the message first, or a calibration without one) the probability
    threshold decides, as before. The reply lists the choices with "都不是的话 … 回复“人工”", so a user
    offered the wrong ones still reaches a person."""
    if gate is None:
        return p1 >= calibration.suggest_threshold or (generic and p1 >= calibration.suggest_floor)
    if p1 >= calibration.suggest_threshold:
        return gate >= UNRELATED_GATE
    return p1 >= MIN_OFFER_P and gate >= OFFER_GATE


def choice_floor(gate: float | None, calibration: Calibration) -> float:
    """How likely a further entry must be to join the first as a choice (see OFFERED_FLOOR)."""
    if gate is not None and gate >= OFFER_GATE:
        return min(calibration.suggest_floor, OFFERED_FLOOR)
    return calibration.suggest_floor


def offer_reason(p1: float, gate: float | None, calibration: Calibration) -> str:
    if gate is None:
        return f"best p {p1:.3f}, suggest threshold {calibration.suggest_threshold:.3f}"
    return (
        f"best p {p1:.3f} (threshold {calibration.suggest_threshold:.3f}), gate {gate:.3f} "
        f"(offer from {OFFER_GATE:.2f}, or from {UNRELATED_GATE:.2f} above the threshold)"
    )

"""Which transitional point governs a question about a matter from before 1 July 2025.

The new law's transitional provisions are a small closed set: the general rule
(2025:400 p. 1-2: the new law applies from 1 July 2025, the old one is repealed),
six exception points for kinds of matter (p. 3-8: decisions until further notice,
permits, återkrav, appeals, the title undersköterska, fast omsorgskontakt) and the
amending acts' own points (2025:1299, 2025:1501). The question bank holds questions
about each, and about matters no exception covers (labelled with the general rule
alone). Ingest learns from them a classifier of questions (BankIndex.transition_probs):
the probability that each point governs, that the general rule alone does, or that
the question is about something else.

Pure functions; the retriever computes the probabilities.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from assistant.labels import TRANSITIONAL
from assistant.retrieval.references import NEW_SFS, TRANSITION_CORE

POINT_PREFIX = f"{NEW_SFS} {TRANSITIONAL} "
GENERAL = "general"  # the class of bank questions answered by the general rule alone
OTHER = ""  # a bank question about anything but the transitional provisions
AMENDING_ACTS = tuple(f"{POINT_PREFIX}{act} " for act in ("2025:1299", "2025:1501"))


@dataclass(frozen=True)
class TransitionParams:
    """Chosen by cross-validation on evals/transitional.jsonl (evals/transitional_tune.py,
    evals/report/transitional.txt); the blind file is never used to choose them."""

    # A question reads as one about the transition, whatever its words, when the
    # transitional classes (the general rule included) have this probability together.
    detect: float = 0.5
    # The most probable specific point governs when it has at least this times the
    # general rule's probability; else the general rule alone does.
    over_general: float = 0.5
    # An amending act's point (about January 2026) governs a question that names neither the
    # act nor a date from 2026 only when its probability is at least this (above 1: never).
    amendment: float = 0.3


TRANSITION = TransitionParams()


def transition_class(labels: tuple[str, ...]) -> str:
    """The class a bank question's labels put it in: the governing (first specific)
    transitional point, GENERAL for the general rule alone, OTHER for the rest (out of
    scope included)."""
    points = [label for label in labels if label.startswith(POINT_PREFIX)]
    if not points:
        return OTHER
    specific = [label for label in points if label not in TRANSITION_CORE]
    return specific[0] if specific else GENERAL


def is_amending_point(label: str) -> bool:
    return label.startswith(AMENDING_ACTS)


def transitional_share(probs: Mapping[str, float]) -> float:
    """The probability that the question is about the transitional provisions (any point)."""
    return sum(v for c, v in probs.items() if c != OTHER)


def governing_point(probs: Mapping[str, float], params: TransitionParams = TRANSITION,
                    amendment_asked: bool = False) -> str:
    """The specific point (p. 3-8, or an amending act's when the question asks about
    that amendment) that governs the matter asked about; "" when the general rule
    alone does (no exception concerns the matter)."""
    points = {c: v for c, v in probs.items()
              if c not in (OTHER, GENERAL) and (amendment_asked or not is_amending_point(c) or v >= params.amendment)}
    if not points:
        return ""
    best = max(points, key=points.__getitem__)
    return best if points[best] >= params.over_general * probs.get(GENERAL, 0.0) else ""

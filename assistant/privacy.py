"""Personnummer and samordningsnummer are masked before anything else sees a text."""

from __future__ import annotations

import re

# Swedish personnummer / samordningsnummer: (ÅÅ)ÅÅMMDD, then a hyphen, en or em
# dash, minus sign, plus, space or nothing, then NNNN; day + 60 for samordningsnummer.
_PNR = re.compile(
    r"(?<![\d\-–—−])(?:19|20)?\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[1-2]\d|3[01]|6[1-9]|[7-8]\d|9[01])"
    r"\s?[-–—−+]?\s?\d{4}(?!\d)"
)
PNR_MASK = "[personnummer borttaget]"


def mask_personnummer(text: str) -> tuple[str, bool]:
    """The text with every personnummer replaced, and whether one was found."""
    masked, n = _PNR.subn(PNR_MASK, text)
    return masked, n > 0

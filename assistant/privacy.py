"""Personnummer and samordningsnummer are masked before anything else sees a text.

One tolerant detector for every entry point: 10 or 12 digits (ÅÅMMDD or ÅÅÅÅMMDD, then
four), samordningsnummer (day + 60), any run of up to five separators between the
date and the last four (hyphens of every kind, dashes, minus, plus, dot, slash, spaces),
a prefix such as "pnr-" or "pnr:", and format characters (zero-width spaces, soft
hyphens, direction marks) anywhere inside. A date written with separators of its own
("1985-05-29-1234") is masked when a dash or plus joins the last four to it without
spaces, or when the Luhn check holds; so "2025-07-01 – 2026" stays as it is.
"""

from __future__ import annotations

import re

from assistant.markup import is_format_char

PNR_MASK = "[personnummer borttaget]"

_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_SEP = rf"[{_DASHES}+./\\\s]"
_MONTH = r"(?:0[1-9]|1[0-2])"
_DAY = r"(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"  # day, or day + 60 (samordningsnummer)
_COMPACT = re.compile(
    rf"(?<![\d])(?P<date>(?:19|20)?\d{{2}}{_MONTH}{_DAY})(?P<sep>{_SEP}{{0,5}})(?P<last>\d{{4}})(?!\d)")
_SPACED = re.compile(
    rf"(?<![\d])(?P<date>(?:19|20)?\d{{2}}[{_DASHES}./ ]{_MONTH}[{_DASHES}./ ]{_DAY})"
    rf"(?P<sep>{_SEP}{{1,5}})(?P<last>\d{{4}})(?!\d)")


def _luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(int(c) for c in digits):
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _skeleton(text: str) -> tuple[str, list[int]]:
    """The text without format characters, and the original index of each kept character."""
    kept = [(i, ch) for i, ch in enumerate(text) if not is_format_char(ch)]
    return "".join(ch for _, ch in kept), [i for i, _ in kept]


def find_personnummer(text: str) -> list[tuple[int, int]]:
    """(start, end) in `text` of every personnummer or samordningsnummer."""
    skeleton, where = _skeleton(text)
    spans = []
    for m in _COMPACT.finditer(skeleton):
        spans.append((m.start(), m.end()))
    for m in _SPACED.finditer(skeleton):
        digits = re.sub(r"\D", "", m["date"])[-6:] + m["last"]
        joined = m["sep"] and m["sep"][0] in _DASHES + "+" and not m["sep"].strip(_DASHES + "+")
        if joined or _luhn(digits):
            spans.append((m.start(), m.end()))
    spans.sort()
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and a < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return [(where[a], where[b - 1] + 1) for a, b in out]


def mask_personnummer(text: str) -> tuple[str, bool]:
    """The text with every personnummer replaced, and whether one was found."""
    spans = find_personnummer(text)
    for a, b in reversed(spans):
        text = text[:a] + PNR_MASK + text[b:]
    return text, bool(spans)

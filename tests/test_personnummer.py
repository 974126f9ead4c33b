"""The personnummer detector (assistant/privacy.py), property-tested: thousands of
generated forms are masked whole, and the law's own numbers, dates and amounts are not."""

from __future__ import annotations

import random

from assistant.privacy import PNR_MASK, mask_personnummer

SEPARATORS = ["", "-", "+", " ", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212", "\uff0d", ".", "/",
              " - ", " – ", "  ", " -  ", "\t"]
FORMAT = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200e"]
PREFIXES = ["", "pnr-", "pnr:", "pnr ", "personnummer ", "Klient ", "(", "nr."]


def _variant(rng: random.Random) -> tuple[str, str]:
    """(a personnummer as someone might type it, its ten digits)."""
    year = rng.randint(1920, 2024)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28) + (60 if rng.random() < 0.2 else 0)  # samordningsnummer
    last = f"{rng.randint(0, 9999):04d}"
    date = f"{year:04d}{month:02d}{day:02d}" if rng.random() < 0.4 else f"{year % 100:02d}{month:02d}{day:02d}"
    if rng.random() < 0.15 and len(date) == 8:
        date = f"{date[:4]}-{date[4:6]}-{date[6:]}"
        sep = rng.choice(["-", "\u2013", "+"])
    else:
        sep = rng.choice(SEPARATORS)
    text = date + sep + last
    for _ in range(rng.randint(0, 2)):  # format characters inside
        i = rng.randint(1, len(text) - 1)
        text = text[:i] + rng.choice(FORMAT) + text[i:]
    return rng.choice(PREFIXES) + text, f"{year % 100:02d}{month:02d}{day:02d}{last}"


def test_thousands_of_forms_are_masked_whole():
    rng = random.Random(7)
    for _ in range(5000):
        pnr, digits = _variant(rng)
        message = f"Vi har en klient {pnr} som söker hemtjänst. Vad gäller?"
        masked, found = mask_personnummer(message)
        kept = "".join(c for c in masked if c.isdigit())
        assert found and PNR_MASK in masked, repr(pnr)
        assert digits[:6] not in kept and digits[-4:] not in kept, (repr(pnr), masked)


def test_the_law_s_numbers_dates_and_amounts_are_left_alone():
    for text in ["SFS 2025:400 20 kap. 2 §", "SFS 2001:453 11 kap. 1 a §", "övergångsbestämmelser 2025:1501 p. 2",
                 "Prop. 2024/25:89 s. 512", "från 2025-07-01 – 2026 gäller", "inom 14 dagar", "dnr 2024-1234",
                 "tel 070-123 45 67", "beslut 2025-06-12 1234", "år 2024 fattades 1234 beslut", "5000 kronor"]:
        assert mask_personnummer(text) == (text, False), text


def test_a_masked_message_keeps_its_words():
    masked, found = mask_personnummer("Klient 850502 -  1234 bor i kommunen; 8505\u200b09-1234 också.")
    assert found and masked == f"Klient {PNR_MASK} bor i kommunen; {PNR_MASK} också."

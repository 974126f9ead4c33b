"""The statute parser against paragraph counts made by hand (tests/data)."""

import json
from collections import defaultdict
from pathlib import Path

import pytest

from assistant.parsing.html import statute_text_from_html
from assistant.parsing.statute import parse_statute

COUNTS = json.loads((Path(__file__).parent / "data" / "paragraph_counts.json").read_text())


@pytest.fixture(scope="module")
def new_law(mirror):
    return parse_statute((mirror / "laws" / "sfs-2025-400.txt").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def old_law(mirror):
    return parse_statute((mirror / "laws" / "sfs-2001-453.txt").read_text(encoding="utf-8"))


def _per_chapter(statute):
    per = defaultdict(list)
    for p in statute.paragraphs:
        if p.number not in per[p.chapter]:
            per[p.chapter].append(p.number)
    return per


@pytest.mark.parametrize("law", ["new_law", "old_law"])
def test_paragraphs_per_chapter_match_hand_count(law, request):
    statute = request.getfixturevalue(law)
    expected = COUNTS["_paragraph_lists"][statute.sfs]
    per = _per_chapter(statute)
    assert list(statute.chapters) == list(expected)
    for chapter, numbers in expected.items():
        assert per.get(chapter, []) == numbers, f"{statute.sfs} {chapter} kap."


def test_new_law_totals(new_law):
    assert len(new_law.chapters) == 35
    assert len(new_law.paragraphs) == 302  # texts, dated versions counted twice
    assert len({(p.chapter, p.number) for p in new_law.paragraphs}) == 295
    assert new_law.sfs == "SFS 2025:400" and new_law.in_force == "2025-07-01"


def test_old_law_totals_and_repealed(old_law):
    assert len(old_law.paragraphs) == COUNTS["_distinct_total"]["SFS 2001:453"] == 202
    repealed = {f"{p.chapter} kap. {p.number} §" for p in old_law.paragraphs if p.repealed}
    assert "2 kap. 2 §" in repealed and "16 kap. 7 §" in repealed and len(repealed) == 8
    assert old_law.repealed_chapters == ["4 a"]
    assert "2 a" in old_law.chapters


def test_dated_versions_have_validity(new_law):
    versions = defaultdict(list)
    for p in new_law.paragraphs:
        versions[(p.chapter, p.number)].append(p)
    pairs = {k: v for k, v in versions.items() if len(v) == 2}
    assert len(pairs) == 7
    old, new = pairs[("19", "1")]
    assert old.valid_to == "2026-01-15" and new.valid_from == "2026-01-15"
    assert old.text != new.text
    future = versions[("16", "2 a")][0]
    assert future.valid_from == "2026-01-15" and future.heading == "Utredning om barn"
    assert future.heading_valid_from == "2026-01-15"


def test_structure_of_one_paragraph(new_law):
    p = next(p for p in new_law.paragraphs if (p.chapter, p.number) == ("11", "5"))
    assert p.chapter_title.startswith("Insatser för personliga behov")
    assert "utan individuell behovsprövning" in p.heading
    assert p.avdelning.startswith("Avdelning IV")
    assert len(p.stycken) == 1 and len(p.stycken[0].points) == 7
    assert p.stycken[0].points[0].startswith("1. kontaktperson")


def test_wrapped_cross_references_are_not_paragraphs():
    text = """Lag (2099:1)

1 kap. Inledning

1 § Detta gäller enligt 27 kap.
5 § samma lag och enligt
11 kap. 1 § i övrigt.

2 kap. Annat

1 § En paragraf.

2 § Det som sägs i
1 § gäller också.

Övergångsbestämmelser

2099:1

1. Denna lag träder i kraft den 1 juli 2099.

2. Äldre föreskrifter gäller för

a) det ena, och

b) det andra.
"""
    statute = parse_statute(text)
    assert [(p.chapter, p.number) for p in statute.paragraphs] == [("1", "1"), ("2", "1"), ("2", "2")]
    assert statute.paragraphs[0].text == "Detta gäller enligt 27 kap. 5 § samma lag och enligt 11 kap. 1 § i övrigt."
    assert [(t.amendment, t.point) for t in statute.transitional] == [("2099:1", "1"), ("2099:1", "2")]
    assert "b) det andra." in statute.transitional[1].text


def test_transitional_points_of_all_amendments(new_law, old_law):
    new = {(t.amendment, t.point) for t in new_law.transitional}
    assert ("2025:1501", "2") in new and ("2025:400", "8") in new and ("2025:1299", "3") in new
    assert len(new) == 13
    old = {(t.amendment, t.point) for t in old_law.transitional}
    assert ("2003:737", "") in old  # an amendment without numbered points


def test_html_page_of_old_law_parses_like_the_text(mirror, old_law):
    html = (mirror / "original" / "sfs-2001-453.rkrattsbaser-sfst.html").read_text(encoding="utf-8")
    statute = parse_statute(statute_text_from_html(html), sfs="SFS 2001:453")
    assert [(p.chapter, p.number) for p in statute.paragraphs] == [(p.chapter, p.number) for p in old_law.paragraphs]


def test_hyphen_wrapped_ranges_are_joined(new_law):
    p = next(p for p in new_law.paragraphs if (p.chapter, p.number) == ("1", "5"))
    assert "(14-17 kap.)" in p.text


def test_every_paragraph_has_the_heading_it_stands_under(mirror, old_law):
    """Read from the text itself: in 12 kap. of the old law, each heading line
    (a line of its own, between a paragraph's end and the next 'N §') governs
    the paragraphs up to the next heading; a heading ending in 'm.m.' is one too."""
    import re

    text = (mirror / "laws" / "sfs-2001-453.txt").read_text(encoding="utf-8")
    chapter = text[text.index("\n12 kap. "):text.index("\n13 kap. ")]
    expected, heading = {}, ""
    blocks = [b.strip() for b in chapter.split("\n\n") if b.strip()][1:]
    for block in blocks:
        first = block.splitlines()[0]
        m = re.match(r"(\d+ ?[a-z]?) § ", first)
        if m:
            expected[m[1].replace(" ", " ")] = heading
        elif len(block.splitlines()) == 1 and not re.search(r"Lag \(\d{4}:\d+\)\.$", first):
            heading = first
    assert set(expected.values()) == {"Gallring", "Socialnämndens uppgiftsskyldighet m.m."}
    found = {p.number: p.heading for p in old_law.paragraphs if p.chapter == "12"}
    assert found == expected
    repealed = {p.number: p for p in old_law.paragraphs if p.chapter == "12"}["4"]
    assert "uppgiftsskyldighet" not in repealed.stycken[-1].render()  # the heading is not glued to the text above it

"""The change guide: bill commentary parser on fixture pages, the text-based
alignment on known pairs, diffs, comparisons and change questions."""

import json
import os
import subprocess
import sys

import pytest

from assistant.changes.bill_commentary import old_references, parse_commentary
from assistant.changes.compare import compare, render_comparison_html, render_comparison_text
from assistant.changes.concordance import RELATIONS, Concordance, apply_bill, build_concordance, units
from assistant.changes.diff import render_html, render_text, word_diff

PAGES = [
    (812, """20 kap. Bedömning och utredning av barns och ungas behov av skydd eller stöd
Socialnämnden ska göra en förhandsbedömning
2 § Om en anmälan till socialnämnden gäller barn eller unga, ska socialnämnden fatta beslut om att
inleda eller inte inleda utredning inom fjorton dagar.
Paragrafen, som innehåller bestämmelser om förhandsbedömning, motsvarar 11 kap. 1 a §
andra stycket i 2001 års lag. Övervägandena finns i avsnitt 14.2.
3 § Socialnämnden ska utan dröjsmål inleda utredning.
Paragrafen är ny."""),
    (813, """Paragrafen har utformats efter synpunkter från Lagrådet.
4 § Nämnden får samtala med barnet.
Paragrafen motsvarar delvis 11 kap. 10 § i 2001 års lag.
21 kap. Insatser till barn utan vårdnadshavarens samtycke
1 § Socialnämnden får besluta om insatser.
Paragrafen motsvarar 3 kap. 6 a § första och andra styckena i 2001 års lag och 4 kap. 1 och 2 §§.
11 kap. 1 a § 20 kap. 2 §
2 kap. 2 § –"""),
]


def test_bill_commentary_statements():
    by_new = {st.new: st for st in parse_commentary(PAGES) if st.source == "commentary"}
    assert by_new["SFS 2025:400 20 kap. 2 §"].old == ["SFS 2001:453 11 kap. 1 a §"]
    assert by_new["SFS 2025:400 20 kap. 2 §"].relation == "reworded" and by_new["SFS 2025:400 20 kap. 2 §"].page == 812
    assert by_new["SFS 2025:400 20 kap. 3 §"].relation == "new" and by_new["SFS 2025:400 20 kap. 3 §"].old == []
    assert by_new["SFS 2025:400 20 kap. 4 §"].relation == "moved_in_part"
    assert by_new["SFS 2025:400 21 kap. 1 §"].old == ["SFS 2001:453 3 kap. 6 a §", "SFS 2001:453 4 kap. 1 §", "SFS 2001:453 4 kap. 2 §"]
    table = [st for st in parse_commentary(PAGES) if st.source == "table"]
    assert any(st.new is None and st.old == ["SFS 2001:453 2 kap. 2 §"] and st.relation == "removed" for st in table)


def test_old_reference_expansion():
    assert old_references("motsvarar 2 a kap. 1–3 §§ och 5 kap. 1 a §") == [
        "SFS 2001:453 2 a kap. 1 §", "SFS 2001:453 2 a kap. 2 §", "SFS 2001:453 2 a kap. 3 §", "SFS 2001:453 5 kap. 1 a §"]


def test_word_diff_round_trips_and_renders():
    old, new = "Socialnämnden skall genast göra en bedömning.", "Socialnämnden ska genast göra en omedelbar bedömning."
    ops = word_diff(old, new)
    assert "".join(o.text for o in ops if o.op != "insert") == old
    assert "".join(o.text for o in ops if o.op != "delete") == new
    assert "[-skall-]" in render_text(ops) and "{+ska+}" in render_text(ops) and "{+omedelbar+}" in render_text(ops)
    html = render_html(word_diff("a <b>", "a <c>"))
    assert "<del>&lt;b&gt;</del>" in html and "<ins>&lt;c&gt;</ins>" in html


@pytest.fixture(scope="module")
def concordance(retriever, indexed_settings):
    return Concordance.load_or_build(retriever.store, indexed_settings.index_dir, retriever.vectors)


def test_concordance_covers_every_paragraph_of_both_laws(concordance, retriever):
    old = units(retriever.store, "SFS 2001:453")
    new = units(retriever.store, "SFS 2025:400")
    assert {p.old for p in concordance.pairs if p.old} == set(old)
    assert {n for p in concordance.pairs for n in p.new} == set(new)
    assert all(p.relation in RELATIONS and p.basis == "text" and 0 <= p.score <= 1 for p in concordance.pairs)


@pytest.mark.parametrize(
    "old, new, relations",
    [
        ("SFS 2001:453 11 kap. 1 a §", "SFS 2025:400 20 kap. 2 §", {"split", "reworded"}),
        ("SFS 2001:453 11 kap. 1 a §", "SFS 2025:400 20 kap. 1 §", {"split"}),
        ("SFS 2001:453 14 kap. 1 c §", "SFS 2025:400 19 kap. 4 §", {"same_wording"}),
        ("SFS 2001:453 4 kap. 1 b §", "SFS 2025:400 12 kap. 8 §", {"same_wording", "reworded", "split"}),
        ("SFS 2001:453 1 kap. 2 §", "SFS 2025:400 3 kap. 1 §", {"reworded", "split", "moved_in_part"}),
    ],
)
def test_known_pairs(concordance, old, new, relations):
    pair = concordance.by_old[old]
    assert new in pair.new and pair.relation in relations


def test_repealed_paragraphs_are_removed(concordance):
    pair = concordance.by_old["SFS 2001:453 2 kap. 2 §"]
    assert pair.relation == "removed" and pair.new == []


def test_bill_statements_override_inferred_pairs(retriever):
    old, new = units(retriever.store, "SFS 2001:453"), units(retriever.store, "SFS 2025:400")
    inferred = build_concordance(retriever.store)
    statements = parse_commentary(PAGES)
    pairs = apply_bill(inferred, statements, old, new)
    by_old = {p.old: p for p in pairs if p.old}
    assert by_old["SFS 2001:453 11 kap. 1 a §"].basis == "bill"
    assert by_old["SFS 2001:453 11 kap. 1 a §"].new == ["SFS 2025:400 20 kap. 2 §"]
    new_ones = [p for p in pairs if p.old is None and p.new == ["SFS 2025:400 20 kap. 3 §"]]
    assert new_ones and new_ones[0].basis == "bill"
    assert by_old["SFS 2001:453 4 kap. 1 §"].basis == "bill" and "SFS 2025:400 21 kap. 1 §" in by_old["SFS 2001:453 4 kap. 1 §"].new


def test_compare_both_directions(concordance, retriever):
    c = compare("Vad motsvarar 11 kap. 1 a § i gamla SoL?", retriever, concordance)
    assert c.asked == "SFS 2001:453 11 kap. 1 a §" and "SFS 2025:400 20 kap. 2 §" in [s.label for s in c.new]
    text = render_comparison_text(c)
    assert "GAMLA LAGEN" in text and "NYA LAGEN" in text and "{+" in text and "härledd ur lagtexterna" in text
    assert "<del>" in render_comparison_html(c)
    back = compare("vad är nytt i 20 kap. 2 §?", retriever, concordance)
    assert back.asked == "SFS 2025:400 20 kap. 2 §" and "SFS 2001:453 11 kap. 1 a §" in [s.label for s in back.old]
    assert compare("vad motsvarar 99 kap. 1 § i gamla SoL", retriever, concordance).missing


def test_change_question_cites_new_and_old(answerer, concordance):
    from assistant.answering.changes import answer_changes, intent

    q = "Vad är nytt om förhandsbedömning?"
    assert intent(q) == "changes"
    answer = answer_changes(q, answerer, concordance, "2026-02-01")
    labels = [c.label for c in answer.citations]
    assert "SFS 2025:400 20 kap. 2 §" in labels and "SFS 2001:453 11 kap. 1 a §" in labels
    for c in answer.citations:
        assert c.quote in answerer.retriever.store.get(c.passage_id).text


def test_cli_concordance_json_and_compare(indexed_settings):
    env = {**os.environ, "ASSISTANT_DATA_DIR": indexed_settings.data_dir}
    out = subprocess.run([sys.executable, "-m", "assistant", "concordance", "--json"], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(l) for l in out.stdout.splitlines()]
    assert all(set(r) >= {"old", "new", "relation", "score", "basis"} for r in rows)
    assert any(r["old"] is None and r["relation"] == "new" for r in rows)
    out = subprocess.run([sys.executable, "-m", "assistant", "compare", "11 kap. 1 a § gamla SoL"], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0 and "SFS 2025:400 20 kap. 2 §" in out.stdout
    out = subprocess.run([sys.executable, "-m", "assistant", "changes"], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0 and "# Nytt från 1 juli 2025" in out.stdout and "**Ny**" in out.stdout

"""Chat helpers: follow-ups, filters, personnummer masking, rendering, feedback."""

import json

from assistant.conversation.followup import standalone_question
from assistant.privacy import PNR_MASK, mask_personnummer
from assistant.types import Answer, Citation
from assistant.ui.chat import FeedbackLog, copy_text, filters_from_choices, passages_html

HISTORY = [
    {"role": "user", "content": "Vilka insatser får ges utan behovsprövning till barn?"},
    {"role": "assistant", "content": "Så här säger källorna: …"},
]


def test_follow_ups_are_read_with_the_previous_question():
    assert standalone_question("och för äldre?", HISTORY).startswith("Vilka insatser får ges utan behovsprövning till barn")
    assert standalone_question("och för äldre?", HISTORY).endswith("och för äldre?")
    assert "gamla lagen" in standalone_question("vad stod i gamla lagen?", HISTORY)
    # A full new question stands alone, and so does one naming a paragraph.
    full = "Hur lång tid har socialnämnden på sig att göra en förhandsbedömning?"
    assert standalone_question(full, HISTORY) == full
    assert standalone_question("20 kap. 2 §", HISTORY) == "20 kap. 2 §"
    assert standalone_question("och för äldre?", []) == "och för äldre?"


def test_chained_follow_ups_go_back_to_the_last_full_question():
    history = HISTORY + [{"role": "user", "content": "och för äldre?"}, {"role": "assistant", "content": "…"}]
    q = standalone_question("vad stod i gamla lagen?", history)
    assert q.startswith("Vilka insatser får ges utan behovsprövning till barn")


def test_source_filters():
    assert filters_from_choices([]).kinds == ()
    f = filters_from_choices(["Gamla lagen (SFS 2001:453)"])
    assert f.kinds == ("statute",) and f.law_versions == ("old",)
    f = filters_from_choices(["Nya lagen (SFS 2025:400)", "Gamla lagen (SFS 2001:453)", "Artiklar och regeringens sidor"])
    assert set(f.kinds) == {"statute", "article"} and f.law_versions == ()


def test_personnummer_are_masked():
    for pnr in ("19850101-1234", "850101-1234", "8501011234", "198501011234", "850161-1234",
                "19850412–1234", "850412 – 1234", "850412—1234", "850412−1234", "19850412+1234", "850412 1234"):
        masked, found = mask_personnummer(f"Klienten {pnr} har ansökt om bistånd")
        assert found and pnr not in masked and PNR_MASK in masked
    text, found = mask_personnummer("Hur lång tid har nämnden enligt 20 kap. 2 § och SFS 2025:400?")
    assert not found and text.endswith("SFS 2025:400?")


def _answer():
    text = "Om en anmälan gäller barn ska nämnden besluta inom fjorton dagar. Tiden får förlängas."
    return Answer(question="q", text="Så här säger källorna:\n\n”Om en anmälan gäller barn ska nämnden besluta inom fjorton dagar.” [1]",
                  citations=[Citation(1, "SFS 2025:400 20 kap. 2 §", "p1", "Om en anmälan gäller barn ska nämnden besluta inom fjorton dagar.",
                                      0.9, text=text, heading="Förhandsbedömning <test>", url="https://example.org/#K20P2")])


def test_passage_panel_marks_the_quote_and_escapes_html():
    html = passages_html(_answer())
    assert "<mark>Om en anmälan gäller barn ska nämnden besluta inom fjorton dagar.</mark>" in html
    assert "&lt;test&gt;" in html and "https://example.org/#K20P2" in html and "[1] SFS 2025:400 20 kap. 2 §" in html


def test_copy_text_has_answer_and_sources():
    text = copy_text(_answer())
    assert text.startswith("Så här säger källorna") and "[1] SFS 2025:400 20 kap. 2 § – https://example.org/#K20P2" in text


def test_feedback_keeps_the_question_only_on_opt_in(tmp_path):
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    answer = _answer().to_dict()
    log.record("upp", answer, "Klienten 19850101-1234 undrar", include_question=False)
    log.record("ned", answer, "Klienten 19850101-1234 undrar", include_question=True)
    rows = [json.loads(l) for l in (tmp_path / "feedback.jsonl").read_text().splitlines()]
    assert "question" not in rows[0] and rows[0]["cited"] == ["SFS 2025:400 20 kap. 2 §"]
    assert rows[1]["question"] == f"Klienten {PNR_MASK} undrar"


def test_filters_are_offered_only_for_sources_in_the_index(indexed_settings):
    from assistant.ui.chat import available_choices, indexed_kinds

    kinds = indexed_kinds(indexed_settings)
    assert kinds == {"statute", "inquiry", "article"}  # the bill is not in the mirror
    offered, absent = available_choices(kinds)
    assert "Utredningen (SOU 2020:47)" in offered
    assert absent == ["Propositionen (Prop. 2024/25:89)"]

import pytest

from assistant.labels import chapter_key, page_label, parse_label, statute_label, transitional_label
from assistant.parsing.article import parse_article
from assistant.parsing.text import sentence_spans, strip_boilerplate


def test_canonical_label_forms():
    assert statute_label("SFS 2025:400", "20", "2") == "SFS 2025:400 20 kap. 2 §"
    assert statute_label("SFS 2001:453", "11", "1a") == "SFS 2001:453 11 kap. 1 a §"
    assert statute_label("SFS 2001:453", "2 a", "3") == "SFS 2001:453 2 a kap. 3 §"
    assert transitional_label("SFS 2025:400", "2025:1501", 2) == "SFS 2025:400 övergångsbestämmelser 2025:1501 p. 2"
    assert transitional_label("SFS 2001:453", "2003:737") == "SFS 2001:453 övergångsbestämmelser 2003:737"
    assert page_label("Prop. 2024/25:89", 512) == "Prop. 2024/25:89 s. 512"


@pytest.mark.parametrize(
    "label",
    [
        "SFS 2025:400 20 kap. 2 §",
        "SFS 2001:453 11 kap. 1 a §",
        "SFS 2025:400 övergångsbestämmelser 2025:1501 p. 2",
        "Prop. 2024/25:89 s. 512",
        "SOU 2020:47 s. 123",
        "seed:001_45a51b96bfc3d28b",
        "regeringen:artiklar__2025__05__ny-socialtjanstlag-beslutad",
    ],
)
def test_labels_parse(label):
    parse_label(label)
    assert chapter_key(label)


@pytest.mark.parametrize("bad", ["20 kap. 2 §", "SFS 2025:400 20 kap 2 §", "SFS 2025:400 20 kap. 2§", "Prop. s. 5"])
def test_non_canonical_labels_are_rejected(bad):
    with pytest.raises(ValueError):
        parse_label(bad)


def test_sentences_keep_references_and_lists_whole():
    text = (
        "Om en anmälan gäller barn ska nämnden besluta inom fjorton dagar (förhandsbedömning). "
        "Det gäller enligt 27 kap. 5 § och t.ex. Prop. 2024/25:89 s. 12. Tiden får förlängas.\n\n"
        "Följande gäller:\n1. det ena,\n2. det andra."
    )
    spans = sentence_spans(text)
    parts = [text[a:b] for a, b in spans]
    assert parts == [
        "Om en anmälan gäller barn ska nämnden besluta inom fjorton dagar (förhandsbedömning).",
        "Det gäller enligt 27 kap. 5 § och t.ex. Prop. 2024/25:89 s. 12.",
        "Tiden får förlängas.",
        "Följande gäller:\n1. det ena,\n2. det andra.",
    ]


def test_boilerplate_is_stripped(mirror):
    raw = (mirror / "articles" / "seeds" / "001_45a51b96bfc3d28b.txt").read_text(encoding="utf-8")
    clean = strip_boilerplate(raw)
    for junk in ("Regler för kommentarer", "Prenumerera", "Läs vidare", "Kontaktformulär", "Sök i bloggen"):
        assert junk not in clean
    assert "Vivalla i Örebro" in clean
    title, blocks = parse_article(raw, markdown=False)
    assert title == "Viktigt besked om ny socialtjänstlag"
    assert all("kommentar" not in b.lower() for _, b in blocks)

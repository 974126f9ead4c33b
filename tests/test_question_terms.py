"""How a question's words are read: which stand for words of the sources, which
the sources never use (the abstention signal), and how much each weighs."""

import pytest

from assistant.answering.extractive import MAX_UNKNOWN
from assistant.index.tokenize import deep_split, lemmatize, query_units, restore_diacritics, stem_variant
from assistant.retrieval.evidence import QuestionTerms, specificity


def _unit(units, surface):
    return next(u for u in units if u.surface == surface)


def test_abbreviations_and_everyday_words_stand_for_the_laws_words(retriever):
    terms = QuestionTerms("vad räknas som HVB, och får klienten bo där?", retriever.keyword)
    assert terms.unknown_words == []  # "hvb" and "klienten" are not unknown: they expand
    hvb = _unit(terms.units, "hvb")
    assert set(hvb.expansion) >= {"hem", "vård"}
    # a text that speaks of "hem för vård eller boende" covers the abbreviation
    assert hvb.credit({"hem", "vård", "boend"}) == 1.0 and hvb.credit({"vård"}) < 1.0


def test_words_of_asking_are_neither_searched_nor_unknown(retriever):
    units = query_units("Vad är skillnaden egentligen, räknas som jourhem fortfarande?",
                        retriever.keyword.vocabulary, retriever.keyword.stems)
    assert [u.surface for u in units] == ["jourhem"]


def test_forms_the_stemmer_keeps_apart_are_joined(retriever):
    stems = retriever.keyword.stems
    assert lemmatize("åldrar") == "ålder" and lemmatize("föräldrar") == "förälder"
    unit = _unit(query_units("åldrar", retriever.keyword.vocabulary, stems), "åldrar")
    assert any(s in stems for s in unit.stems)
    assert stem_variant("zzzzzz", stems) is None


def test_words_typed_without_a_ring_and_dots_are_read_as_written_with_them(retriever):
    vocabulary = retriever.keyword.vocabulary
    assert restore_diacritics("arende", vocabulary) == "ärende"  # a word of the corpus
    assert restore_diacritics("nar", vocabulary) == "när"  # a stopword, then dropped
    assert restore_diacritics("tonaring", vocabulary) == "tonåring"  # common Swedish, not in the corpus
    for word in ("boende", "hand", "barn", "maria", "ärende", "hvb"):  # Swedish as typed, a name, known
        assert restore_diacritics(word, vocabulary) is None
    folded = QuestionTerms("hur lang tid har IVO pa sig att besluta nar tva kommuner ar oense om ett arende",
                           retriever.keyword)
    written = QuestionTerms("hur lång tid har IVO på sig att besluta när två kommuner är oense om ett ärende",
                            retriever.keyword)
    assert [u.surface for u in folded.units] == [u.surface for u in written.units]
    assert folded.unknown_share == pytest.approx(written.unknown_share)


def test_compounds_split_into_corpus_words(retriever):
    vocabulary = retriever.keyword.vocabulary
    assert deep_split("barnavårdsutredningen", vocabulary)[-1] == "utredningen"
    assert "anmälan" in deep_split("orosanmälan", vocabulary)
    assert deep_split("xq", vocabulary) == []


def test_unknown_words_weigh_by_how_specific_they_are():
    assert specificity("omkostnadsersättning") == 1.0  # rare in Swedish: a topic of its own
    assert specificity("fredag") < 0.5  # everyday: part of a case description
    assert specificity("fredag") >= 0.2


@pytest.mark.parametrize(
    "question, outside",
    [
        ("Vilka krav ställer Boverkets byggregler på rullstolsanpassning?", True),
        ("Pappan vägrar låta oss prata med hans dotter en fredag. Får vi prata med barnet ändå?", False),
    ],
)
def test_unknown_share_tells_a_question_outside_the_sources(retriever, question, outside):
    share = QuestionTerms(question, retriever.keyword).unknown_share
    assert (share > MAX_UNKNOWN) == outside, share


def test_a_question_about_another_law_is_recognised():
    from assistant.retrieval.references import names_law, other_law_asked

    assert other_law_asked("Hur många timmar personlig assistans har man rätt till enligt LSS?") == "LSS"
    assert other_law_asked("Vad säger skollagen om frånvaro?") == "skollagen"
    # also about the Socialtjänstlag, or a compound like "LVU-ärenden": not another law's question
    assert other_law_asked("Räknas det vi gör enligt LVU som socialtjänst enligt nya SoL?") is None
    assert other_law_asked("delegation i LVU-ärenden") is None
    assert names_law("LVU", "... finns i lagen (1990:52) med särskilda bestämmelser om vård av unga.")
    assert not names_law("LSS", "Socialnämnden ska verka för att ...")


def test_other_laws_questions_abstain_unless_the_sources_point_to_that_law(answerer):
    outside = answerer.answer("Hur lång tid har förvaltningsrätten på sig att pröva ett omedelbart omhändertagande enligt LVU?")
    assert outside.abstained and "LVU" in outside.text and not outside.citations
    pointer = answerer.answer("Får socialnämnden delegera beslut enligt LVU till en ledamot?")
    assert not pointer.abstained and "1990:52" in pointer.citations[0].text


def test_the_index_carries_the_lemmas_it_needs(retriever):
    from assistant.index.keyword import KeywordIndex

    keyword = retriever.keyword
    assert KeywordIndex.is_current(keyword.directory)
    table = keyword.lemmas
    assert table is not None and table["åldrar"] == lemmatize("åldrar") == "ålder"
    # only forms the corpus lacks are in it: a cold start loads a small table, not the dictionary
    assert "barn" not in table and len(table) < 50_000


def test_every_lexicon_entry_reaches_the_sources(retriever):
    from assistant.index.tokenize import _content_words, lexicon, stem_words

    synonyms, _ = lexicon()
    stems = retriever.keyword.stems
    dead = [key for key, words in synonyms.items() if not set(stem_words(_content_words(words))) & stems]
    assert dead == []

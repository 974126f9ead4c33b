"""Which transitional point governs (issue 22 row 2): the classifier ingest learns from
the question bank, and how its probabilities are read (assistant/retrieval/transition.py)."""

from __future__ import annotations

import numpy as np

from assistant.retrieval.transition import (
    GENERAL,
    OTHER,
    TransitionParams,
    governing_point,
    transition_class,
    transitional_share,
)

P = "SFS 2025:400 övergångsbestämmelser "
P1, P2, P6 = f"{P}2025:400 p. 1", f"{P}2025:400 p. 2", f"{P}2025:400 p. 6"
A2 = f"{P}2025:1501 p. 2"


def test_bank_questions_fall_into_classes_by_their_governing_point():
    assert transition_class((P1, P2)) == GENERAL
    assert transition_class((P6, P2)) == P6
    assert transition_class((P1, P6)) == P6  # a specific point governs wherever it is listed
    assert transition_class(("SFS 2025:400 20 kap. 2 §",)) == OTHER
    assert transition_class(()) == OTHER  # out of scope


def test_the_probabilities_are_read_as_a_lawyer_reads_the_points():
    params = TransitionParams(detect=0.5, over_general=0.5, amendment=0.3)
    probs = {OTHER: 0.1, GENERAL: 0.5, P6: 0.3, A2: 0.1}
    assert transitional_share(probs) == 0.9
    assert governing_point(probs, params) == P6  # 0.3 >= 0.5 * 0.5
    assert governing_point(probs | {P6: 0.2, GENERAL: 0.6}, params) == ""  # the general rule alone
    # an amending act's point answers only when asked about, or when it is clearly what the question is
    assert governing_point({GENERAL: 0.2, A2: 0.25, OTHER: 0.55}, params) == ""
    assert governing_point({GENERAL: 0.2, A2: 0.25, OTHER: 0.55}, params, amendment_asked=True) == A2
    assert governing_point({GENERAL: 0.2, A2: 0.6, OTHER: 0.2}, params) == A2
    assert governing_point({OTHER: 1.0}, params) == ""


def test_ingest_builds_the_classifier_into_the_bank_index(retriever):
    bank = retriever.bank
    assert bank is not None and bank.transition_weights is not None
    assert {GENERAL, OTHER, P6, A2} <= set(bank.transition_classes)
    assert bank.transition_weights.shape == (bank.vectors.shape[1] + 1, len(bank.transition_classes))
    probs = bank.transition_probs(retriever.query_vector("Vilken lag gäller för ett överklagande av ett "
                                                         "beslut från våren 2025?"))
    assert abs(sum(probs.values()) - 1.0) < 1e-5
    # refitted without a writer, as every held-out figure is measured
    held = bank.without("w15", retriever.search_vectors, retriever.store)
    assert held.transition_weights is not None
    assert not np.allclose(held.transition_weights, bank.transition_weights)


def test_a_matter_no_exception_covers_gets_the_general_rule(assistant):
    turn = assistant.respond("Vi har ett barn placerat i familjehem sedan hösten 2024 och placeringen "
                             "fortsätter. Enligt vilken lag gör vi övervägandena nu?")
    labels = turn.cited_labels()
    assert labels[0] == P1, labels
    assert "huvudregeln gäller" in turn.answer.text


def test_a_permit_question_without_date_words_is_read_as_transitional(assistant):
    # no "1 juli", "övergång" or "gamla eller nya": the classifier reads it as being about p. 4
    labels = assistant.respond("Vårt HVB fick sitt tillstånd av IVO redan 2019. Måste vi söka ett nytt "
                               "tillstånd nu när socialtjänstlagen är utbytt?").cited_labels()
    assert labels[0] == f"{P}2025:400 p. 4", labels

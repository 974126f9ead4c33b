"""The question bank (corpus/questions): its data is checked line by line, what
ingest learns from it is in the index generation, and it changes what is retrieved."""

import json
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from assistant.bank.data import check_lines, eval_overlap, label_texts, load_bank, problems


@pytest.fixture(scope="module")
def bank():
    return load_bank(evals=[])


@pytest.fixture(scope="module")
def texts():
    return label_texts()


def test_every_bank_line_checks_out(bank, texts):
    bad = [f"{q.source}:{q.line}: {p}" for q in bank.questions for p in problems(q, texts)]
    assert not bad, bad[:10]
    assert all(q.writer and q.form for q in bank.questions)
    assert len({q.writer for q in bank.questions}) >= 5


def test_the_checker_finds_what_is_wrong(texts):
    lines = [
        json.dumps({"question": "Hur snabbt ska en orosanmälan om ett barn bedömas?", "labels": ["SFS 2025:400 99 kap. 1 §"],
                    "answers": ["inom fjorton dagar"], "writer": "t", "form": "question"}),
        json.dumps({"question": "Hur snabbt ska en orosanmälan om ett barn bedömas?", "labels": ["SFS 2025:400 20 kap. 2 §"],
                    "answers": ["beslut inom tio dagar efter det att anmälan"], "writer": "t", "form": "question"}),
        json.dumps({"question": "ska socialnämnden fatta beslut om att inleda eller inte inleda utredning?",
                    "labels": ["SFS 2025:400 20 kap. 2 §"], "answers": ["Tiden för förhandsbedömningen får endast "
                                                                          "förlängas om det finns synnerliga skäl."],
                    "writer": "t", "form": "question"}),
        "{not json",
    ]
    found = check_lines(lines, texts)
    assert any("rad 1: okänd etikett" in p for p in found)
    assert any("rad 2: svarsmeningen finns inte ordagrant" in p for p in found)
    assert any("rad 3: frågan kopierar sex ord" in p for p in found)
    assert any("rad 4: inte en giltig rad" in p for p in found)


def test_the_bank_covers_every_paragraph(bank, indexed_settings):
    from assistant.cli import BANK_TARGET, _bank_labels

    per_label = Counter(label for q in bank.answerable for label in q.labels)
    labels = _bank_labels(indexed_settings)
    assert sum(1 for v in labels.values() if v == "new") == 308  # 295 paragraphs + 13 transitional points
    short = {label: per_label[label] for label, law in labels.items() if per_label[label] < BANK_TARGET[law]}
    assert not short, short
    assert sum(1 for q in bank.questions if q.out_of_scope) >= 400
    forms = Counter(q.form for q in bank.answerable)
    assert {"question", "case", "two_asks", "keywords", "typos", "no_diacritics"} <= set(forms)


def test_no_bank_question_copies_an_eval_question(bank, retriever):
    """Same text (normalised) or cosine ≥ 0.95 with any question in evals/."""
    from evals.bank_overlap import eval_texts

    index = retriever.bank
    vector_of = {q: v for q, v in zip(index.questions, index.vectors)}
    others = eval_texts()
    missing = [t for t in others if t not in vector_of]
    embedded = dict(zip(missing, (retriever.search_vectors.embedder.backend.queries(missing) if missing else [])))
    other_vectors = np.stack([vector_of[t] if t in vector_of else embedded[t] for t in others])
    bank_questions = [q for q, w in zip(index.questions, index.writers) if not w.startswith("evals:")]
    bank_vectors = np.stack([vector_of[q] for q in bank_questions])
    hits = eval_overlap(bank_questions, bank_vectors, others, other_vectors)
    assert not hits, [(bank_questions[i], others[j], s) for i, j, s in hits[:5]]


def test_ingest_builds_the_adapter_into_the_generation(indexed_settings, retriever):
    index = retriever.bank
    assert index is not None and index.adapter is not None and index.adapter.shape == (384, 384)
    assert index.sentence_adapter is not None
    full = load_bank()  # the bank and the development eval files
    assert index.meta["bank"] == full.digest and len(index.questions) == len(full.questions)
    assert not any(w.startswith("evals:blind") for w in index.writers)  # the blind sets are never trained on
    out = subprocess.run([sys.executable, "-m", "assistant", "--data-dir", indexed_settings.data_dir, "status"],
                         capture_output=True, text=True, check=True).stdout
    assert "Frågebank:" in out and "frågeadapter tränad" in out


def test_the_held_out_adapter_ranks_better_than_the_model_alone(retriever):
    """On questions it was not trained on (wild.jsonl held out), dense search alone."""
    from assistant.bank.adapter import normalise
    from evals.run import load_questions

    held = retriever.bank.without("evals:wild", retriever.search_vectors, retriever.store)
    assert "evals:wild" not in held.writers
    snap = retriever.search_vectors
    labels = [retriever.store.get(pid).label for pid in snap.passage_ids]
    questions = [q for q in load_questions("evals/wild.jsonl") if q["expected"]]
    raw = np.stack([retriever.query_vector(q["question"]) for q in questions])

    def hit_at_1(vectors):
        best = np.argmax(vectors @ snap.passage_vectors.T, axis=1)
        return np.mean([labels[b] in q["expected"] for b, q in zip(best, questions)])

    assert hit_at_1(normalise(raw @ held.adapter)) > hit_at_1(raw) + 0.05


def test_issue_12_questions_that_failed(assistant, retriever):
    # Housing allowance is Försäkringskassan's: refused (its nearest bank questions are out of scope).
    assert assistant.respond("Vilket bostadsbidrag kan en barnfamilj få?").abstained
    # Home care without a needs assessment: the bank's neighbours vote 11 kap. 5 § first, and with the
    # label classifier it is retrieved first (it was not in the top five before the bank, second with
    # the neighbours alone, behind 8 kap. 3 §), so the answer's first quote is the one that answers.
    question = "Får vi ge hemtjänst till äldre utan att först utreda behovet?"
    assert list(retriever.bank.label_votes(retriever.query_vector(question), 0.9)[0])[0] == "SFS 2025:400 11 kap. 5 §"
    labels = [sp.passage.label for sp in retriever.search(question, k=5).passages]
    assert labels[0] == "SFS 2025:400 11 kap. 5 §"
    turn = assistant.respond(question)
    assert not turn.abstained and turn.cited_labels()[0] == "SFS 2025:400 11 kap. 5 §"


def test_similar_questions_are_other_paragraphs_of_the_bank(assistant, bank):
    turn = assistant.respond("Hur lång tid har socialnämnden på sig att göra en förhandsbedömning?")
    similar = turn.to_dict()["similar_questions"]
    assert 1 <= len(similar) <= 3
    bank_questions = {q.question for q in bank.questions}
    cited = set(turn.cited_labels())
    assert all(s["question"] in bank_questions and s["label"] not in cited for s in similar)
    assert len({s["label"] for s in similar}) == len(similar)


def test_a_good_answer_proposes_its_question_and_an_editor_accepts_it(tmp_path, assistant, texts):
    from assistant.bank.review import REVIEWED, decide, proposals, propose

    turn = assistant.respond("Hur länge får en förhandsbedömning om ett barn pågå, 19850701-1234?")
    entry = propose(tmp_path, turn.message, turn.to_dict())
    assert entry is not None and "1234" not in json.dumps(entry)
    assert propose(tmp_path, "Vad kostar ett busskort?", {"abstained": True, "citations": []}) is None
    bad = propose(tmp_path, "Om det finns synnerliga skäl får förhandsbedömningen förlängas?",
                  {"citations": [{"label": "SFS 2025:400 20 kap. 2 §", "quote": "inte ur paragrafen"}]})
    assert bad is not None
    accepted, found = decide(tmp_path, {1, 2}, set(), texts, bank_dir=tmp_path / "bank")
    assert len(accepted) == 1 and len(found) == 1  # the second fails the bank's check and stays new
    assert [p.status for p in proposals(tmp_path)] == ["godkänd", "ny"]
    written = (tmp_path / "bank" / REVIEWED).read_text(encoding="utf-8")
    assert "1234" not in written and not check_lines(written.splitlines(), texts)
    decide(tmp_path, set(), {2}, texts, bank_dir=tmp_path / "bank")
    assert [p.status for p in proposals(tmp_path)] == ["godkänd", "avvisad"]


def test_bank_stats_command(indexed_settings):
    out = subprocess.run([sys.executable, "-m", "assistant", "--data-dir", indexed_settings.data_dir, "bank", "stats",
                          "--json"], capture_output=True, text=True, check=True).stdout
    stats = json.loads(out)
    assert stats["gaps"] == {}
    assert stats["chapters"]["SFS 2025:400 20 kap."]["fewest"] >= 8


def test_an_eval_file_that_is_training_data_is_scored_without_it(retriever, tmp_path, indexed_settings):
    from evals.heldout import held_out
    from evals.run import main

    full = retriever.bank
    assert "evals:wild" in full.writers
    with held_out(retriever, "evals/wild.jsonl") as swapped:
        assert swapped and "evals:wild" not in retriever.bank.writers
        assert len(retriever.bank.questions) == sum(w != "evals:wild" for w in full.writers)
    assert retriever.bank is full
    with held_out(retriever, "evals/blind.jsonl") as swapped:  # never trained on: nothing to hold out
        assert not swapped and retriever.bank is full
    sample = tmp_path / "questions.jsonl"  # same stem as a training file: held out by name
    sample.write_text("".join(open("evals/questions.jsonl", encoding="utf-8").readlines()[:3]), encoding="utf-8")
    out = tmp_path / "out.json"
    assert main(["--questions", str(sample), "--json", str(out), "--concordance-gold", "",
                 "--data-dir", indexed_settings.data_dir]) == 0
    assert json.loads(out.read_text())["retrievers"]["hybrid"]["bank_held_out"] is True


def test_an_index_without_a_bank_keeps_every_other_signal(retriever):
    """Sentence vectors and the model's ranking do not depend on the bank being there."""
    question = "Hur lång tid har socialnämnden på sig att göra en förhandsbedömning?"
    with_bank = retriever.candidates(question)
    assert with_bank.bank_rank.any() and with_bank.sentence_rank.any()
    full, retriever._bank = retriever._bank, False  # as an index built without a bank loads
    try:
        without = retriever.candidates(question)
    finally:
        retriever._bank = full
    assert without.sentence_rank.any() and without.dense_rank.any() and not without.bank_rank.any()
    assert without.oos_similarity == 0.0


def test_the_label_classifier_is_in_the_generation_and_helps_held_out(retriever):
    """The bank's label classifier (issue 20): built by ingest, a probability per label with
    out of scope ("") a class of its own, refitted without a file for held-out figures; on
    wild.jsonl held out, the hybrid with it ranks the expected paragraph first more often."""
    from dataclasses import replace

    from evals.heldout import held_out
    from evals.run import load_questions

    bank = retriever.bank
    assert bank.classifier_weights is not None and "" in bank.classifier_labels
    assert bank.classifier_weights.shape == (bank.vectors.shape[1] + 1, len(bank.classifier_labels))
    probs = bank.label_probs(retriever.query_vector("Hur mycket är riksnormen för en ensamstående 2026?"))
    assert abs(sum(probs.values()) - 1.0) < 1e-4
    assert next(iter(probs)) == ""  # the most probable class: out of scope
    assert retriever.params.classifier > 0
    questions = [q for q in load_questions("evals/wild.jsonl") if q["expected"]]
    off = replace(retriever.params, classifier=0.0)

    def hit_at_1(params) -> float:
        hits = []
        with held_out(retriever, "evals/wild.jsonl"):
            assert "evals:wild" not in retriever.bank.writers
            for q in questions:
                result = retriever.search(q["question"], k=5, params=params)
                hits.append(bool(result.passages) and result.passages[0].passage.label in q["expected"])
        return float(np.mean(hits))

    assert hit_at_1(retriever.params) >= hit_at_1(off) + 0.03

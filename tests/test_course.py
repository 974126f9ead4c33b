"""Course mode: modules, quizzes and handouts (PDF read back with pypdf)."""

import io
import os
import subprocess
import sys

import pytest
from pypdf import PdfReader

from assistant.changes.concordance import Concordance
from assistant.course import module_passages
from assistant.course.export import markdown_to_pdf, module_markdown, quiz_markdown, session_markdown
from assistant.course.modules import find_module, load_modules, render_module
from assistant.course.quiz import generate_quiz, grade

MODULES = load_modules()


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_required_modules_exist():
    titles = " | ".join(m.title.lower() for m in MODULES)
    for topic in ("förebyggande arbete", "insatser utan individuell behovsprövning", "barnets rättigheter",
                  "vetenskap och beprövad erfarenhet", "brottsförebyggande", "orosanmälan", "förhandsbedömning",
                  "uppgiftsskyldighet och dokumentation", "övergångsbestämmelser"):
        assert topic in titles, topic


def test_every_module_label_exists_in_the_index(retriever):
    labels = retriever.store.labels()
    for m in MODULES:
        assert m.paragraphs and m.questions
        for label in m.paragraphs:
            assert label in labels, (m.id, label)


@pytest.mark.parametrize("module", MODULES, ids=[m.id for m in MODULES])
def test_quiz_items_are_grounded_and_deterministic(module, retriever):
    passages = module_passages(module, retriever)
    quiz = generate_quiz(passages, n=10, seed=7)
    assert 5 <= len(quiz) <= 10
    assert len({q.kind for q in quiz}) >= 3
    for item in quiz:
        passage = retriever.store.get(item.passage_id)
        assert passage.label == item.citation
        assert item.grounded(passage.text), item
        if item.options:
            assert item.answer in item.options and len(set(item.options)) == len(item.options)
    again = generate_quiz(passages, n=10, seed=7)
    assert [(q.prompt, q.answer, q.options) for q in again] == [(q.prompt, q.answer, q.options) for q in quiz]
    other = generate_quiz(passages, n=10, seed=8)
    assert [q.prompt for q in other] != [q.prompt for q in quiz]


def test_requested_number_of_items(retriever):
    passages = module_passages(find_module(MODULES, "orosanmalan"), retriever)
    assert len(generate_quiz(passages, n=4, seed=1)) == 4
    assert len(generate_quiz(passages, n=10, seed=1)) == 10


def test_grading_accepts_digits_for_number_words(retriever):
    passages = module_passages(find_module(MODULES, "orosanmalan"), retriever)
    item = next(q for q in generate_quiz(passages, n=10, seed=1) if q.kind == "deadline")
    from assistant.answering.verifier import NUMBER_WORDS

    digits = str(NUMBER_WORDS.get(item.answer.lower(), item.answer))
    assert grade(item, digits)[0] and grade(item, item.answer.upper())[0]
    ok, feedback = grade(item, "999")
    assert not ok and item.citation in feedback and item.source in feedback


@pytest.fixture(scope="module")
def concordance(retriever, indexed_settings):
    return Concordance.load_or_build(retriever.store, indexed_settings.index_dir, retriever.vectors)


def test_module_handout_markdown_and_pdf(retriever, concordance, pdf_to_png):
    module = find_module(MODULES, "orosanmälan")
    rendered = render_module(module, retriever, concordance)
    versions = ["SFS 2025:400 i lydelse t.o.m. SFS 2025:1501"]
    md = module_markdown(rendered, versions)
    assert "## SFS 2025:400 20 kap. 2 §" in md and "Gamla lagen, SFS 2001:453 11 kap. 1 a §" in md
    assert "**" in md.split("Ändringar ord för ord")[1] and "{+" not in md and "[-" not in md  # diffs as formatting
    pdf = markdown_to_pdf(md, module.title)
    assert all(ink > 0.005 for ink in pdf_to_png(pdf, "handout-pdf"))
    text = _pdf_text(pdf)
    assert "~~" not in text and "{+" not in text and "**" not in text
    for needle in ("SFS 2025:400 20 kap. 2 §", "SFS 2001:453 11 kap. 1 a §", "fjorton dagar", "i lydelse t.o.m. SFS 2025:1501",
                   "Diskussionsfrågor"):
        assert needle in text, needle


def test_quiz_pdf_with_and_without_key(retriever):
    module = find_module(MODULES, "orosanmalan")
    items = generate_quiz(module_passages(module, retriever), n=10, seed=2)
    with_key = _pdf_text(markdown_to_pdf(quiz_markdown(items, module.title, True, ["SFS 2025:400"]), "q"))
    without = _pdf_text(markdown_to_pdf(quiz_markdown(items, module.title, False, ["SFS 2025:400"]), "q"))
    assert "Facit" in with_key and items[0].citation in with_key
    assert "Facit" not in without and items[0].citation not in without.split("Utskrivet")[0] or items[0].kind == "paragraph"


def test_chat_session_export():
    history = [{"role": "user", "content": "Vad gäller?"},
               {"role": "assistant", "content": "Så här säger källorna: ”…” [1]<details><summary>x</summary>bort</details>"}]
    md = session_markdown(history, ["SFS 2025:400 i lydelse t.o.m. SFS 2025:1501"])
    assert "## Fråga" in md and "bort" not in md
    assert "Vad gäller?" in _pdf_text(markdown_to_pdf(md))


def test_cli_course(indexed_settings, tmp_path):
    env = {**os.environ, "ASSISTANT_DATA_DIR": indexed_settings.data_dir}
    run = lambda *a: subprocess.run([sys.executable, "-m", "assistant", "course", *a], capture_output=True, text=True,  # noqa: E731
                                    env=env, timeout=300, cwd=tmp_path)
    out = run("list")
    assert out.returncode == 0 and "orosanmalan" in out.stdout
    out = run("quiz", "orosanmalan", "--n", "5", "--key")
    assert out.returncode == 0 and "## Facit" in out.stdout and out.stdout.count("**") >= 10
    out = run("export", "orosanmalan", "--format", "pdf", "--out", "h.pdf")
    assert out.returncode == 0 and "SFS 2025:400 20 kap. 2 §" in _pdf_text((tmp_path / "h.pdf").read_bytes())
    assert run("show", "finns-inte").returncode == 2

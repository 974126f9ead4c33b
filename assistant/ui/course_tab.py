"""The "Utbildning" tab: pick a module, read it (new and old text, diff), take a
quiz with instant feedback, download the handout and the quiz as PDF."""

from __future__ import annotations

from dataclasses import asdict

import gradio as gr

from assistant.course import module_passages
from assistant.course.export import key_markdown, markdown_to_pdf, module_markdown, quiz_markdown
from assistant.course.modules import find_module, load_modules, render_module
from assistant.course.quiz import QuizItem, generate_quiz, grade, source_line, verdict
from assistant.ui import downloads

QUIZ_SIZE = 10


def build_course_tab(service) -> None:
    modules = load_modules()
    titles = [m.title for m in modules]

    def module_of(title):
        """The chosen module; a Swedish error when none is chosen (never a silent pick)."""
        module = find_module(modules, title or "") if title else None
        if module is None:
            raise gr.Error("Välj en modul först.", print_exception=False, title="Välj modul")
        return module

    def show(title):
        answerer = service.get()
        rendered = render_module(module_of(title), answerer.retriever, service.concordance)
        return module_markdown(rendered, service.versions), None

    def question_view(state):
        items, i = state["items"], state["index"]
        if i >= len(items):
            done = f"### Klart: {state['score']} av {len(items)} rätt."
            return done, gr.update(choices=[], value=None, visible=False), gr.update(value="", visible=False)
        item = QuizItem(**items[i])
        prompt = f"**Fråga {i + 1} av {len(items)}.** {item.prompt}"
        if item.options:
            return prompt, gr.update(choices=item.options, value=None, visible=True), gr.update(value="", visible=False)
        return prompt, gr.update(choices=[], value=None, visible=False), gr.update(value="", visible=True)

    def start(title, seed):
        answerer = service.get()
        items = generate_quiz(module_passages(module_of(title), answerer.retriever), QUIZ_SIZE, int(seed or 1))
        state = {"items": [asdict(x) for x in items], "index": 0, "score": 0, "answered": False}
        return (state, *question_view(state), "")

    def answer(state, choice, text):
        if not state or state["index"] >= len(state["items"]):
            return state, "Starta ett quiz först."
        if state.get("answered"):
            return state, "Du har redan svarat – gå vidare till nästa fråga."
        item = QuizItem(**state["items"][state["index"]])
        response = choice if item.options else text
        if not (response or "").strip():
            return state, "Välj eller skriv ett svar."
        correct, _ = grade(item, response)
        state = {**state, "score": state["score"] + int(correct), "answered": True}
        return state, f"**{verdict(item, correct)}** {source_line(item)}"

    def next_question(state):
        if not state:
            return state, "Starta ett quiz först.", gr.update(), gr.update(), ""
        state = {**state, "index": state["index"] + 1, "answered": False}
        return (state, *question_view(state), "")

    def handout(title):
        md, _ = show(title)
        module = module_of(title)
        return downloads.write(markdown_to_pdf(md, module.title), f"{module.id}.pdf")

    def quiz_pdf(state, title):
        """Two documents: the question sheet for the participants and the key for the trainer."""
        module = module_of(title)
        if not state:
            raise gr.Error("Starta ett quiz först.", print_exception=False, title="Starta quiz")
        items = [QuizItem(**x) for x in state["items"]]
        sheet = quiz_markdown(items, module.title, with_key=False, versions=service.versions)
        key = key_markdown(items, module.title, versions=service.versions)
        return [downloads.write(markdown_to_pdf(sheet, f"Quiz: {module.title}"), f"{module.id}-quiz.pdf"),
                downloads.write(markdown_to_pdf(key, f"Facit: {module.title}"), f"{module.id}-facit.pdf")]

    with gr.Tab("Utbildning", id="course-tab"):
        with gr.Row():
            module_dd = gr.Dropdown(titles, label="Modul", value=None, elem_id="module")
            seed = gr.Number(value=1, precision=0, label="Quiz-nummer (samma nummer ger samma frågor)", elem_id="seed")
        with gr.Row():
            start_btn = gr.Button("Starta quiz (10 frågor)", variant="primary", elem_id="quiz-start")
            handout_btn = gr.Button("Skapa utskrift (PDF)", elem_id="handout")
            quiz_btn = gr.Button("Skapa quiz och facit (två PDF)", elem_id="quiz-pdf")
        files = gr.File(label="Nedladdning", elem_id="course-files", interactive=False, file_count="multiple")
        quiz_state = gr.State(None)
        with gr.Group():
            prompt = gr.Markdown("Välj en modul och starta ett quiz.", elem_id="quiz-question")
            options = gr.Radio([], label="Svar", visible=False, elem_id="quiz-options")
            free = gr.Textbox(label="Ditt svar", visible=False, elem_id="quiz-free")
            with gr.Row():
                answer_btn = gr.Button("Svara", elem_id="quiz-answer")
                next_btn = gr.Button("Nästa fråga", elem_id="quiz-next")
            feedback = gr.Markdown("", elem_id="quiz-feedback")
        module_md = gr.Markdown("", elem_id="module-text")

        module_dd.change(show, module_dd, [module_md, quiz_state], api_visibility="private")
        start_btn.click(start, [module_dd, seed], [quiz_state, prompt, options, free, feedback], api_visibility="private")
        answer_btn.click(answer, [quiz_state, options, free], [quiz_state, feedback], api_visibility="private")
        next_btn.click(next_question, quiz_state, [quiz_state, prompt, options, free, feedback], api_visibility="private")
        handout_btn.click(handout, module_dd, files, api_visibility="private")
        quiz_btn.click(quiz_pdf, [quiz_state, module_dd], files, api_visibility="private")

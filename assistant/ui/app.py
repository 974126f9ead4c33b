"""The staff chat: `assistant serve` (Gradio Blocks, Swedish UI).

Named API endpoints (gradio_client): `/fraga` (question, sources) -> Answer as a
dict, and `/chat` (the chat turn the page itself uses).
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import os
import signal
import threading

from assistant.ui import downloads

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no telemetry: questions stay here
downloads.private_dir()  # Gradio's cache (uploads, downloads) in a private directory, set before Gradio loads

import gradio as gr  # noqa: E402
from fastapi import Request  # noqa: E402 (the JSON API's handler reads its body itself)

from assistant.changes.compare import (  # noqa: E402
    comparison_markdown,
    render_comparison_html,
    render_comparison_text,
)
from assistant.changes.overview import ALL_CHAPTERS, chapter_choices, render_html  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.conversation import Assistant  # noqa: E402
from assistant.conversation.followup import content_text  # noqa: E402
from assistant.labels import label_in_words  # noqa: E402
from assistant.markup import as_text, from_text  # noqa: E402
from assistant.privacy import mask_personnummer  # noqa: E402
from assistant.ui import downloads  # noqa: E402
from assistant.ui.chat import (  # noqa: E402
    FeedbackLog,
    available_choices,
    beside_html,
    beside_text,
    copy_text,
    filters_from_choices,
    indexed_kinds,
    passages_html,
    turn_markdown,
    version_line,
)
from assistant.ui.course_tab import build_course_tab  # noqa: E402
from assistant.ui.limits import ClientLimiter, client_of  # noqa: E402
from assistant.ui.reform_tab import build_reform_tab  # noqa: E402

EXAMPLES = [
    "Vad innebär insatser utan individuell behovsprövning?",
    "Vad motsvarar 11 kap. 1 a § i gamla SoL?",
    "Vad är nytt om förhandsbedömning?",
    "Hur lång tid har socialnämnden på sig att göra en förhandsbedömning?",
    "Vem är skyldig att anmäla oro för att ett barn far illa?",
    "Vad säger 20 kap. 2 § nya SoL?",
    "Vilken lag gäller för ett överklagande av ett beslut från juni 2025?",
]

NO_SOURCES = "<p class='no-sources'>Frågan besvarades inte, så inga källor visas.</p>"
PLACEHOLDER = ("**Fråga om nya socialtjänstlagen (SFS 2025:400) och vad som ändrats från den gamla.** "
               "Svaren citerar lagtexten ordagrant. Till exempel: *" + EXAMPLES[3] + "* eller *" + EXAMPLES[2] + "*")

CSS = """
.passage {border-left: 4px solid #2f6f9f; padding: 6px 10px; margin: 8px 0; background: #f7f9fb;}
.passage .label {font-size: 0.95em;} .passage .heading {font-style: italic; color: #444; margin: 2px 0 4px;}
.passage .date {color: #8a4b00;} .passage mark {background: #ffe58a;}
.comparison .sides {display: flex; gap: 12px;} .comparison .side {flex: 1; min-width: 0;}
.beside h4 {margin: 14px 0 4px;} .beside-text {max-height: 18em; overflow-y: auto;}
.comparison del {background: #fde2e1; color: #8a1c1c;} .comparison ins {background: #dff5df; color: #15521a; text-decoration: none;}
.comparison .diff {border: 1px solid #ddd; padding: 6px 10px; line-height: 1.6;} .basis {color: #666; font-size: 0.9em;}
.notice {background: #fff4e5; border: 1px solid #f0c36d; padding: 6px 10px; border-radius: 4px;}
.passage .source {color: #555; font-size: 0.9em;}
.passage .kind {display: inline-block; font-size: 0.8em; padding: 0 6px; margin-left: 6px; border-radius: 3px;
  border: 1px solid #999; color: #333; background: #fff;}
.passage .kind-article {border-color: #b45309; color: #7c2d12; background: #fff7ed; font-weight: 600;}
.passage:target, .passage.flash {outline: 3px solid #d97706; background: #fffbeb;}
a.cite {text-decoration: none; font-weight: 600;}
.comparison .relation {margin: 4px 0;} .comparison .legend, .comparison .elsewhere {color: #666; font-size: 0.9em;}
.comparison details.fulltext summary, .comparison details.pair > summary {cursor: pointer;}
.comparison .pair {margin: 10px 0; border-top: 1px solid #e5e7eb; padding-top: 6px;}
.comparison .pair-summary {font-weight: 600;} .comparison .summary-text {font-weight: normal;}
.diff .sentence {display: block; margin: 4px 0;} .diff .sentence.same {color: #777;}
.diff .sentence .tag {font-size: 0.8em; font-weight: 700; margin-right: 4px;}
@media (max-width: 700px) {.comparison .sides {flex-direction: column;}}
.overview ul.overview-items {margin: 2px 0 10px; padding-left: 18px;} .overview-chapter h4 {margin: 12px 0 2px;}
.overview .tag {display: inline-block; font-size: 0.8em; padding: 0 6px; border-radius: 3px; border: 1px solid #999;
  margin-right: 4px;}
.overview .tag-new {border-color: #15803d; color: #14532d; background: #f0fdf4; font-weight: 600;}
.overview .detail, .overview-count {color: #666; font-size: 0.9em;}
.table-wrap, #insatser {overflow-x: auto;}
/* the insats table: whole words, and a table that scrolls sideways on a phone instead of one letter per line */
#insatser-table table {min-width: 1100px;}
#insatser-table td, #insatser-table th {word-break: normal !important; overflow-wrap: normal !important;
  hyphens: manual;}
/* A phone: the chat, then the sources of the answer right below it (foldable), then the question box;
   the columns dissolve so their parts can be ordered as one list. */
@media (max-width: 700px) {
  #chat-row {flex-direction: column; flex-wrap: nowrap;}
  #chat-col, #side-col, #chat-col > .form, #side-col > .form {display: contents;}
  #chat-col > *, #side-col > *, #chat-col > .form > *, #side-col > .form > * {order: 20;}
  #chat-row #chatbot {order: 1; height: 55vh !important;}
  #chat-row #chatbot:not(:has(.message)) {height: 240px !important;}  /* empty: the question box in view */
  #chat-row #sources-panel {order: 2;}
  #chat-row #passages {max-height: 45vh; overflow-y: auto;}
  #chat-row #question {order: 3;} #chat-row #chat-buttons {order: 4;} #chat-row #similar {order: 5;}
  #chat-row #examples {order: 6;} #chat-row #sources {order: 7;}
}
"""

# After an answer: its first line in view (not its end), in the chat and on the page.
SCROLL_TO_ANSWER = """() => {
  const bots = document.querySelectorAll('#chatbot .message.bot');
  const last = bots[bots.length - 1];
  if (!last) return;
  let box = last.parentElement;
  while (box && box !== document.body && !(box.scrollHeight > box.clientHeight + 1
         && /auto|scroll/.test(getComputedStyle(box).overflowY))) box = box.parentElement;
  if (box && box !== document.body) box.scrollTop += last.getBoundingClientRect().top - box.getBoundingClientRect().top - 36;
  if (window.innerWidth <= 700) {  // a phone: the chat's top at the top of the screen
    window.scrollTo(0, document.querySelector('#chatbot').getBoundingClientRect().top + window.scrollY - 8);
  }
}"""

# Clicking [n] in an answer scrolls to the cited passage beside it and highlights it.
HEAD = """<script>
document.addEventListener('click', (event) => {
  const link = event.target.closest('a[href^="#passage-"]');
  if (!link) return;
  const target = document.getElementById(link.getAttribute('href').slice(1));
  if (!target) return;
  event.preventDefault();
  event.stopPropagation();
  document.querySelectorAll('.passage.flash').forEach((el) => el.classList.remove('flash'));
  target.classList.add('flash');
  target.scrollIntoView({behavior: 'smooth', block: 'center'});
}, true);
// Gradio's toasts head themselves with their type in English ("Warning", "Error") and label their
// close button "Close": the page's text, which screen readers read, is made Swedish as they appear.
const TOAST_WORDS = {Error: 'Fel', Warning: 'Varning', Info: 'Information', Success: 'Klart'};
function swedishToasts(root) {
  root.querySelectorAll('.toast-title').forEach((title) => {
    const node = title.firstChild;
    if (node && node.nodeType === Node.TEXT_NODE && TOAST_WORDS[node.nodeValue.trim()]) {
      node.nodeValue = TOAST_WORDS[node.nodeValue.trim()] + ' ';
    }
  });
  root.querySelectorAll('[data-testid="toast-close"][aria-label="Close"]').forEach((button) => {
    button.setAttribute('aria-label', 'Stäng');
  });
}
new MutationObserver(() => swedishToasts(document)).observe(document.documentElement,
  {childList: true, subtree: true, characterData: true});
</script>"""

NOTICE = (
    "<div class='notice'><b>Skriv inga personuppgifter om klienter</b> (sekretess). "
    "Personnummer tas bort automatiskt och sparas aldrig. Svaren är citat ur lagtexten och "
    "de andra källorna – kontrollera alltid mot den officiella texten.</div>"
)


log = logging.getLogger("assistant.server")
# Answers are CPU-bound and take tens of milliseconds; the pipeline is thread-safe. More workers than
# this only queue inside the thread pool (benchmarks/load.py; README).
CONCURRENCY = int(os.environ.get("ASSISTANT_CONCURRENCY", "32"))
REFUSAL_DELAY_S = 1.0  # how long /api/fraga holds a 429 (per-client limits) before it answers


def argument_problem(question, sources=None, history=None) -> str | None:
    """What is wrong with an API call's arguments, in Swedish (never echoing them),
    or None: the question is text, sources a list of texts, history a list of
    messages (text or {"role", "content"}). Shared by /fraga and /api/fraga."""
    if not isinstance(question, str):
        return "Ange frågan som text i fältet \"question\"."
    if history is not None and (not isinstance(history, list)
                                or not all(isinstance(h, (str, dict)) for h in history)):
        return "\"history\" ska vara en lista med tidigare meddelanden (text eller {\"role\", \"content\"})."
    if sources is not None and (not isinstance(sources, list) or not all(isinstance(x, str) for x in sources)):
        return "\"sources\" ska vara en lista med källornas namn som text."
    return None


def refused(exc: Exception, where: str) -> gr.Error:
    """A bad question: one log line without the question, and the Swedish
    message for the user (no traceback in the server log)."""
    log.info("%s: fråga avvisad (%s)", where, exc.__class__.__name__)
    return gr.Error(str(exc), print_exception=False, title="Fel")


WARM_UP_QUESTION = "Hur lång tid har nämnden på sig för en förhandsbedömning?"


class AnswerService:
    """Loads the assistant in the background so the page is up at once."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.limiter = ClientLimiter()  # questions in progress per client: chat, /fraga and /api/fraga
        self.ready = threading.Event()
        self.error: str | None = None
        self.assistant: Assistant | None = None
        self.concordance = None
        self.overview = {}
        self.basis = ""
        self.versions: list[str] = []
        self.publishers: dict[str, str] = {}
        threading.Thread(target=self._load, daemon=True).start()

    def _load(self) -> None:
        try:
            from assistant.sources.manifest import publishers

            self.assistant = Assistant(self.settings)
            # One whole answer before the first user's: the model, the bank, the keyword
            # scopes and the sentence vectors are loaded now, not by whoever asks first.
            self.assistant.respond(WARM_UP_QUESTION)
            self.concordance = self.assistant.concordance
            self.overview = self.assistant.overview()  # one copy, shared with the MCP tool whats_new
            self.basis = self.concordance.basis
            self.versions = self.assistant.law_versions  # one reading, shared with each answer's footer
            self.publishers = publishers(self.settings.manifest)
        except Exception as exc:  # shown on the page instead of a crash
            self.error = str(exc)
        finally:
            self.ready.set()

    def get(self, timeout: float = 60.0) -> Assistant:
        if not self.ready.wait(timeout):
            raise gr.Error("Indexet laddas fortfarande. Försök igen om en stund.", print_exception=False, title="Fel")
        if self.error:
            raise gr.Error(f"Assistenten kan inte svara: {self.error}", print_exception=False, title="Fel")
        return self.assistant


def _with_progress(assistant: Assistant, message, history, filters):
    """Run a turn in a thread; while an LLM writes, yield (progress text, None)
    every half second, then ("", turn). Exceptions are re-raised here."""
    written = [0]
    done = threading.Event()
    box: dict = {}

    def work():
        try:
            box["turn"] = assistant.respond(message, history, filters=filters,
                                            on_token=lambda t: written.__setitem__(0, written[0] + len(t)))
        except Exception as exc:  # re-raised in the caller's thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, daemon=True).start()
    while not done.wait(0.5):
        if assistant.uses_llm:
            yield (f"Språkmodellen skriver ({written[0]} tecken) – svaret kontrolleras mot källorna "
                   "innan det visas …"), None
        else:  # no language model is configured: never mention one
            yield "Söker i källorna …", None
    if "error" in box:
        raise box["error"]
    yield "", box["turn"]


def _join(*texts: str) -> str:
    return "\n\n".join(t for t in texts if t)


def build_app(settings: Settings) -> gr.Blocks:
    from assistant.answering.extractive import QuestionError

    service = AnswerService(settings)
    feedback = FeedbackLog(settings.writable_dir / "feedback.jsonl")

    def ask(question: str, sources: list[str] | None = None, request: gr.Request = None) -> dict:
        """Answer one question as the chat does (API: /fraga): routed to a
        comparison, a change summary or a cited answer. Personnummer are masked first."""
        problem = argument_problem(question, sources)
        if problem:
            log.info("/fraga: fel typ av argument")
            raise gr.Error(problem, print_exception=False, title="Fel")
        client = client_of(request)
        reason = service.limiter.admit(client, len(question))
        if reason:
            raise gr.Error(reason, print_exception=False, title="Fel")
        try:
            turn = service.get().respond(question, filters=filters_from_choices(sources))
        except QuestionError as exc:
            raise refused(exc, "/fraga") from None
        finally:
            service.limiter.release(client)
        return turn.to_dict()

    def similar_update(turn):
        """"Liknande frågor" under the answer: the bank's nearby questions on other paragraphs."""
        samples = [[q["question"]] for q in (turn.similar if turn is not None else [])]
        return gr.update(samples=samples, visible=bool(samples))

    def chat(message: str, history: list, sources: list[str], answers: list, request: gr.Request = None):
        """One chat turn (a generator: progress first, then the answer), at most a few at a
        time per client (ClientLimiter)."""
        client = client_of(request)
        reason = service.limiter.admit(client, len(message or ""))
        if reason:
            gr.Warning(reason, title="Varning")
            yield gr.update(), gr.update(), gr.update(), gr.update(), answers, gr.update()
            return
        try:
            yield from answer_turn(message, history, sources, answers)
        finally:
            service.limiter.release(client)

    def answer_turn(message: str, history: list, sources: list[str], answers: list):
        """An LLM's answer is shown only after the verifier has checked it, so only progress is streamed."""
        history = list(history or [])
        masked, _ = mask_personnummer(message or "")
        if not masked.strip():
            gr.Warning("Frågan är tom. Skriv en fråga om socialtjänstlagen.", title="Varning")
            yield "", history, gr.update(), gr.update(), answers, gr.update()
            return
        # The user's bubble shows the message as text (never live HTML or Markdown);
        # the pipeline reads the history back as the text that was typed.
        turn = [{"role": "user", "content": as_text(masked)}, {"role": "assistant", "content": "Söker i källorna …"}]
        typed = [m | {"content": from_text(content_text(m.get("content")))} if m.get("role") == "user" else m
                 for m in history if isinstance(m, dict)]
        yield "", history + turn, gr.update(), gr.update(), answers, gr.update()
        try:
            result = None
            for progress, result in _with_progress(service.get(), message, typed, filters_from_choices(sources)):
                if result is None:
                    turn[1] = {"role": "assistant", "content": progress}
                    yield "", history + turn, gr.update(), gr.update(), answers, gr.update()
        except QuestionError as exc:
            refused(exc, "/chat")
            turn[1] = {"role": "assistant", "content": f"**Fel:** {exc}"}
            # the previous answer's sources must not stand beside a refusal
            yield "", history + turn, NO_SOURCES, "", answers + [None], similar_update(None)
            return
        if result.comparison is not None:
            c = result.comparison
            lead = (f"*Läst som följdfråga: {as_text(label_in_words(c.asked))} jämförd mellan gamla och nya lagen.*\n\n"
                    if result.follow_up else "")
            turn[1] = {"role": "assistant", "content": lead + comparison_markdown(c)}
            yield ("", history + turn, render_comparison_html(c) + beside_html(result.beside),
                   _join(render_comparison_text(c), beside_text(result.beside)), answers + [result.to_dict()],
                   similar_update(result))
            return
        text = turn_markdown(result)
        turn[1] = {"role": "assistant", "content": text}
        answer = result.answer
        yield ("", history + turn, passages_html(answer, service.publishers) + beside_html(result.beside),
               _join(copy_text(answer), beside_text(result.beside), version_line(result)), answers + [result.to_dict()], similar_update(result))

    def on_like(data: gr.LikeData, answers: list, history: list, include_question: bool):
        turn = data.index[0] // 2 if isinstance(data.index, (list, tuple)) else int(data.index) // 2
        answer = answers[turn] if 0 <= turn < len(answers) else None
        question = None
        if include_question and answer:
            question = answer.get("question")
        try:
            feedback.record("upp" if data.liked else "ned", answer, question, include_question)
            if data.liked and question:
                # A good answer with the question shared: proposed for the question bank (`assistant bank review`).
                from assistant.bank.review import propose

                propose(settings.writable_dir, question, answer)
        except OSError as exc:  # the state dir is full or read-only: say so, and go on answering
            log.warning("återkopplingen kunde inte sparas: %s", exc.__class__.__name__)
            gr.Warning("Återkopplingen kunde inte sparas: lagringsplatsen är full eller skrivskyddad. "
                       "Frågor besvaras som vanligt.", title="Varning")
            return
        gr.Info("Tack för återkopplingen!", title="Tack")

    with gr.Blocks(title="Socialtjänstlagen – frågor med källor",
                   delete_cache=(600, downloads.MAX_AGE_S)) as demo:
        gr.Markdown("# Socialtjänstlagen – frågor med källor\nSvar ur nya socialtjänstlagen (SFS 2025:400), "
                    "gamla lagen (SFS 2001:453), förarbetena och artiklar – alltid med citat och källa.")
        gr.HTML(NOTICE)
        answers = gr.State([])
        with gr.Tabs():
            with gr.Tab("Fråga", id="chat-tab"), gr.Row(elem_id="chat-row"):
                with gr.Column(scale=3, elem_id="chat-col"):
                    # No copy or share icons (English titles; the answer with its sources is copied
                    # from the field beside it); the empty chat says what to ask.
                    chatbot = gr.Chatbot(label="Samtal", height=460, elem_id="chatbot", buttons=[],
                                         feedback_options=("Like", "Dislike"), placeholder=PLACEHOLDER,
                                         latex_delimiters=[], autoscroll=False)
                    question = gr.Textbox(label="Din fråga", elem_id="question", lines=2, max_lines=6,
                                          placeholder="T.ex. Hur lång tid har nämnden på sig för en förhandsbedömning?")
                    with gr.Row(elem_id="chat-buttons"):
                        send = gr.Button("Fråga", variant="primary", elem_id="send")
                        clear = gr.Button("Rensa samtalet", elem_id="clear")
                    similar = gr.Dataset(components=[gr.Textbox(visible=False)], samples=[], label="Liknande frågor",
                                         visible=False, elem_id="similar")
                    gr.Examples(EXAMPLES, inputs=question, label="Exempelfrågor", elem_id="examples")
                with gr.Column(scale=2, elem_id="side-col"):
                    offered, absent = available_choices(indexed_kinds(settings))
                    sources = gr.CheckboxGroup(offered, label="Sök i källorna (inget val = alla)",
                                               elem_id="sources")
                    if absent:
                        gr.Markdown("*Finns inte i indexet här: " + ", ".join(absent) + ".*", elem_id="absent-sources")
                    # On a phone this panel moves right below the chat (CSS order) and can be folded.
                    with gr.Accordion("Citerade avsnitt", open=True, elem_id="sources-panel"):
                        passages = gr.HTML("<p class='no-sources'>Ställ en fråga för att se källorna här.</p>",
                                           elem_id="passages")
                    copy = gr.Textbox(label="Kopiera svar med källor", lines=4, max_lines=12, buttons=["copy"],
                                      elem_id="copy", interactive=False)
                    session_btn = gr.Button("Spara samtalet som PDF", elem_id="session-pdf")
                    session_file = gr.File(label="Samtalet som PDF", elem_id="session-file", interactive=False)
                    include_question = gr.Checkbox(
                        label="Spara min fråga tillsammans med tumme upp/ned (annars sparas bara betyget); med tumme upp föreslås den till frågebanken",
                        value=False, elem_id="include-question")
            with gr.Tab("Nytt från 1 juli 2025", id="changes-tab"):
                with gr.Row():
                    overview_chapter = gr.Dropdown([ALL_CHAPTERS], value=ALL_CHAPTERS, label="Kapitel",
                                                   elem_id="overview-chapter")
                    overview_query = gr.Textbox(label="Sök i översikten", placeholder="T.ex. förhandsbedömning",
                                                elem_id="overview-query")
                overview_html = gr.HTML("<p>Översikten laddas …</p>", elem_id="overview")
            build_course_tab(service)
            build_reform_tab(service, settings, demo)
        gr.Markdown("<small>För andra system: JSON-API `POST /api/fraga` och MCP-verktyg (se README). "
                    "Svaren citerar källorna ordagrant; kontrollera alltid mot den officiella texten.</small>",
                    elem_id="footer")

        inputs = [question, chatbot, sources, answers]
        outputs = [question, chatbot, passages, copy, answers, similar]
        send.click(chat, inputs, outputs, api_name="chat").then(None, js=SCROLL_TO_ANSWER)
        similar.click(lambda sample: sample[0] if sample else "", similar, question, api_visibility="private").then(
            chat, inputs, outputs, api_visibility="private").then(None, js=SCROLL_TO_ANSWER)
        question.submit(chat, inputs, outputs, api_visibility="private").then(None, js=SCROLL_TO_ANSWER)
        clear.click(lambda: ([], "<p class='no-sources'>Ställ en fråga för att se källorna här.</p>", "", [],
                             gr.update(samples=[], visible=False)),
                    None, [chatbot, passages, copy, answers, similar], api_visibility="private")
        def session_pdf(history, turns):
            from assistant.course.export import markdown_to_pdf, session_markdown

            if not history:
                raise gr.Error("Samtalet är tomt.", print_exception=False, title="Fel")
            markdown = session_markdown(history, service.versions, turns)
            return downloads.write(markdown_to_pdf(markdown, "Samtal"), "samtal.pdf")

        session_btn.click(session_pdf, [chatbot, answers], session_file, api_visibility="private")
        chatbot.like(on_like, [answers, chatbot, include_question], None, api_visibility="private")
        gr.api(ask, api_name="fraga")

        def show_overview(chapter: str | None = None, query: str | None = None) -> str:
            service.ready.wait(120)
            if service.error:
                return f"<p>Översikten kan inte visas: {html.escape(service.error)}</p>"
            return render_html(service.overview, service.basis, chapter=chapter, query=query)

        def load_overview():
            page = show_overview()
            choices = chapter_choices(service.overview) if not service.error else [ALL_CHAPTERS]
            return page, gr.update(choices=choices, value=ALL_CHAPTERS)

        demo.load(load_overview, None, [overview_html, overview_chapter], api_visibility="private")
        overview_chapter.change(show_overview, [overview_chapter, overview_query], overview_html, api_visibility="private")
        overview_query.change(show_overview, [overview_chapter, overview_query], overview_html, api_visibility="private")
    demo.queue(default_concurrency_limit=CONCURRENCY)
    demo.service = service
    return demo


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860, prevent_thread_lock: bool = False,
          mcp_port: int | None = None):
    """The chat page and its API; with `mcp_port`, the MCP server beside it on
    the same Assistant. Every file the server writes is readable by its user only."""
    os.umask(0o077)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for noisy in ("httpx", "httpcore", "urllib3", "chromadb", "mcp"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    demo = build_app(settings)
    # Requests are accepted once the assistant is loaded and has answered once (a fresh
    # server under a burst of users would otherwise make them all wait for the loading).
    log.info("Laddar indexet och värmer upp modellen …")
    demo.service.ready.wait()
    if mcp_port:
        from assistant.mcp_server import serve_http_in_thread

        demo.mcp_http = serve_http_in_thread(settings, demo.service.get, host, mcp_port)
    # The JSON API is a route of the app from the start, before Gradio's own catch-all routes.
    demo.launch(server_name=host, server_port=port, css=CSS, head=HEAD, show_error=True, quiet=False,
                prevent_thread_lock=True, footer_links=[],  # Gradio's footer is English; ours is below
                app_kwargs={"routes": [json_api_route(demo.service)]})
    if not prevent_thread_lock:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _stop)  # a stopped server still removes its downloads (atexit)
        demo.block_thread()
    return demo


def _stop(signum, frame):
    raise KeyboardInterrupt  # block_thread closes the server on it


def json_api_route(service: AnswerService):
    """POST /api/fraga {"question": "...", "sources": [...], "history": [...]} -> the Turn as JSON: the same
    pipeline as /fraga, as plain HTTP without Gradio's queue protocol (for integrations and load)."""
    from fastapi.concurrency import run_in_threadpool
    from fastapi.responses import JSONResponse
    from fastapi.routing import APIRoute

    from assistant.answering.extractive import QuestionError

    def bad(message: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    async def fraga(request: Request):
        # The body is read and checked here, not by FastAPI: its errors are English and echo the input.
        if "json" not in request.headers.get("content-type", ""):
            return bad("Skicka frågan som JSON (Content-Type: application/json).", 415)
        try:
            payload = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return bad("Kroppen är inte giltig JSON. Skicka t.ex. {\"question\": \"Hur lång tid …?\"}.")
        if not isinstance(payload, dict):
            return bad("Skicka ett JSON-objekt med fältet \"question\".")
        question, history, sources = payload.get("question"), payload.get("history"), payload.get("sources")
        problem = argument_problem(question, sources, history)
        if problem:
            return bad(problem)
        history, sources = history or [], sources or []
        client = client_of(request)
        reason = service.limiter.admit(client, len(question))
        if reason:
            # A client over its budget waits a second for the refusal (costs the server nothing
            # here): a script that asks again at once cannot keep the event loop busy with refusals.
            await asyncio.sleep(REFUSAL_DELAY_S)
            return bad(reason, 429)
        try:
            assistant = await run_in_threadpool(service.get)
            turn = await run_in_threadpool(assistant.respond, question, history, filters_from_choices(sources))
        except QuestionError as exc:
            log.info("/api/fraga: fråga avvisad (%s)", exc.__class__.__name__)
            return bad(str(exc))
        except gr.Error as exc:  # the index is still loading, or cannot be loaded
            return bad(str(exc), 503)
        finally:
            service.limiter.release(client)
        return JSONResponse(turn.to_dict())

    return APIRoute("/api/fraga", fraga, methods=["POST"])

"""The conversation pipeline: one message in, one typed turn out.

    mask → follow-up → route → retrieve → answer → verify

The CLI (`ask`, `repl`), the chat page, the `/fraga` and `/chat` API, the MCP
tools and the evals all call `Assistant.respond`; they only parse input and
render the `Turn` they get back.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from assistant.answering.changes import answer_changes, intent
from assistant.answering.extractive import validate_question
from assistant.changes.compare import Comparison, compare
from assistant.changes.concordance import Concordance
from assistant.config import Settings
from assistant.conversation.followup import content_text, is_follow_up, standalone_question, user_messages
from assistant.labels import parse_label
from assistant.privacy import mask_personnummer
from assistant.retrieval.hybrid import Filters, HybridRetriever
from assistant.types import Answer, Passage

ANSWER, COMPARISON, CHANGES = "answer", "comparison", "changes"

# A question about the inquiry's reasons, purposes or proposals is answered from
# the inquiry first ("varför infördes …", "vad var syftet med …", "vad föreslog
# utredningen om …"); every other question from the law. Bare "utredning" is a
# legal term (20 kap.), so only the inquiry's own name or its verbs count.
_OPINION = (r"(f[öo]reslog|f[öo]resl[åa]r|ans[åa]g|anser|menade|menar|bed[öo]mde|bed[öo]mer|ville|vill|s[åa]g|ser|"
            r"pekade|pekar|konstaterade|konstaterar|kom fram|resonerade|bem[öo]tte|motiverade|tyckte|skrev|skriver|"
            r"framh[öo]ll|betonade|lyfte|kritiserade|avf[äa]rdade|f[öo]respr[åa]kade|s[äa]ger|sa|sade)")
_INQUIRY = r"(utredningen|utredaren|utredarna)"
_REASONS = re.compile(
    r"((^|[.?!,:]\s*|\s[–-]\s|\boch\s)varf[öo]r\b|\bf[öo]reslogs\b|\btanken (med|bakom)\b|\bsyfte(t|na)?\b|\bsk[äa]l(en)? (till|f[öo]r)\b|"
    r"\bf[öo]rslag(et|en)? (om|till|att)\b|\bavsikt(en)? (med|bakom)|\bbakgrund(en)? till|"
    rf"\b{_INQUIRY} (inte |också |även |själv )?{_OPINION}\b(?!\s+(jag|vi|du|man|ni)\b)|"
    rf"\b{_OPINION} {_INQUIRY}\b|\benligt {_INQUIRY}\b|\butredningens \w+|"
    r"\b(f[öo]rfattnings)?kommentar(en|erna)?\b|\b(enligt|i) f[öo]rslaget\b|\butredningen framtidens socialtj[äa]nst|\bframtidens socialtj[äa]nst-?utredningen|\bsou 2020:47|\bf[öo]rarbete(n|na)?\b)",
    re.I,
)
# Reasons are in the inquiry's chapters and its commentary; its draft law texts
# (chapter 1) say what was proposed, not why, and the enacted text is shown beside.
REASONS_FILTERS = Filters(kinds=("inquiry",), excluded_labels=("SOU 2020:47 avsnitt 1.",))
INQUIRY_PREFIX = "SOU 2020:47 "
# ... or the question reads like the bank's questions about the inquiry: their share of
# the nearest neighbours' vote, or the bank's label classifier's probability on the inquiry's
# labels (evals/route_tune.py, evals/report/route-tune.txt: the most recall with at most 2 %
# of the law questions routed there; leave-one-writer-out recall on the bank's inquiry
# questions 0.662 by wording alone -> 0.734 with the neighbours at 0.6 -> 0.762 with both;
# law questions routed there 0.016 -> 0.018 -> 0.020).
ROUTE_SHARE = 0.8
ROUTE_CLASSIFIER = 0.3
# A follow-up that asks for the other law's version of what was just answered ("vad stod i
# gamla lagen?", "och i nya?", "vad motsvarar den?"): answered by the concordance from the
# previous answer's paragraph, never by a new search for the bare words.
_COUNTERPART = re.compile(r"\b(gaml\w*|nya|nuvarande|förut|förr|tidigare|motsvar\w*|ändra(t|des)|skillnad\w*|"
                          r"jämför\w*)\b", re.I)
COUNTERPART_WORDS = 8
INQUIRY_NOTE = "förarbete – utredningens förslag (2020), inte gällande lag"
BESIDE_LAW, BESIDE_PREPARATORY = "Gällande lag", "Förarbeten"


def asks_for_reasons(question: str) -> bool:
    return bool(_REASONS.search(question))


_ABOUT_INQUIRY = re.compile(rf"\b({_INQUIRY}s?|utredningens|sou 2020:47|f[öo]rarbete(n|na)?|{_OPINION}|f[öo]reslogs)\b",
                            re.I)


def reasons_topic(question: str) -> str:
    """What a question about the inquiry is about, for finding the enacted law on it:
    without the words that name the inquiry or what it did ("varför föreslog
    utredningen att …"). (For the search in the inquiry itself the whole question
    does as well: evals/inquiry_tune.py, 5-fold 0.664/0.893, and with --topic
    0.657/0.893.)"""
    topic = _ABOUT_INQUIRY.sub(" ", question)
    topic = re.sub(r"\s+", " ", topic).strip(" ?.,")
    return topic if len(topic.split()) >= 2 else question

ANSWER_CACHE = 2048  # answers kept per process (a few kB each)

SOURCE_FILTERS = {
    # name -> (kinds, law versions)
    "ny": ((), ("new",)),
    "gammal": ((), ("old",)),
    "lag": (("statute",), ()),
    "proposition": (("bill",), ()),
    "utredning": (("inquiry",), ()),
    "artiklar": (("article",), ()),
}


def parse_sources(value: str | list[str] | None) -> Filters:
    """'ny,artiklar' (or ['ny', 'artiklar']) -> Filters; ValueError (Swedish) for unknown names."""
    if not value:
        return Filters()
    names = value.split(",") if isinstance(value, str) else list(value)
    kinds: list[str] = []
    versions: list[str] = []
    for name in [v.strip().lower() for v in names if v.strip()]:
        if name not in SOURCE_FILTERS:
            raise ValueError(f"okänd källa {name!r}; välj bland {', '.join(SOURCE_FILTERS)}")
        k, v = SOURCE_FILTERS[name]
        kinds += k
        versions += v
    if versions and not kinds:
        kinds = ["statute"]
    return Filters(kinds=tuple(dict.fromkeys(kinds)), law_versions=tuple(dict.fromkeys(versions)))


@dataclass
class Turn:
    """What the assistant made of one message."""

    message: str  # the message as received, personnummer masked
    question: str  # the standalone question that was answered
    kind: str  # answer | comparison | changes
    answer: Answer | None = None  # kinds answer and changes
    comparison: Comparison | None = None  # kind comparison
    follow_up: bool = False  # read together with the previous question
    masked: bool = False  # a personnummer was removed from the message
    reference_date: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    # "Liknande frågor": nearby questions of the bank about other paragraphs ({"question", "label"})
    similar: list[dict[str, str]] = field(default_factory=list)
    # Shown beside the answer: the inquiry's commentary on a cited paragraph ("Förarbeten"),
    # or the enacted law beside an answer from the inquiry ("Gällande lag").
    beside: list[dict[str, str]] = field(default_factory=list)
    filters: Filters | None = None  # the sources the answer was searched in
    # The wording of each law quoted: "SFS 2025:400 i lydelse t.o.m. SFS 2025:1501".
    versions: list[str] = field(default_factory=list)

    @property
    def abstained(self) -> bool:
        if self.comparison is not None:
            return bool(self.comparison.missing)
        return bool(self.answer and self.answer.abstained)

    def cited_labels(self) -> list[str]:
        """The label of each quote, in the order shown (a label quoted twice is listed twice)."""
        if self.comparison is not None:
            return [s.label for s in self.comparison.old + self.comparison.new]
        return [c.label for c in self.answer.citations] if self.answer else []

    def to_dict(self) -> dict[str, Any]:
        """JSON for the API, MCP and `assistant ask --json`. `citations` is always
        there: the answer's quotes, or each compared paragraph's verbatim text."""
        if self.comparison is not None:
            sides = [("old", s) for s in self.comparison.old] + [("new", s) for s in self.comparison.new]
            citations = [{"n": i, "label": s.label, "quote": s.text, "text": s.text, "url": s.url, "side": side}
                         for i, (side, s) in enumerate(sides, 1)]
        else:
            citations = asdict(self.answer)["citations"] if self.answer else []
        return {
            "kind": self.kind,
            "message": self.message,
            "question": self.question,
            "follow_up": self.follow_up,
            "personnummer_masked": self.masked,
            "reference_date": self.reference_date,
            "timings_ms": {**(self.answer.timings_ms if self.answer else {}), **self.timings_ms},
            "abstained": self.abstained,
            "text": self.answer.text if self.answer else "",
            "citations": citations,
            "answer": self.answer.to_dict() if self.answer else None,
            "comparison": asdict(self.comparison) if self.comparison is not None else None,
            "similar_questions": list(self.similar),
            "beside": list(self.beside),
            "law_versions": list(self.versions),
        }


_CONCORDANCES: dict = {}
_CONCORDANCE_LOCK = threading.Lock()


def load_concordance(retriever: HybridRetriever) -> Concordance:
    """The concordance for this retriever's index (built once, then cached on disk and here)."""
    index_dir = retriever.settings.index_dir  # the generation the retriever reads
    key = (id(retriever), str(index_dir))
    with _CONCORDANCE_LOCK:
        if key not in _CONCORDANCES:  # the retriever is kept with it, so its id is never reused
            vectors = retriever.search_vectors if retriever.use_dense else None  # the snapshot: read-only
            _CONCORDANCES[key] = (retriever, Concordance.load_or_build(retriever.store, index_dir, vectors))
        return _CONCORDANCES[key][1]


class Assistant:
    """The index, the answerer and the concordance, and the one route from a
    message to a turn. Thread-safe: one instance serves every user."""

    def __init__(self, settings: Settings, retriever: HybridRetriever | None = None, answerer=None):
        from assistant.answering.llm import make_answerer

        self.settings = settings
        self.retriever = retriever or (answerer.retriever if answerer is not None else HybridRetriever(settings))
        self.answerer = answerer or make_answerer(settings, self.retriever)
        self.extractive = getattr(self.answerer, "extractive", self.answerer)
        self._overview: dict | None = None
        self._links = None
        self._versions: list[str] | None = None
        self._overview_lock = threading.Lock()
        # Without a language model an answer is a pure function of the question, the
        # filters, the date and k on this (pinned) index generation: many staff asking
        # the same question get it from here. Copies go out, so no caller shares one.
        self._cached_answer = lru_cache(maxsize=ANSWER_CACHE)(self.answerer.answer)

    @property
    def concordance(self) -> Concordance:
        return load_concordance(self.retriever)

    @property
    def uses_llm(self) -> bool:
        return hasattr(self.answerer, "condense")

    # --- the pipeline -----------------------------------------------------------------

    def resolve(self, message: str, history: list | None = None) -> tuple[str, bool]:
        """The standalone question for a (masked) message, and whether it was a follow-up."""
        previous = [q for q in user_messages(history or []) if q.strip()]
        if not previous or not is_follow_up(message, previous[-1]):
            return message, False
        if self.uses_llm:
            pairs = [(m.get("role", ""), str(m.get("content", ""))) for m in history if isinstance(m, dict)]
            pairs = pairs or [("user", q) for q in previous]
            condensed = self.answerer.condense(message, pairs)
            if condensed != message:
                return condensed, True
        return standalone_question(message, history), True

    def respond(self, message: str, history: list | None = None, filters: Filters | None = None,
                date: str | None = None, k: int | None = None,
                on_token: Callable[[str], None] | None = None) -> Turn:
        """One message -> one turn. Raises QuestionError (a Swedish message) for
        bad input; the personnummer are masked before anything else sees it."""
        started = time.perf_counter()
        masked, had_pnr = mask_personnummer(message or "")
        # the limit is on what the user sent: masking lengthens the text
        growth = max(0, len(masked) - len(message or ""))
        masked = validate_question(masked, self.settings.max_question_chars + growth)
        date = date or self.settings.date
        history = [mask_history(m) for m in history or []]
        question, follow_up = self.resolve(masked, history)
        turn = Turn(masked, question, ANSWER, follow_up=follow_up, masked=had_pnr, reference_date=date)
        route = intent(question)
        if follow_up and (label := self.counterpart_of_previous(masked, history, date)):
            comparison = compare(label, self.retriever, self.concordance, date)
            if comparison is not None:
                turn.kind, turn.comparison, turn.question = COMPARISON, comparison, f"{question} ({label})"
                route = "done"
        if route == "compare":
            comparison = compare(question, self.retriever, self.concordance, date)
            if comparison is not None:
                turn.kind, turn.comparison = COMPARISON, comparison
        elif route == "changes":
            turn.kind = CHANGES
            turn.answer = answer_changes(question, self.extractive, self.concordance, date)
        from_inquiry = False
        if turn.kind == ANSWER and route is None and _allows_inquiry(filters) and self.about_inquiry(question):
            answer = self._answer(question, REASONS_FILTERS, date, k, on_token)
            if not answer.abstained:
                turn.answer, turn.filters, from_inquiry = answer, REASONS_FILTERS, True
        if turn.kind == ANSWER and turn.answer is None:
            turn.answer, turn.filters = self._answer(question, filters, date, k, on_token), filters
        turn.beside = self.law_beside(question, turn.answer, date) if from_inquiry else \
            self.preparatory(turn.cited_labels())
        turn.similar = self.similar_questions(question, set(turn.cited_labels()))
        turn.versions = self.versions_of(turn.cited_labels() + [b["label"] for b in turn.beside])
        turn.timings_ms["total_ms"] = (time.perf_counter() - started) * 1000
        return turn

    def counterpart_of_previous(self, message: str, history: list, date: str) -> str | None:
        """For a short follow-up asking for the other law's wording: the paragraph the
        previous answer rests on (its first quoted paragraph of either law). The previous
        question is answered again rather than read back from the page's text: without an
        LLM from the answer cache, with one by the extractive answerer."""
        if not _COUNTERPART.search(message) or len(message.split()) > COUNTERPART_WORDS:
            return None
        users = [q for q in user_messages(history) if q.strip()]
        if not users:
            return None
        previous = standalone_question(users[-1], users[:-1])
        answer = (self.extractive.answer(previous, date=date) if self.uses_llm
                  else self._cached_answer(previous, filters=None, date=date, k=None))
        return next((c.label for c in answer.citations if c.label.startswith("SFS ") and " kap. " in c.label), None)

    @property
    def law_versions(self) -> list[str]:
        """The wording of each law the sources hold ("SFS 2025:400 i lydelse t.o.m. SFS
        2025:1501"), read once."""
        if self._versions is None:
            from assistant.sources.versions import statute_versions

            try:
                self._versions = statute_versions(self.settings)
            except OSError:  # the sources are not at hand (an index served without its mirror)
                self._versions = []
        return self._versions

    def versions_of(self, labels: list[str]) -> list[str]:
        """The wording of each law among `labels` (each version line starts with its law)."""
        laws = {parse_label(label).document for label in labels if label.startswith("SFS ")}
        return [v for v in self.law_versions if " ".join(v.split(" ")[:2]) in laws]

    def about_inquiry(self, question: str) -> bool:
        """A question on the inquiry's reasons: by its wording, or by the bank's neighbours."""
        if asks_for_reasons(question):
            return True
        bank = getattr(self.retriever, "bank", None) if getattr(self.retriever, "use_dense", False) else None
        if bank is None:
            return False
        vector = self.retriever.query_vector(question)
        return bank.share(vector, INQUIRY_PREFIX) >= ROUTE_SHARE \
            or bank.classifier_share(vector, INQUIRY_PREFIX) >= ROUTE_CLASSIFIER

    def _answer(self, question: str, filters: Filters | None, date: str, k: int | None, on_token) -> Answer:
        if self.uses_llm:
            return self.answerer.answer(question, filters=filters, date=date, k=k, on_token=on_token)
        return copy.deepcopy(self._cached_answer(question, filters=filters, date=date, k=k))

    @property
    def inquiry_links(self):
        """Enacted paragraph <-> the inquiry's draft and commentary (built at ingest)."""
        from assistant.changes.inquiry import InquiryLinks

        with self._overview_lock:
            if self._links is None:
                self._links = InquiryLinks.load_or_build(self.retriever.store, self.retriever.settings.index_dir)
            return self._links

    def preparatory(self, labels: list[str], limit: int = 2) -> list[dict[str, str]]:
        """The inquiry's commentary on the cited paragraphs of the new law ("Förarbeten")."""
        if not self.inquiry_links.commentary:
            return []  # the inquiry is not in the index
        out: list[dict[str, str]] = []
        for label in dict.fromkeys(l for l in labels if l.startswith("SFS 2025:400 ")):
            for commentary in self.inquiry_links.commentary_of(label)[:1]:
                parts = self.retriever.lookup(commentary)
                if parts:
                    out.append(_beside(BESIDE_PREPARATORY, parts, about=label))
            if len(out) >= limit:
                break
        return out

    def law_beside(self, question: str, answer: Answer | None, date: str) -> list[dict[str, str]]:
        """The enacted paragraph beside an answer from the inquiry: the counterpart of a
        cited draft paragraph, else the law's own answer to the question."""
        from assistant.changes.inquiry import draft_key

        labels: list[str] = []
        for c in answer.citations if answer else []:
            if ", förslaget " in c.label:
                labels += self.inquiry_links.enacted_of.get(draft_key(c.label), [])
        if not labels:
            # the law searched for the topic: "utredningen" is a word of the law too (20 kap.)
            law = self._answer(reasons_topic(question), Filters(kinds=("statute",), law_versions=("new",)), date,
                               None, None)
            labels = [] if law.abstained else [c.label for c in law.citations[:1]]
        out = []
        for label in list(dict.fromkeys(labels))[:2]:
            parts = self.retriever.lookup(label, date)
            if parts:
                out.append(_beside(BESIDE_LAW, parts))
        return out

    def similar_questions(self, question: str, cited: set[str], k: int = 3) -> list[dict[str, str]]:
        """Up to k questions of the bank near this one, about paragraphs not cited."""
        bank = getattr(self.retriever, "bank", None) if getattr(self.retriever, "use_dense", False) else None
        if bank is None:
            return []
        found = bank.similar(self.retriever.query_vector(question), cited, k)
        return [{"question": q, "label": label} for q, label, _ in found]

    # --- the tools beside the conversation (MCP, the overview tab) ------------------------

    def search(self, query: str, k: int = 5, filters: Filters | None = None, date: str | None = None) -> list[dict]:
        """The top passages for a query: canonical label, verbatim text, score."""
        query = validate_question(mask_personnummer(query or "")[0], self.settings.max_question_chars)
        result = self.retriever.search(query, k=k, filters=filters, date=date or self.settings.date)
        return [passage_dict(sp.passage) | {"score": round(float(sp.score), 4)} for sp in result.passages[:k]]

    def paragraph(self, label: str, date: str | None = None) -> list[Passage]:
        """The passages of one canonical label in the wording in force on `date`."""
        return self.retriever.lookup(label.strip(), date or self.settings.date)

    def compare(self, reference: str, date: str | None = None) -> Comparison | None:
        """Old and new wording of a named paragraph ("11 kap. 1 a § gamla SoL",
        "SFS 2025:400 20 kap. 2 §"); None when no paragraph is named."""
        return compare(mask_personnummer(reference or "")[0], self.retriever, self.concordance,
                       date or self.settings.date)

    def overview(self) -> dict:
        """"Nytt från 1 juli 2025": chapter -> new and most changed paragraphs (built once)."""
        with self._overview_lock:
            if self._overview is None:
                from assistant.changes.overview import overview

                self._overview = overview(self.concordance, self.retriever)
            return self._overview


def _allows_inquiry(filters: Filters | None) -> bool:
    """No source filter: the reasons route may search the inquiry. (A filter that names
    the inquiry searches it on the ordinary route.)"""
    return filters is None or not filters.kinds


def _beside(heading: str, parts: list[Passage], about: str = "") -> dict[str, str]:
    p = parts[0]
    return {"heading": heading, "label": p.label, "text": "\n\n".join(x.text for x in parts), "url": p.url,
            "title": p.title, "kind": p.kind, "about": about,
            "note": INQUIRY_NOTE if p.kind == "inquiry" else ""}


def passage_dict(p: Passage) -> dict[str, Any]:
    return {"label": p.label, "text": p.text, "title": p.title, "heading": p.heading, "kind": p.kind,
            "url": p.url, "valid_from": p.valid_from, "valid_to": p.valid_to}


def mask_history(entry):
    """A history entry with its personnummer masked (history comes from the client)."""
    if isinstance(entry, str):
        return mask_personnummer(entry)[0]
    if isinstance(entry, dict):
        return entry | {"content": mask_personnummer(content_text(entry.get("content")))[0]}
    return ""  # anything else carries no text

"""The default answerer: no language model, nothing invented.

The answer is made of the most relevant sentences of the retrieved passages,
quoted verbatim, each followed by the number of the passage it comes from.
When the evidence is too weak the answer says so (abstains) and lists the
nearest passages instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from assistant.answering.verifier import numbers_in
from assistant.retrieval.evidence import QuestionTerms, mentions_time, passage_coverage, text_tokens
from assistant.config import Settings
from assistant.parsing.text import sentence_spans
from assistant.retrieval.hybrid import Filters, HybridRetriever, RetrievalResult
from assistant.retrieval.references import asks_for_amount, names_law, other_law_asked
from assistant.types import Answer, Citation, Passage, ScoredPassage

# Abstain when the sources do not speak of what is asked: words the sources
# never use carry more than MAX_UNKNOWN of the question's weight, or the best
# passage covers less than MIN_COVERAGE of it (measured on evals/, see README).
MAX_UNKNOWN = 0.40
MIN_COVERAGE = 0.20
MAX_QUOTES = 3
RELATIVE_FLOOR = 0.7  # a quote scores at least this share of the best one
MAX_QUOTES_PER_PASSAGE = 2
MIN_SENTENCE_COVERAGE = 0.2  # a quote must itself contain some of the question's terms
SENTENCE_PASSAGES = 5  # sentences are picked from this many top passages

NO_ANSWER = "Källorna besvarar inte den här frågan."
KIND_SV = {"bill": "Propositionen (Prop. 2024/25:89)", "inquiry": "Utredningen (SOU 2020:47)",
           "article": "Artiklarna", "statute": "Lagtexterna"}


def _has_amount(text: str) -> bool:
    """A number in the text that is not part of a legal reference, a law's number or a year."""
    from assistant.answering.verifier import _reference_numbers

    return any(not 1900 <= n <= 2100 for n in numbers_in(text) - _reference_numbers(text))


class QuestionError(ValueError):
    """Bad input; the message is shown to the user as it is (Swedish)."""


def validate_question(question: str | None, max_chars: int) -> str:
    if question is None or not question.strip():
        raise QuestionError("Frågan är tom. Skriv en fråga om socialtjänstlagen.")
    question = question.strip()
    if len(question) > max_chars:
        raise QuestionError(
            f"Frågan är för lång ({len(question)} tecken; högst {max_chars}). Korta ner den till det du vill veta."
        )
    return question


@dataclass
class _Candidate:
    rank: int
    scored: ScoredPassage
    start: int
    end: int
    score: float


def _date_notes(passages: list[Passage], date: str) -> list[str]:
    notes = []
    for p in passages:
        if p.law_version == "old":
            notes.append(f"{p.label} är den gamla lagens lydelse; SFS 2001:453 upphävdes den 1 juli 2025.")
        elif p.law_version == "new" and p.kind == "statute" and p.valid_from and p.valid_from != "2025-07-01":
            verb = "gäller från" if p.valid_from <= date else "träder i kraft"
            notes.append(f"Den citerade lydelsen av {p.label} {verb} {p.valid_from} (inte från 2025-07-01).")
        if p.law_version == "new" and p.valid_to:
            notes.append(f"Den citerade lydelsen av {p.label} gäller till {p.valid_to}, då en ny lydelse träder i kraft.")
    return list(dict.fromkeys(notes))


class ExtractiveAnswerer:
    def __init__(self, retriever: HybridRetriever, settings: Settings):
        self.retriever = retriever
        self.settings = settings

    def answer(self, question: str, filters: Filters | None = None, date: str | None = None,
               k: int | None = None) -> Answer:
        started = time.perf_counter()
        question = validate_question(question, self.settings.max_question_chars)
        date = date or self.settings.date
        result = self.retriever.search(question, k or self.settings.top_k, filters, date)
        t_retrieved = time.perf_counter()
        answer = self.compose(question, result, date)
        if filters and filters.kinds:
            indexed = {p.kind for p in self.retriever.store.passages}
            missing = [KIND_SV[k] for k in filters.kinds if k not in indexed and k in KIND_SV]
            if missing:
                answer.notes.append(f"{' och '.join(missing)} finns inte i indexet (kör `assistant fetch` med internet "
                                    "och sedan `assistant ingest`).")
                if not result.passages:
                    answer.text += " " + answer.notes[-1]
        answer.timings_ms.update(result.timings_ms)
        answer.timings_ms["retrieval_ms"] = (t_retrieved - started) * 1000
        answer.timings_ms["answer_ms"] = (time.perf_counter() - t_retrieved) * 1000
        answer.timings_ms["total_ms"] = (time.perf_counter() - started) * 1000
        return answer

    def compose(self, question: str, result: RetrievalResult, date: str) -> Answer:
        keyword = self.retriever.keyword
        terms = QuestionTerms(question, keyword)
        top = result.passages
        answer = Answer(question=question, text="", reference_date=date)
        if not top:
            answer.abstained = True
            answer.text = NO_ANSWER + " Inget avsnitt i källorna matchar frågan."
            return answer

        coverages = [sp.sources["coverage"] if "coverage" in sp.sources else passage_coverage(terms, sp.passage, keyword)
                     for sp in top[:SENTENCE_PASSAGES]]
        best = max(coverages)
        direct = bool(result.direct)

        if result.unknown_references and not direct:
            answer.abstained = True
            missing = ", ".join(result.unknown_references)
            answer.text = f"{missing} finns inte i källorna. {NO_ANSWER}"
            answer.nearest = [sp.passage.label for sp in top[:5]]
            return answer
        if not direct and (law := other_law_asked(question)) and not names_law(law, top[0].passage.text):
            answer.abstained = True
            answer.text = (f"{NO_ANSWER} Frågan gäller vad {law} säger, och den lagen finns inte i källorna "
                           "(socialtjänstlagarna, propositionen, utredningen och artiklarna). "
                           "Närmaste avsnitt finns nedan.")
            answer.nearest = [sp.passage.label for sp in top[:5]]
            return answer
        if not direct and (best < MIN_COVERAGE or terms.unknown_share > MAX_UNKNOWN):
            answer.abstained = True
            answer.text = (
                f"{NO_ANSWER} Inget avsnitt i lagtexterna eller de andra källorna täcker det du frågar om "
                "tillräckligt väl, så jag gissar inte. Närmaste avsnitt finns nedan."
            )
            answer.nearest = [sp.passage.label for sp in top[:5]]
            answer.notes.append(f"täckning {best:.2f}, okända ord {terms.unknown_share:.2f}")
            return answer

        candidates = self._sentences(top, coverages, terms, result)
        chosen = self._choose(candidates)
        if not chosen:
            # Passages came back, but no sentence in them speaks of what was asked.
            answer.abstained = True
            answer.text = (f"{NO_ANSWER} Inget stycke i de närmaste avsnitten handlar om det du frågar om, "
                           "så jag citerar inget. Närmaste avsnitt finns nedan.")
            answer.nearest = list(dict.fromkeys(sp.passage.label for sp in top[:5]))
            return answer
        if not direct and asks_for_amount(question) and not _has_amount(top[0].passage.text):
            # A question about an amount or a count, and the best passage states none.
            answer.abstained = True
            answer.text = (f"{NO_ANSWER} Du frågar efter ett belopp eller antal, och de avsnitt som handlar om "
                           "ämnet anger inget sådant. Närmaste avsnitt finns nedan.")
            answer.nearest = [c.scored.passage.label for c in chosen] or [sp.passage.label for sp in top[:5]]
            answer.nearest = list(dict.fromkeys(answer.nearest))
            return answer
        return self._render(answer, chosen, date)

    def _sentences(self, top, coverages, terms: QuestionTerms, result: RetrievalResult) -> list[_Candidate]:
        keyword = self.retriever.keyword
        out = []
        for rank, sp in enumerate(top[:SENTENCE_PASSAGES]):
            p = sp.passage
            is_direct = p.label in result.direct
            for i, (a, b) in enumerate(sentence_spans(p.text)):
                sentence = p.text[a:b]
                if len(sentence) < 12:
                    continue
                own = terms.coverage(text_tokens(sentence, keyword))
                score = own
                if own < MIN_SENTENCE_COVERAGE and not is_direct:
                    score -= 1.0  # only quoted when no sentence of the top passages does better
                score += 0.35 * coverages[rank]  # context: headings and the rest of the paragraph
                score += 0.5 / (1 + rank)  # retrieval rank: quotes come from the best passages
                if terms.asks_time and mentions_time(sentence):
                    score += 0.3
                if is_direct:
                    score += 1.0 - 0.05 * i  # a named paragraph is quoted from its start
                out.append(_Candidate(rank, sp, a, b, score))
        return out

    def _choose(self, candidates: list[_Candidate]) -> list[_Candidate]:
        if not candidates:
            return []
        candidates.sort(key=lambda c: -c.score)
        best = candidates[0].score
        if best <= 0:  # no sentence covers the question well: quote only the single best one
            return [candidates[0]]
        chosen: list[_Candidate] = []
        per_passage: dict[str, int] = {}
        for c in candidates:
            if len(chosen) >= MAX_QUOTES:
                break
            if c.score < RELATIVE_FLOOR * best:
                break
            pid = c.scored.passage.id
            if per_passage.get(pid, 0) >= MAX_QUOTES_PER_PASSAGE:
                continue
            per_passage[pid] = per_passage.get(pid, 0) + 1
            chosen.append(c)
        # Read in retrieval order, and in text order within a passage.
        chosen.sort(key=lambda c: (c.rank, c.start))
        return chosen

    def _render(self, answer: Answer, chosen: list[_Candidate], date: str) -> Answer:
        numbers: dict[str, int] = {}
        lines = []
        for c in chosen:
            p = c.scored.passage
            numbers.setdefault(p.id, len(numbers) + 1)
            answer.citations.append(  # one per quote; quotes of one passage share its number
                Citation(
                    n=numbers[p.id], label=p.label, passage_id=p.id, quote=p.text[c.start:c.end],
                    score=round(c.scored.score, 4), text=p.text, heading=p.heading, url=p.url,
                    valid_from=p.valid_from, valid_to=p.valid_to,
                )
            )
            lines.append(f"{p.label}: ”{p.text[c.start:c.end]}” [{numbers[p.id]}]")
        answer.text = "Så här säger källorna:\n\n" + "\n\n".join(lines)
        cited = [c.scored.passage for c in chosen]
        notes = _date_notes(list({p.id: p for p in cited}.values()), date)
        if notes:
            answer.text += "\n\nObservera: " + " ".join(notes)
        answer.notes.extend(notes)
        return answer

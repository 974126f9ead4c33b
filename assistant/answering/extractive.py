"""The default answerer: no language model, nothing invented.

The answer is made of the most relevant sentences of the retrieved passages,
quoted verbatim, each followed by the number of the passage it comes from.
When the evidence is too weak the answer says so (abstains) and lists the
nearest passages instead.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np

from assistant.answering.verifier import numbers_in
from assistant.config import Settings
from assistant.labels import source_name
from assistant.parsing.text import sentence_spans
from assistant.retrieval.evidence import QuestionTerms, mentions_time, passage_coverage, text_tokens
from assistant.retrieval.hybrid import Filters, HybridRetriever, RetrievalResult
from assistant.retrieval.references import (
    OTHER_AUTHORITIES,
    TRANSITION_CORE,
    addresses_reader,
    asks_about_documents,
    asks_for_amount,
    asks_for_money,
    dressed_as_law,
    instructs,
    names_law,
    other_authority_asked,
    other_law_asked,
    states_money,
)
from assistant.types import Answer, Citation, Passage, ScoredPassage


# Abstain when the sources do not speak of what is asked: words the sources
# never use carry more than max_unknown of the question's weight, or the best
# passage covers less than min_coverage of it, or (by meaning) no top passage
# is as close to the question as min_similarity while coverage is below
# weak_coverage. A message longer than long_message words (a case told before
# it asks) needs only long_message/words of min_coverage: no one paragraph covers
# every circumstance of a story (0: off). The question bank's nearest questions
# decide too: an out-of-scope one at oos_similarity refuses, an answerable one at
# in_similarity (nearer than any out-of-scope one) overrides weak coverage.
# Chosen by cross-validation, leaving one eval file out with a bank refitted
# without it (`python -m evals.tune --answers --by-set`, evals/report/tune-answers-bank.txt).
@dataclass(frozen=True)
class AnswerParams:
    max_unknown: float = 0.40
    min_coverage: float = 0.20
    min_similarity: float = 0.88  # cosine of the best passage or sentence (0: rule off)
    weak_coverage: float = 0.5
    long_message: int = 20
    max_quotes: int = 3
    relative_floor: float = 0.8  # a quote scores at least this share of the best one
    max_quotes_per_passage: int = 2
    semantic: float = 2.0  # the sentence's similarity to the question by meaning (0..1 within the candidates)
    # The nearest question of the bank is out of scope: refuse when its cosine is at least
    # oos_similarity and above the nearest answerable bank question's by oos_margin (0: rule off).
    oos_similarity: float = 0.92
    oos_margin: float = 0.0
    # ... and the other way: when the nearest bank question is answerable, at least this near
    # and nearer than any out-of-scope one, weak coverage or similarity does not refuse (0: off).
    in_similarity: float = 0.92
    rank_weight: float = 1.0  # quotes come from the best passages
    # The answering passage's next sentences that also speak of the question
    # (score > 0) are quoted with it, up to this many in all from that passage.
    answer_passage_quotes: int = 3
    # Articles never decide a legal answer alone: where a law passage is among the first
    # `law_leads_within` retrieved (or a law sentence is quoted), an article's sentence is quoted only beside a law quote
    # that says the same (cosine of the two sentences' vectors at least `article_support`).
    law_leads_within: int = 1
    article_support: float = 0.9


ANSWER = AnswerParams()
MAX_UNKNOWN = ANSWER.max_unknown
SENTENCE_PASSAGES = 5  # sentences are picked from this many top passages

NO_ANSWER = "Källorna besvarar inte den här frågan."
KIND_SV = {"bill": "Propositionen (Prop. 2024/25:89)", "inquiry": "Utredningen (SOU 2020:47)",
           "article": "Artiklarna", "statute": "Lagtexterna"}


# A which-law question for which no exception point of the transitional provisions was
# found: the general rule is said plainly, with the kinds of matter the exceptions cover.
NO_EXCEPTION = ("Inget av undantagen i övergångsbestämmelserna (punkt 3–8) hittades för det du frågar om, så "
                "huvudregeln gäller: den nya lagen tillämpas från den 1 juli 2025 och den gamla är upphävd (punkt 1–2). "
                "Undantagen gäller beslut om insatser som gäller tills vidare, tillstånd och förbud, återkrav och "
                "ersättningskrav, överklaganden av beslut från före den 1 juli 2025 samt yrkestiteln undersköterska.")
ANSWER_HEADING = "Svar"
MORE_HEADING = "Mer ur källorna"


def _source_name(p) -> str:
    return source_name(p.label, p.kind, p.title)


def _has_amount(text: str) -> bool:
    """A number in the text that is not part of a legal reference, a law's number or a year."""
    from assistant.answering.verifier import _reference_numbers

    return any(not 1900 <= n <= 2100 for n in numbers_in(text) - _reference_numbers(text))


class QuestionError(ValueError):
    """Bad input; the message is shown to the user as it is (Swedish)."""


_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def validate_question(question: str | None, max_chars: int) -> str:
    """The question, stripped; QuestionError (Swedish) for empty, over-long or
    unreadable text (invalid UTF-8 read as lone surrogates, control characters)."""
    if question is None or not question.strip():
        raise QuestionError("Frågan är tom. Skriv en fråga om socialtjänstlagen.")
    if _SURROGATE.search(question):
        raise QuestionError("Frågan innehåller tecken som inte kan läsas (ogiltig UTF-8, t.ex. från en terminal med "
                            "annan teckenkodning). Skriv om frågan med vanliga tecken.")
    if _CONTROL.search(question):
        raise QuestionError("Frågan innehåller styrtecken som inte hör hemma i text. Skriv om frågan med vanliga tecken.")
    question = question.strip()
    if len(question) > max_chars:
        raise QuestionError(
            f"Frågan är för lång ({len(question)} tecken; högst {max_chars}). Korta ner den till det du vill veta."
        )
    words = re.findall(r"\w+", question)
    if not words:
        raise QuestionError("Frågan innehåller inga ord, bara tecken eller symboler. Skriv en fråga om socialtjänstlagen.")
    if len(words) >= 30 and len({w.lower() for w in words}) / len(words) < 0.15:
        raise QuestionError("Frågan upprepar samma ord om och om igen. Skriv frågan en gång.")
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
    def __init__(self, retriever: HybridRetriever, settings: Settings, params: AnswerParams | None = None):
        self.retriever = retriever
        self.settings = settings
        self.params = params or ANSWER

    def answer(self, question: str, filters: Filters | None = None, date: str | None = None,
               k: int | None = None) -> Answer:
        started = time.perf_counter()
        question = validate_question(question, self.settings.max_question_chars)
        date = date or self.settings.date
        result = self.retriever.search(question, k or self.settings.top_k, filters, date)
        t_retrieved = time.perf_counter()
        answer = self.compose(question, result, date, articles_asked=bool(filters and filters.kinds == ("article",)))
        if filters and filters.kinds:
            indexed = {p.kind for p in self.retriever.store.passages}
            missing = [KIND_SV[k] for k in filters.kinds if k not in indexed and k in KIND_SV]
            if missing:
                answer.notes.append(f"{' och '.join(missing)} finns inte i indexet här, så de kan inte sökas.")
                if not result.passages:
                    answer.text += " " + answer.notes[-1]
        answer.timings_ms.update(result.timings_ms)
        answer.timings_ms["retrieval_ms"] = (t_retrieved - started) * 1000
        answer.timings_ms["answer_ms"] = (time.perf_counter() - t_retrieved) * 1000
        answer.timings_ms["total_ms"] = (time.perf_counter() - started) * 1000
        return answer

    def compose(self, question: str, result: RetrievalResult, date: str, articles_asked: bool = False) -> Answer:
        """The answer from what was retrieved. `articles_asked`: the user searches the
        articles alone, so an article may answer without the law beside it."""
        keyword = self.retriever.keyword
        terms = QuestionTerms(question, keyword)
        top = result.passages
        answer = Answer(question=question, text="", reference_date=date)
        if not top:
            answer.abstained = True
            answer.text = NO_ANSWER + " Inget avsnitt i källorna matchar frågan."
            return answer

        # Whether the sources answer at all is judged on the retrieval as it came.
        def coverage_of(sp: ScoredPassage) -> float:
            return sp.sources["coverage"] if "coverage" in sp.sources else passage_coverage(terms, sp.passage, keyword)

        best = max(coverage_of(sp) for sp in top[:SENTENCE_PASSAGES])
        similarity = max([sp.sources.get(f"{name}_score", 0.0) for sp in top[:SENTENCE_PASSAGES]
                          for name in ("dense", "sentence")] + [0.0])
        if not asks_about_documents(question):
            # Law before articles: quotes come from the law texts first, an article only beside them.
            top = [sp for sp in top if sp.passage.kind == "statute"] + [sp for sp in top if sp.passage.kind != "statute"]
        coverages = [coverage_of(sp) for sp in top[:SENTENCE_PASSAGES]]
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
        params = self.params
        weak_by_meaning = bool(similarity) and similarity < params.min_similarity and best < params.weak_coverage
        min_coverage = params.min_coverage
        if params.long_message and (words := len(question.split())) > params.long_message:
            min_coverage *= params.long_message / words
        oos_neighbour = (params.oos_similarity > 0 and result.oos_similarity >= params.oos_similarity
                         and result.oos_similarity - result.in_similarity >= params.oos_margin)
        answerable_neighbour = (params.in_similarity > 0 and result.in_similarity >= params.in_similarity
                                and result.in_similarity > result.oos_similarity)
        weak = best < min_coverage or terms.unknown_share > params.max_unknown or weak_by_meaning
        if not direct and ((weak and not answerable_neighbour) or oos_neighbour):
            answer.abstained = True
            law = other_law_asked(question)
            why = f"Frågan gäller vad {law} säger, och den lagen finns inte i källorna. " if law else ""
            if weak and not answerable_neighbour:
                why += "Inget avsnitt i lagtexterna eller de andra källorna täcker det du frågar om tillräckligt väl"
            else:
                why += "Den liknar frågor som socialtjänstlagarna inte besvarar (belopp, andra lagar, lokala rutiner)"
            answer.text = f"{NO_ANSWER} {why}, så jag gissar inte. Närmaste avsnitt finns nedan."
            answer.nearest = [sp.passage.label for sp in top[:5]]
            answer.notes.append(f"täckning {best:.2f}, okända ord {terms.unknown_share:.2f}, likhet {similarity:.3f}, "
                                f"närmaste fråga utanför lagen {result.oos_similarity:.3f}")
            return answer

        candidates = self._sentences(top, coverages, terms, result, self._similarities(question, top))
        chosen = self._choose(candidates, direct)
        chosen = self._cover_asks(chosen, candidates, result)
        if not (articles_asked or asks_about_documents(question, legal_terms=True)):
            chosen = self._articles_beside_law(chosen, candidates, result, direct)
        if not chosen:
            # Passages came back, but no sentence in them speaks of what was asked.
            answer.abstained = True
            answer.text = (f"{NO_ANSWER} Inget stycke i de närmaste avsnitten handlar om det du frågar om, "
                           "så jag citerar inget. Närmaste avsnitt finns nedan.")
            answer.nearest = list(dict.fromkeys(sp.passage.label for sp in top[:5]))
            return answer
        if not direct and (matter := other_authority_asked(question)) and not any(
                matter.lower() in sp.passage.text.lower() for sp in top[:3]):
            answer.abstained = True
            answer.text = (f"{NO_ANSWER} Frågan gäller {matter}, som beslutas av "
                           f"{OTHER_AUTHORITIES[matter.lower()]} enligt andra regler än socialtjänstlagen, "
                           "och de närmaste avsnitten nämner det inte. Närmaste avsnitt finns nedan.")
            answer.nearest = list(dict.fromkeys(sp.passage.label for sp in top[:5]))
            return answer
        money = asks_for_money(question)
        if not direct and money and not any(states_money(c.scored.passage.text[c.start:c.end], question)
                                            for c in chosen):
            answer.abstained = True
            answer.text = (f"{NO_ANSWER} Du frågar efter ett belopp i pengar, och inget av de avsnitt som handlar "
                           "om ämnet anger något sådant belopp. Närmaste avsnitt finns nedan.")
            answer.nearest = list(dict.fromkeys([c.scored.passage.label for c in chosen]
                                                + [sp.passage.label for sp in top[:5]]))[:5]
            return answer
        if not direct and not money and asks_for_amount(question) and not _has_amount(top[0].passage.text):
            # A question about an amount or a count, and the best passage states none.
            answer.abstained = True
            answer.text = (f"{NO_ANSWER} Du frågar efter ett belopp eller antal, och de avsnitt som handlar om "
                           "ämnet anger inget sådant. Närmaste avsnitt finns nedan.")
            answer.nearest = [c.scored.passage.label for c in chosen] or [sp.passage.label for sp in top[:5]]
            answer.nearest = list(dict.fromkeys(answer.nearest))
            return answer
        answer = self._render(answer, chosen, date)
        transitional = [sp for sp in result.passages if sp.sources.get("transition")]
        if transitional and all(sp.passage.label in TRANSITION_CORE for sp in transitional):
            answer.text += "\n\n" + NO_EXCEPTION
            answer.notes.append(NO_EXCEPTION)
        return answer

    def _similarities(self, question: str, top: list[ScoredPassage]) -> dict[tuple[str, int], float]:
        """(passage id, sentence start) -> cosine with the question, for the
        sentences of the top passages (stored at ingest); {} without vectors."""
        if not getattr(self.retriever, "use_dense", False):
            return {}
        ids = [sp.passage.id for sp in top[:SENTENCE_PASSAGES]]
        vector = self.retriever.adapted_vector(question, sentences=True)
        stored = self.retriever.search_vectors.sentence_vectors(ids)
        return {(pid, start): float(np.dot(v, vector)) for pid, rows in stored.items() for start, _, v in rows}

    def _sentences(self, top, coverages, terms: QuestionTerms, result: RetrievalResult,
                   similarities: dict[tuple[str, int], float]) -> list[_Candidate]:
        keyword = self.retriever.keyword
        out = []
        sims = list(similarities.values())
        lo, hi = (min(sims), max(sims)) if sims else (0.0, 0.0)
        for rank, sp in enumerate(top[:SENTENCE_PASSAGES]):
            p = sp.passage
            is_direct = p.label in result.direct
            for i, (a, b) in enumerate(sentence_spans(p.text)):
                sentence = p.text[a:b]
                if len(sentence) < 12 or addresses_reader(sentence):
                    continue
                if p.kind == "article" and (instructs(sentence) or dressed_as_law(sentence)):
                    continue  # an article that instructs, or imitates a law citation, is never quoted
                own = terms.coverage(text_tokens(sentence, keyword))
                # (A sentence sharing under 0.2 of the question's terms had been quoted only when no
                # other did better; cross-validated, answers were better without that floor.)
                score = own
                score += 0.35 * coverages[rank]  # context: headings and the rest of the paragraph
                score += self.params.rank_weight / (1 + rank)  # retrieval rank: quotes come from the best passages
                if terms.asks_time and mentions_time(sentence):
                    score += 0.3
                if is_direct:  # a named paragraph is quoted from its start, before what is only similar in meaning
                    score += max(1.0, self.params.semantic) * (1.0 - 0.05 * i)
                sim = similarities.get((p.id, a))
                if sim is not None and hi > lo and not is_direct:
                    score += self.params.semantic * (sim - lo) / (hi - lo)
                out.append(_Candidate(rank, sp, a, b, score))
        return out

    def _choose(self, candidates: list[_Candidate], direct: bool = False) -> list[_Candidate]:
        if not candidates:
            return []
        candidates.sort(key=lambda c: -c.score)
        best = candidates[0].score
        if best <= 0:  # no sentence covers the question well: quote only the single best one
            return [candidates[0]]
        chosen: list[_Candidate] = []
        per_passage: dict[str, int] = {}
        for c in candidates:
            if len(chosen) >= self.params.max_quotes:
                break
            if c.score < self.params.relative_floor * best:
                break
            pid = c.scored.passage.id
            if per_passage.get(pid, 0) >= self.params.max_quotes_per_passage:
                continue
            per_passage[pid] = per_passage.get(pid, 0) + 1
            chosen.append(c)
        first, answering = chosen[0], chosen[0].scored.passage.id
        following = sorted((c for c in candidates if c.scored.passage.id == answering and c.start > first.start
                            and c.score > 0 and c not in chosen), key=lambda c: c.start)
        for c in following:  # the answering passage's next sentences that speak of the question
            if per_passage[answering] >= self.params.answer_passage_quotes:
                break
            per_passage[answering] += 1
            chosen.append(c)
        # The sentence that answers first (a paragraph the question names: from
        # its start); the rest in retrieval order, and in text order within a passage.
        if direct:
            return sorted(chosen, key=lambda c: (c.rank, c.start))
        return chosen[:1] + sorted(chosen[1:], key=lambda c: (c.rank, c.start))

    def _articles_beside_law(self, chosen: list[_Candidate], candidates: list[_Candidate],
                             result: RetrievalResult, direct: bool) -> list[_Candidate]:
        """Articles never decide a legal answer alone. Where the law speaks of the matter
        (a law passage retrieved first, or a law sentence among the quotes), a law
        sentence answers and an article's sentence is kept only beside a law quote
        that says the same thing.
        Where only articles speak of it (the reform's dates, funding, projects), they
        may answer, shown as articles."""
        def is_article(c: _Candidate) -> bool:
            return c.scored.passage.kind == "article"

        if not any(map(is_article, chosen)):
            return chosen
        law_first = any(sp.passage.kind != "article" for sp in result.passages[: self.params.law_leads_within])
        if not law_first and all(map(is_article, chosen)):
            return chosen
        law = [c for c in chosen if not is_article(c)] or self._choose([c for c in candidates if not is_article(c)],
                                                                         direct)
        if not law:
            return []
        articles = [c for c in chosen if is_article(c)]
        ids = list({c.scored.passage.id for c in law + articles})
        vectors = {(pid, a): v for pid, rows in self.retriever.search_vectors.sentence_vectors(ids).items()
                   for a, _, v in rows} if getattr(self.retriever, "use_dense", False) else {}
        law_vectors = [vectors[key] for c in law if (key := (c.scored.passage.id, c.start)) in vectors]

        def supported(c: _Candidate) -> bool:
            v = vectors.get((c.scored.passage.id, c.start))
            return v is not None and any(float(np.dot(v, w)) >= self.params.article_support for w in law_vectors)

        return law + [c for c in articles if supported(c)]

    def _cover_asks(self, chosen: list[_Candidate], candidates: list[_Candidate],
                    result: RetrievalResult) -> list[_Candidate]:
        """A question that asks several things: each ask gets a quote from the
        passage retrieved for it, unless one is already quoted."""
        if not chosen or len(result.asks) < 2:
            return chosen
        quoted = {c.scored.passage.id for c in chosen}
        extra = []
        for ask_ids in result.asks.values():
            if not ask_ids or quoted & set(ask_ids[:1]):
                continue
            pool = [c for c in candidates if c.scored.passage.id == ask_ids[0] and c not in chosen]
            if pool:
                best = max(pool, key=lambda c: c.score)
                extra.append(best)
                quoted.add(ask_ids[0])
        return chosen + extra

    def _render(self, answer: Answer, chosen: list[_Candidate], date: str) -> Answer:
        """The answer first: the sentence that answers, under its source named in words;
        then "Mer ur källorna", the other quotes grouped under their passage."""
        numbers: dict[str, int] = {}
        groups: dict[str, list[str]] = {}
        for c in chosen:
            p = c.scored.passage
            numbers.setdefault(p.id, len(numbers) + 1)
            answer.citations.append(  # one per quote; quotes of one passage share its number
                Citation.of(numbers[p.id], p, p.text[c.start:c.end], round(c.scored.score, 4))
            )
            if c is not chosen[0]:
                groups.setdefault(p.id, []).append(f"”{p.text[c.start:c.end]}”")
        first = chosen[0].scored.passage
        text = f"{ANSWER_HEADING} – {_source_name(first)} [{numbers[first.id]}]:\n”{first.text[chosen[0].start:chosen[0].end]}”"
        if groups:
            by_id = {c.scored.passage.id: c.scored.passage for c in chosen}
            more = [f"{_source_name(by_id[pid])} [{numbers[pid]}]:\n" + "\n".join(quotes) for pid, quotes in groups.items()]
            text += f"\n\n{MORE_HEADING}:\n\n" + "\n\n".join(more)
        answer.text = text
        cited = [c.scored.passage for c in chosen]
        notes = _date_notes(list({p.id: p for p in cited}.values()), date)
        if notes:
            answer.text += "\n\nObservera: " + " ".join(notes)
        answer.notes.extend(notes)
        return answer

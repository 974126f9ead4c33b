"""Questions about what changed: "vad motsvarar 4 kap. 1 § i gamla SoL?",
"vad är nytt i 20 kap. 2 §?" (a comparison) and "vad är nytt om X?" (the
relevant new paragraphs with their old counterparts, both quoted and cited)."""

from __future__ import annotations

import re

from assistant.changes.compare import BASIS_SHORT_SV, RELATION_SV
from assistant.changes.concordance import Concordance
from assistant.parsing.text import sentence_spans
from assistant.retrieval.evidence import QuestionTerms, text_tokens
from assistant.retrieval.hybrid import Filters
from assistant.retrieval.references import find_references
from assistant.types import Answer, Citation, Passage

_COMPARE_WORDS = re.compile(r"motsvar|\bnytt\b|\bnya\b.{0,20}\bi\b|ändra|ändring|jämför|skillnad|skiljer", re.I)
_CHANGE_QUESTION = re.compile(
    r"\b(vad är nytt|vad blir nytt|vad har ändrats|vad ändras|vilka ändringar|vad skiljer|skillnad(en|er)? mellan|"
    r"skiljer sig|jämfört med (den )?gamla|jämfört med (den )?tidigare|förändring(ar|en)? (i|av|för|när)|"
    r"har (det|något) ändrats|ändringar(na)? (i|för|om|när))\b",
    re.I,
)


def intent(question: str) -> str | None:
    """'compare' (a named paragraph, asked about its counterpart or changes),
    'changes' (what is new about a topic) or None."""
    if find_references(question):
        return "compare" if _COMPARE_WORDS.search(question) else None
    return "changes" if _CHANGE_QUESTION.search(question) else None


def _best_sentence(passage: Passage, terms: QuestionTerms, keyword) -> tuple[int, int]:
    spans = sentence_spans(passage.text) or [(0, len(passage.text))]
    return max(spans, key=lambda s: (terms.coverage(text_tokens(passage.text[s[0]:s[1]], keyword)), -s[0]))


def topic_of(question: str) -> str:
    """The topic of a change question: the question without its change wording."""
    topic = _CHANGE_QUESTION.sub(" ", question)
    topic = re.sub(r"\b(i |enligt )?(den )?(nya|gamla|tidigare) (lagen|sol|socialtjänstlagen)\b|\bnär det gäller\b|\b(om|kring|gällande)\b", " ", topic, flags=re.I)
    topic = re.sub(r"\s+", " ", topic).strip(" ?.,")
    return topic or question


def answer_changes(question: str, answerer, concordance: Concordance, date: str, topics: int = 2) -> Answer:
    """The top new-law paragraphs on the topic, each with its old counterpart(s)."""
    retriever = answerer.retriever
    topic = topic_of(question)
    result = retriever.search(topic, k=8, filters=Filters(kinds=("statute",), law_versions=("new",)), date=date)
    base = answerer.compose(topic, result, date)
    if base.abstained:
        base.question = question
        return base
    terms = QuestionTerms(topic, retriever.keyword)
    scored = [sp for sp in result.passages if "kap." in sp.passage.label]
    top_score = scored[0].score if scored else 0
    labels = list(dict.fromkeys(sp.passage.label for sp in scored if sp.score >= 0.8 * top_score))[:topics]
    answer = Answer(question=question, text="", reference_date=date)
    lines = ["Så här skiljer sig nya lagen från den gamla i det du frågar om:"]
    numbers: dict[str, int] = {}

    def cite(p: Passage, guide: QuestionTerms = terms) -> str:
        a, b = _best_sentence(p, guide, retriever.keyword)
        numbers.setdefault(p.id, len(numbers) + 1)
        answer.citations.append(Citation.of(numbers[p.id], p, p.text[a:b], 1.0))
        return f"”{p.text[a:b]}” [{numbers[p.id]}]"

    for label in labels:
        new = retriever.lookup(label, date)
        if not new:
            continue
        quote = cite(new[0])
        lines.append(f"\n**{label}** (nya lagen): {quote}")
        # The old sentence that best matches the quoted new one.
        guide = QuestionTerms(answer.citations[-1].quote, retriever.keyword)
        pairs = concordance.counterparts_of_new(label)
        olds = [p for p in pairs if p.old]
        if not olds:
            if any(p.basis == "bill" for p in pairs):
                lines.append("Ny bestämmelse – ingen motsvarighet i gamla lagen enligt propositionen.")
            else:
                lines.append("Ingen motsvarighet i gamla lagen hittades (härlett ur lagtexterna; kontrollera mot förarbetena).")
        for pair in olds:
            old = retriever.lookup(pair.old, date)
            if old:
                basis = BASIS_SHORT_SV.get(pair.basis, BASIS_SHORT_SV["text"])
                lines.append(f"Motsvarar **{pair.old}** i gamla lagen ({RELATION_SV[pair.relation]}, {basis}): {cite(old[0], guide)}")
    if not answer.citations:  # no paragraph of the new law on the topic: the plain cited answer
        base.question = question
        return base
    answer.text = "\n".join(lines)
    answer.notes.append("SFS 2001:453 upphävdes den 1 juli 2025.")
    return answer

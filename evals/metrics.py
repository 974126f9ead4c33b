"""Metric computations (pure functions), per question and aggregated.

Retrieval metrics use the distinct labels of the retrieved passages in rank order.
Answer metrics use the answer's citations (labels and verbatim quotes).
"""

from __future__ import annotations

import re

from assistant.labels import chapter_key

RATE_KEYS = [
    "hit@1", "hit@5", "recall@5", "mrr@10", "citation_recall", "citation_precision",
    "citation_precision_lenient", "quote_fidelity", "abstention_accuracy", "fact_recall",
]
KEYS = RATE_KEYS + ["latency_p50_ms", "latency_p95_ms"]


def _lenient(label: str) -> str:
    try:
        return chapter_key(label)
    except ValueError:
        return label


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def question_metrics(expected: list[str], retrieved: list[str], cited: list[str], quotes_ok: list[bool],
                     abstained: bool, answer_text: str, facts: list[str]) -> dict:
    """Everything about one question. `retrieved`: distinct labels in rank order;
    `cited`: one label per citation; `quotes_ok`: per quote, verbatim in its passage."""
    in_scope = bool(expected)
    exp = set(expected)
    m: dict = {"in_scope": in_scope, "abstained": abstained,
               "abstention_correct": abstained != in_scope,
               "quotes": len(quotes_ok), "quotes_verbatim": sum(quotes_ok)}
    if in_scope:
        m["hit@1"] = float(bool(retrieved[:1]) and retrieved[0] in exp)
        m["hit@5"] = float(any(l in exp for l in retrieved[:5]))
        m["recall@5"] = len(exp & set(retrieved[:5])) / len(exp)
        m["rr@10"] = next((1.0 / (i + 1) for i, l in enumerate(retrieved[:10]) if l in exp), 0.0)
        m["cites_expected"] = float(bool(exp & set(cited)))
        m["citations"] = len(cited)
        m["citations_expected"] = sum(1 for l in cited if l in exp)
        lenient = {_lenient(l) for l in exp}
        m["citations_expected_lenient"] = sum(1 for l in cited if l in exp or _lenient(l) in lenient)
        text = _norm(answer_text)
        m["facts"] = len(facts)
        m["facts_found"] = sum(1 for f in facts if _norm(f) in text)
    return m


def generation_metrics(verified: list[dict]) -> dict:
    """ALCE-style counts from the verifier's judgement of generated sentences."""
    citations = [ok for v in verified for ok in v.get("citation_supports", [])]
    return {
        "gen_sentences": len(verified),
        "gen_supported": sum(1 for v in verified if v["supported"]),
        "gen_citations": len(citations),
        "gen_citations_supporting": sum(citations),
    }


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def aggregate(rows: list[dict]) -> dict:
    """Rates in [0, 1] (None where no question applies) and latency percentiles."""
    ins = [r for r in rows if r["in_scope"]]
    citations = sum(r["citations"] for r in ins)
    quotes = sum(r["quotes"] for r in rows)
    facts = [r["facts_found"] / r["facts"] for r in ins if r["facts"]]
    latencies = [r["latency_ms"] for r in rows if "latency_ms" in r]
    generated = [r for r in rows if r.get("gen_sentences")]
    extra = {}
    if generated:
        sentences = sum(r["gen_sentences"] for r in generated)
        citations = sum(r["gen_citations"] for r in generated)
        extra = {
            "alce_citation_recall": sum(r["gen_supported"] for r in generated) / sentences,
            "alce_citation_precision": (sum(r["gen_citations_supporting"] for r in generated) / citations) if citations else None,
            "removed_share": 1 - sum(r["gen_supported"] for r in generated) / sentences,
        }
    return extra | {
        "n": len(rows),
        "hit@1": _mean([r["hit@1"] for r in ins]),
        "hit@5": _mean([r["hit@5"] for r in ins]),
        "recall@5": _mean([r["recall@5"] for r in ins]),
        "mrr@10": _mean([r["rr@10"] for r in ins]),
        "citation_recall": _mean([r["cites_expected"] for r in ins]),
        "citation_precision": (sum(r["citations_expected"] for r in ins) / citations) if citations else None,
        "citation_precision_lenient": (sum(r["citations_expected_lenient"] for r in ins) / citations) if citations else None,
        "quote_fidelity": (sum(r["quotes_verbatim"] for r in rows) / quotes) if quotes else None,
        "abstention_accuracy": _mean([float(r["abstention_correct"]) for r in rows]),
        "fact_recall": _mean(facts),
        "latency_p50_ms": percentile(latencies, 0.5),
        "latency_p95_ms": percentile(latencies, 0.95),
    }


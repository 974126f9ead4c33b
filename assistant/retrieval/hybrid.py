"""Hybrid retrieval: BM25 (Swedish stems) and dense vectors (Chroma), fused with
weighted reciprocal rank fusion; a question naming a paragraph gets it first;
among dated versions of one paragraph, the one in force on the reference date."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from assistant.config import Settings
from assistant.index.store import PassageStore
from assistant.labels import statute_label
from assistant.retrieval.references import (
    NEW_SFS,
    OLD_SFS,
    TRANSITION_CORE,
    asks_about_documents,
    asks_about_transition,
    asks_for_definition,
    find_references,
    law_hint,
)
from assistant.types import Passage, ScoredPassage

RRF_K = 60
RERANK_DEPTH = 20  # fused hits re-scored by term coverage
RERANK_WEIGHT = 0.8  # weight of coverage against the normalised fused score
STATUTE_PRIOR = 1.2
DEFINITION_WEIGHT = 0.5  # extra weight of a defining sentence, for a question of what a word means
NEW_LAW_PRIOR = 1.15  # the product is about the new law: the old law yields unless asked for


class IndexMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...] = ()  # statute | bill | inquiry | article
    doc_ids: tuple[str, ...] = ()
    law_versions: tuple[str, ...] = ()  # new | old

    def accepts(self, p: Passage) -> bool:
        return (
            (not self.kinds or p.kind in self.kinds)
            and (not self.doc_ids or p.doc_id in self.doc_ids)
            and (not self.law_versions or p.law_version in self.law_versions or p.kind != "statute")
        )

    def chroma_where(self) -> dict | None:
        clauses = []
        if self.kinds:
            clauses.append({"kind": {"$in": list(self.kinds)}})
        if self.doc_ids:
            clauses.append({"doc_id": {"$in": list(self.doc_ids)}})
        if self.law_versions:
            clauses.append({"$or": [{"law_version": {"$in": list(self.law_versions)}}, {"kind": {"$ne": "statute"}}]})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


@dataclass
class RetrievalResult:
    passages: list[ScoredPassage]
    direct: list[str] = field(default_factory=list)  # labels named in the question
    unknown_references: list[str] = field(default_factory=list)  # named but not in the sources
    timings_ms: dict[str, float] = field(default_factory=dict)


def select_versions(passages: list[Passage], date: str) -> set[str]:
    """Ids of the passages to keep: per label, the version(s) in force on `date`;
    if none is in force (a repealed law, a future paragraph), the latest one."""
    by_label: dict[str, dict[str, list[Passage]]] = {}
    for p in passages:
        by_label.setdefault(p.label, {}).setdefault(p.valid_from, []).append(p)
    keep: set[str] = set()
    for versions in by_label.values():
        if len(versions) == 1:
            keep.update(p.id for ps in versions.values() for p in ps)
            continue
        in_force = [ps for ps in versions.values() if ps[0].in_force_on(date)]
        chosen = in_force or [versions[max(versions)]]
        keep.update(p.id for ps in chosen for p in ps)
    return keep


class HybridRetriever:
    """Loads the passage store and keyword index eagerly (fast), Chroma and the
    embedding model lazily (slow), so BM25-only use starts quickly."""

    def __init__(self, settings: Settings, weights: dict[str, float] | None = None, use_dense: bool = True,
                 direct_lookup: bool = True, priors: bool = True):
        from assistant.index.keyword import KeywordIndex

        self.settings = settings
        store_path = settings.index_dir / "passages.jsonl"
        if not store_path.exists():
            raise IndexMissing(f"inget index i {settings.index_dir}: kör `assistant ingest` först")
        self.store = PassageStore.load(store_path)
        self.keyword = KeywordIndex.load(settings.index_dir / "bm25")
        self.weights = weights or {"bm25": 1.0, "dense": 0.15}
        self.use_dense = use_dense and self.weights.get("dense", 0) > 0
        self.use_bm25 = self.weights.get("bm25", 0) > 0
        self.rrf_k = RRF_K
        self.direct_lookup = direct_lookup  # a named paragraph first
        self.rerank = priors  # coverage re-ranking belongs to the product configuration
        self.priors = priors  # law hints ("gamla SoL") and the new-law prior
        self._vectors = None
        self._lock = threading.Lock()
        self._keep_cache: dict[str, set[str]] = {}

    @property
    def vectors(self):
        with self._lock:
            if self._vectors is None:
                from assistant.index.vectorstore import VectorStore

                self._vectors = VectorStore(self.settings)
            return self._vectors

    def warm_up(self) -> None:
        """Load Chroma and the embedding model now (call from a background thread)."""
        if self.use_dense:
            self.vectors.embedder.embed_query("uppvärmning")

    def _kept(self, date: str) -> set[str]:
        if date not in self._keep_cache:
            self._keep_cache[date] = select_versions(self.store.passages, date)
        return self._keep_cache[date]

    def _rerank(self, question: str, fused: list[ScoredPassage]) -> list[ScoredPassage]:
        """Re-score the top hits: normalised fused score + weighted share of the
        question's terms (IDF-weighted, unknown words count against) that the
        passage with its headings contains. A second, presence-based lexical view
        that BM25's term-frequency saturation and the weak dense model miss."""
        from assistant.retrieval.evidence import QuestionTerms, definition_coverage, passage_coverage

        terms = QuestionTerms(question, self.keyword)
        definition = asks_for_definition(question)
        head, tail = fused[:RERANK_DEPTH], fused[RERANK_DEPTH:]
        top = max(sp.score for sp in head) or 1.0
        for sp in head:
            coverage = passage_coverage(terms, sp.passage, self.keyword)
            sp.sources["coverage"] = coverage  # reused by the answerer
            sp.score = sp.score / top + RERANK_WEIGHT * coverage
            if definition:  # a question of what a word means: the sentence that defines it
                sp.score += DEFINITION_WEIGHT * definition_coverage(terms, sp.passage, self.keyword)
        head.sort(key=lambda sp: -sp.score)
        floor = head[-1].score if head else 0.0
        for sp in tail:  # keep the tail below the re-ranked head
            sp.score = min(sp.score / top, floor - 1e-6)
        return head + tail

    def _prior(self, p: Passage, hinted_sfs: str, transition: bool, documents: bool) -> float:
        """Query-intent priors (general rules, not tuned to single questions)."""
        if not self.priors:
            return 1.0
        factor = 1.0
        transitional = "övergångsbestämmelser" in p.label
        if p.kind == "statute":
            old_law_asked = hinted_sfs == OLD_SFS
            if transition and not (old_law_asked and transitional and p.law_version == "old"):
                # Which law applies across 1 July 2025: the new law's transitional
                # provisions answer it, even when the question names the old law.
                if transitional and p.law_version == "new":
                    factor *= 2
                elif p.law_version == "old":
                    factor /= NEW_LAW_PRIOR
            elif hinted_sfs and p.label.startswith(hinted_sfs):
                factor *= 1.5
            elif not hinted_sfs and p.law_version == "old":
                factor /= NEW_LAW_PRIOR
            if transitional and p.law_version == "old" and not old_law_asked:
                factor /= 2  # the old law's own transitions (2002-2024) rarely answer anything today
        if documents and p.kind != "statute":
            factor *= 1.5
        elif not documents and p.kind == "statute":
            factor *= STATUTE_PRIOR  # a question that names no document asks what the law says
        return factor

    def lookup(self, label: str, date: str | None = None) -> list[Passage]:
        """All passages (parts) of one label, in the version in force on `date`."""
        passages = self.store.with_label(label)
        keep = select_versions(passages, date or self.settings.date)
        return [p for p in passages if p.id in keep]

    def direct_references(self, question: str, date: str) -> tuple[list[Passage], list[str], list[str]]:
        found: list[Passage] = []
        labels: list[str] = []
        unknown: list[str] = []
        for ref in find_references(question):
            candidates = [ref.sfs] if ref.sfs else [NEW_SFS]
            for sfs in candidates:
                label = statute_label(sfs, ref.chapter, ref.paragraph)
                passages = self.lookup(label, date)
                if passages:
                    found += passages
                    labels.append(label)
                else:
                    unknown.append(label)
        return found, labels, unknown

    def search(self, question: str, k: int = 8, filters: Filters | None = None,
               date: str | None = None, depth: int = 50) -> RetrievalResult:
        date = date or self.settings.date
        filters = filters or Filters()
        timings: dict[str, float] = {}
        keep = self._kept(date)
        accepted = np.array([p.id in keep and filters.accepts(p) for p in self.store.passages], dtype=bool)

        t = time.perf_counter()
        direct, direct_labels, unknown = [], [], []
        if self.direct_lookup:
            direct, direct_labels, unknown = self.direct_references(question, date)
            direct = [p for p in direct if filters.accepts(p)]

        ranked: dict[str, dict[str, int]] = {}
        raw: dict[str, dict[str, float]] = {}
        bm25_hits = self.keyword.search(question, depth, accepted) if self.use_bm25 else []
        for rank, (i, score) in enumerate(bm25_hits, 1):
            pid = self.store.passages[i].id
            ranked.setdefault(pid, {})["bm25"] = rank
            raw.setdefault(pid, {})["bm25"] = score
        timings["bm25_ms"] = (time.perf_counter() - t) * 1000

        if self.use_dense:
            t = time.perf_counter()
            hits = self.vectors.query(question, depth * 2, filters.chroma_where())
            rank = 0
            for pid, sim in hits:
                if pid not in keep:
                    continue
                rank += 1
                ranked.setdefault(pid, {})["dense"] = rank
                raw.setdefault(pid, {})["dense"] = sim
            timings["dense_ms"] = (time.perf_counter() - t) * 1000

        hint = law_hint(question) if self.priors else None
        hinted_sfs = {"old": OLD_SFS, "new": NEW_SFS}.get(hint or "")
        transition = self.priors and asks_about_transition(question)
        documents = self.priors and asks_about_documents(question)
        fused: list[ScoredPassage] = []
        for pid, ranks in ranked.items():
            p = self.store.get(pid)
            if p is None:
                continue
            score = sum(self.weights.get(name, 0) / (self.rrf_k + r) for name, r in ranks.items())
            score *= self._prior(p, hinted_sfs, transition, documents)
            fused.append(ScoredPassage(p, score, dict(ranks)))
        fused.sort(key=lambda sp: -sp.score)
        if self.rerank and fused:
            fused = self._rerank(question, fused)

        top = [ScoredPassage(p, 1.0, {"direct": 1}) for p in direct]
        if transition and not direct and hinted_sfs != OLD_SFS:
            # A question about which law applies: the specific transitional points
            # retrieved for it first, then the general rule.
            from assistant.retrieval.evidence import QuestionTerms, passage_coverage

            terms = QuestionTerms(question, self.keyword)
            specific = [sp for sp in fused[:3] if "övergångsbestämmelser 2025:" in sp.passage.label
                        and passage_coverage(terms, sp.passage, self.keyword) >= 0.5]
            top += [ScoredPassage(sp.passage, sp.score, {**sp.sources, "transition": 1}) for sp in specific]
            for label in TRANSITION_CORE:
                for p in self.lookup(label, date):
                    if filters.accepts(p) and p.id not in {sp.passage.id for sp in top}:
                        top.append(ScoredPassage(p, 1.0, {"transition": 1}))
                        direct_labels.append(label)
        seen = {sp.passage.id for sp in top}
        top += [sp for sp in fused if sp.passage.id not in seen]
        for sp in top:
            sp.sources.update({f"{k}_score": v for k, v in raw.get(sp.passage.id, {}).items()})
        return RetrievalResult(top[: max(k, len(direct))], direct_labels, unknown, timings)

"""Hybrid retrieval: BM25 (Swedish stems) and dense vectors (Chroma), fused with
weighted reciprocal rank fusion; a question naming a paragraph gets it first;
among dated versions of one paragraph, the one in force on the reference date."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from assistant.config import Settings
from assistant.index.store import PassageStore
from assistant.labels import TRANSITIONAL, parse_label, statute_label
from assistant.retrieval.references import (
    NEW_SFS,
    OLD_SFS,
    TRANSITION_CORE,
    asks_about_amendment,
    asks_about_documents,
    asks_about_transition,
    asks_for_definition,
    find_references,
    law_hint,
    names_both_laws,
    split_asks,
)
from assistant.retrieval.transition import TRANSITION, governing_point, transitional_share
from assistant.types import ONLY_WHEN_ASKED, Passage, ScoredPassage


@dataclass(frozen=True)
class FusionParams:
    """How the signals are combined; chosen by cross-validation over the
    repository's question sets (`python -m evals.tune`, numbers in the README).
    A prior of 1.0 switches that rule off."""

    bm25: float = 1.0  # weight of BM25's reciprocal rank
    dense: float = 1.0  # weight of the passage vectors' reciprocal rank
    sentence: float = 0.5  # weight of the best sentence vector's reciprocal rank
    rrf_k: int = 20
    coverage: float = 0.2  # weight of term coverage against the normalised fused score
    definition: float = 0.5  # a defining sentence, for a question of what a word means
    new_law_prior: float = 2.5  # the product is about the new law: the old law yields unless asked for
    # The law the question names ("gamla SoL"): off (1.0) since the question bank. Its old-law questions
    # say "enligt gamla SoL" as askers do, and the neighbours carry that: with the rule at 1.5, each file
    # scored with a bank without it, hit@1 0.880 -> 0.873 pooled (evals/report/ablate-rules-bank.txt).
    hint_prior: float = 1.0
    transition_prior: float = 2.0  # the new law's transitional points, for which-law questions
    # A question about which law applies gets, before the general rule (p. 1-2),
    # the new law's transitional points among the top transition_depth. (A floor on
    # their term coverage, 0.25, was dropped: every held-out fold was better without.)
    transition_depth: int = 3
    # What the question bank teaches (corpus/questions, built at ingest into the generation):
    # the passage search uses the query adapter; the nearest bank questions vote for their labels
    # (weight `bank`, neighbours at or above `bank_threshold` cosine).
    # Chosen by leaving one eval file out (`python -m evals.bank_tune --fusion`, evals/report/bank-tune.txt).
    adapter: bool = True
    bank: float = 3.0
    bank_threshold: float = 0.91
    # The bank's label classifier (a logistic regression over the labels, LABEL_C): its ranking of
    # the labels it gives at least `classifier_floor` probability, as one more reciprocal rank.
    # With it, bank and coverage: `python -m evals.bank_tune --classifier` (evals/report/bank-classifier-tune.txt):
    # leaving one eval file out, hit@1 questions 0.862 -> 0.872, holdout 1.000 -> 0.980, fresh 0.922 -> 0.951,
    # wild 0.800 -> 0.882 (three of four folds chose these values, the fourth classifier 4, dense 2).
    classifier: float = 2.0
    classifier_floor: float = 0.1


PRODUCT = FusionParams()
# A search in the inquiry alone (its reasons): keywords first, no bank votes. Chosen by
# 5-fold cross-validation on the bank's inquiry questions (evals/inquiry_tune.py,
# evals/report/inquiry-tune.txt): hit@1/hit@5 0.248/0.715 with the law's weights -> 0.664/0.893.
INQUIRY_FUSION = {"bm25": 4.0, "dense": 0.5, "bank": 0.0, "classifier": 0.0}
TRANSITION_POINTS = 4  # at most this many specific transitional points
PRIOR_FIELDS = ("transition_prior", "new_law_prior", "hint_prior")
OLD_TRANSITIONS_PRIOR = 2.0  # fixed: the old law's own transitional points yield unless asked for
# Without a question bank (an index of other sources): an exception point of 2025:400 (p. 3-8)
# governs a which-law question only when it is the best passage found and its bank neighbours
# are near (cosine) or its words shared (BM25). With the bank, its classifier decides (transition.py).
# 5-fold CV on evals/transitional.jsonl (its 43 questions on 1 July 2025): rank-1 governing
# point 0.77 with every point of the top 3 -> 0.86 held out (evals/report/transitional.txt).
EXCEPTION_DEPTH, EXCEPTION_BANK, EXCEPTION_BM25 = 1, 0.92, 6.0


def _amending_act(label: str) -> str:
    """'2025:1501' for a transitional point of an act amending the new law, else ''."""
    if not label.startswith(f"{NEW_SFS} {TRANSITIONAL} "):
        return ""
    act = parse_label(label).amendment
    return "" if act == NEW_SFS.removeprefix("SFS ") else act


def prior_factors(params: FusionParams) -> np.ndarray:
    return np.log([*(getattr(params, f) for f in PRIOR_FIELDS), OLD_TRANSITIONS_PRIOR])


SCOPE_CACHE = 64  # (filters, date) scopes kept per retriever
BANK_VOTE_FLOOR = 0.75  # bank neighbours below this cosine never vote
DEPTH_DENSE = 100  # passages from the vector index per question
DEPTH_SENTENCES = 200  # sentences from the vector index per question
CLASSIFIER_DEPTH = 20  # labels the bank's classifier proposes per question
CLASSIFIER_CANDIDATE_FLOOR = 0.01  # ... each with at least this probability


@dataclass
class Candidates:
    """Everything the ranking needs about one question's candidate passages, computed once."""

    passages: list[Passage]
    bm25_rank: np.ndarray  # 0 when absent
    dense_rank: np.ndarray
    sentence_rank: np.ndarray
    coverage: np.ndarray
    definition: np.ndarray
    hinted_sfs: str
    transition: bool
    documents: bool
    prior_exponents: np.ndarray  # (n, len(PRIOR_FIELDS)); all 0 without priors
    raw: dict[str, dict[str, float]]
    bank_rank: np.ndarray | None = None  # rank of the passage's label among the bank neighbours' votes
    oos_similarity: float = 0.0  # cosine of the nearest out-of-scope bank question
    in_similarity: float = 0.0  # cosine of the nearest answerable bank question
    bank_similarity: np.ndarray | None = None  # the vote (best neighbour's cosine) for the passage's label
    # The bank's classifier: the probability of each transitional class (transition.transition_class);
    # {} without a bank.
    transition_probs: dict[str, float] = field(default_factory=dict)
    classifier_rank: np.ndarray | None = None  # rank of the passage's label by the bank's label classifier
    classifier_prob: np.ndarray | None = None  # its probability


class IndexMissing(RuntimeError):
    pass


def damaged_message(settings: Settings, what: str) -> str:
    return f"indexet i {settings.index_dir} är skadat ({what}): kör `assistant ingest` för att bygga om det"


class IndexModelMismatch(IndexMissing):
    """The index was embedded with another model than the settings name: its
    vectors cannot be compared with the question's."""


def index_state(settings: Settings) -> dict:
    """The index's state.json (written by ingest; {} when there is none)."""
    import json

    state_path = settings.index_dir / "state.json"
    return json.loads(state_path.read_text(encoding="utf-8")) if state_path.exists() else {}


def check_index_whole(state: dict, settings: Settings) -> None:
    """Refuse an index whose ingest never finished (see index/generations.py)."""
    from assistant.index.generations import COMPLETE

    if not state.get(COMPLETE):
        raise IndexMissing(f"indexet i {settings.index_dir} är inte färdigbyggt (en indexering avbröts, eller det "
                           "byggdes av en äldre version): kör `assistant ingest`")


def check_index_model(state: dict, settings: Settings) -> None:
    from assistant.index.embeddings import canonical_model

    built = state.get("embedding_model")
    wanted = canonical_model(settings.embedding_model)
    if built and canonical_model(built) != wanted:
        raise IndexModelMismatch(
            f"Indexet i {settings.index_dir} är byggt med embeddingmodellen {built!r}, men inställningen "
            f"(ASSISTANT_EMBEDDING_MODEL) är {wanted!r}. Frågan besvaras inte med vektorer från en annan modell: "
            "kör `assistant ingest` för att bygga om indexet med den nya modellen, eller ändra tillbaka inställningen."
        )




@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...] = ()  # statute | bill | inquiry | article; () = all but ONLY_WHEN_ASKED
    doc_ids: tuple[str, ...] = ()
    law_versions: tuple[str, ...] = ()  # new | old
    excluded_labels: tuple[str, ...] = ()  # label prefixes left out ("SOU 2020:47 avsnitt 1.")

    @property
    def searches_law(self) -> bool:
        """Whether the law's text is searched (by default it is; not in the inquiry alone)."""
        return not self.kinds or "statute" in self.kinds

    def accepts(self, p: Passage) -> bool:
        return (
            (p.kind in self.kinds if self.kinds else p.kind not in ONLY_WHEN_ASKED)
            and not (self.excluded_labels and p.label.startswith(self.excluded_labels))
            and (not self.doc_ids or p.doc_id in self.doc_ids)
            and (not self.law_versions or p.law_version in self.law_versions or p.kind != "statute")
        )


@dataclass
class RetrievalResult:
    passages: list[ScoredPassage]
    direct: list[str] = field(default_factory=list)  # labels named in the question
    unknown_references: list[str] = field(default_factory=list)  # named but not in the sources
    timings_ms: dict[str, float] = field(default_factory=dict)
    asks: dict[str, list[str]] = field(default_factory=dict)  # each ask of a many-ask question -> its top passage ids
    oos_similarity: float = 0.0  # the nearest out-of-scope bank question's cosine
    in_similarity: float = 0.0  # the nearest answerable bank question's cosine


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
    embedding model lazily (slow), so BM25-only use starts quickly.

    `search` = `candidates` (every signal, computed once) + `rank` (a pure
    function of the candidates and FusionParams) + the rules that put named
    paragraphs and the general transition rule first."""

    def __init__(self, settings: Settings, params: FusionParams | None = None, use_dense: bool = True,
                 direct_lookup: bool = True, priors: bool = True):
        from assistant.index.keyword import ScopedKeywordIndex

        store_path = settings.index_dir / "passages.jsonl"
        if not store_path.exists():
            raise IndexMissing(f"inget index i {settings.index_dir}: kör `assistant ingest` först")
        # One generation for the retriever's lifetime, even if an ingest switches the served one meanwhile.
        settings = replace(settings, index_path=str(settings.index_dir.resolve()))
        self.settings = settings
        state = index_state(settings)
        check_index_whole(state, settings)
        self.params = params or PRODUCT
        self.use_dense = use_dense and (self.params.dense > 0 or self.params.sentence > 0)
        if self.use_dense:
            check_index_model(state, settings)
        try:
            self.store = PassageStore.load(store_path)
        except Exception as exc:  # truncated or garbled: the index must be rebuilt
            raise IndexMissing(damaged_message(settings, "avsnitten går inte att läsa")) from exc
        try:
            self.keywords = ScopedKeywordIndex.load(settings.index_dir, self.store)
        except Exception as exc:
            raise IndexMissing(damaged_message(settings, "nyckelordsindexet går inte att läsa")) from exc
        self.keyword = self.keywords.main  # reads the questions (vocabulary, lemmas)
        self.use_bm25 = self.params.bm25 > 0
        self.direct_lookup = direct_lookup  # a named paragraph first
        self.rerank = priors  # coverage re-ranking belongs to the product configuration
        self.priors = priors  # law hints ("gamla SoL") and the new-law prior
        self._vectors = None
        self._search_vectors = None
        self._bank = None
        self._lock = threading.Lock()
        self._keep_cache: dict[str, set[str]] = {}
        self._scopes: dict = {}
        self._scope_lock = threading.Lock()
        self._query_vectors = lru_cache(maxsize=4096)(self._query_vector)  # 384 floats each
        self._ask_candidates = lru_cache(maxsize=64)(self.candidates)
        self._tokens: dict[str, set[str]] = {}

    @property
    def vectors(self):
        with self._lock:
            if self._vectors is None:
                from assistant.index.vectorstore import VectorStore

                self._vectors = VectorStore(self.settings)
            return self._vectors

    @property
    def search_vectors(self):
        """What questions are searched in: the index's vector snapshot when it
        is current (no chromadb import), else Chroma itself."""
        with self._lock:
            if self._search_vectors is None:
                from assistant.index.embeddings import query_encoder_dir, shared_embedder
                from assistant.index.snapshot import VectorSnapshot

                model = self.settings.embedding_model
                embedder = shared_embedder(model, query_encoder_dir(self.settings.index_dir, model))
                try:
                    self._search_vectors = VectorSnapshot.load(
                        self.settings.index_dir, self.settings.embedding_model, {p.id for p in self.store.passages},
                        embedder) or False
                except Exception as exc:  # a truncated or garbled vector file
                    raise IndexMissing(damaged_message(self.settings, "vektorerna går inte att läsa")) from exc
        return self._search_vectors or self.vectors

    @property
    def bank(self):
        """The question bank's vectors and adapters of this generation (None without a bank)."""
        with self._lock:
            if self._bank is None:
                from assistant.bank.adapter import BankIndex, bank_dir
                from assistant.index.embeddings import canonical_model

                index = BankIndex.load(bank_dir(self.settings.index_dir))
                ok = index is not None and index.meta.get("model") == canonical_model(self.settings.embedding_model)
                self._bank = index if ok else False
        return self._bank or None

    def adapted_vector(self, question: str, sentences: bool = False) -> np.ndarray:
        """The question's vector through the bank's query adapter (the raw one without)."""
        vector = self.query_vector(question)
        bank = self.bank if self.params.adapter else None
        return bank.adapt(vector, sentences) if bank is not None else vector

    def _query_vector(self, question: str) -> np.ndarray:
        return self.search_vectors.embedder.embed_query_array(question)

    def query_vector(self, question: str) -> np.ndarray:
        """The question's embedding (memoised: retrieval and answering share it)."""
        return self._query_vectors(question)

    def _scope(self, filters: Filters, date: str) -> tuple[np.ndarray, set[str], set[str]]:
        """The passages a search may return: (mask over the store, their ids, their labels);
        memoised per filters and date (a bounded cache)."""
        key = (filters, date)
        with self._scope_lock:
            hit = self._scopes.get(key)
        if hit is None:
            keep = self._kept(date)
            accepted = np.array([p.id in keep and filters.accepts(p) for p in self.store.passages], dtype=bool)
            ids = {p.id for p, ok in zip(self.store.passages, accepted) if ok}
            hit = (accepted, ids, {p.label for p, ok in zip(self.store.passages, accepted) if ok})
            with self._scope_lock:
                if len(self._scopes) >= SCOPE_CACHE:
                    self._scopes.pop(next(iter(self._scopes)))
                self._scopes[key] = hit
        return hit

    def _kept(self, date: str) -> set[str]:
        """The passage ids in force on `date` (bounded: a caller may ask for any date)."""
        if date not in self._keep_cache:
            if len(self._keep_cache) >= SCOPE_CACHE:
                self._keep_cache.pop(next(iter(self._keep_cache)))
            self._keep_cache[date] = select_versions(self.store.passages, date)
        return self._keep_cache[date]

    def passage_tokens(self, p: Passage) -> set[str]:
        """The stems of a passage with its headings (memoised per passage)."""
        from assistant.retrieval.evidence import passage_tokens

        if p.id not in self._tokens:
            self._tokens[p.id] = passage_tokens(p, self.keyword)
        return self._tokens[p.id]

    def _prior_exponents(self, p: Passage, hinted_sfs: str, transition: bool) -> tuple:
        """Query-intent priors (general rules, not tuned to single questions), as
        the power each prior of PRIOR_FIELDS is raised to for this passage."""
        transition_e = new_law_e = hint_e = old_transition_e = 0
        transitional = "övergångsbestämmelser" in p.label
        if p.kind == "statute":
            old_law_asked = hinted_sfs == OLD_SFS
            if transition and not (old_law_asked and transitional and p.law_version == "old"):
                # Which law applies across 1 July 2025: the new law's transitional
                # provisions answer it, even when the question names the old law.
                if transitional and p.law_version == "new":
                    transition_e = 1
                elif p.law_version == "old":
                    new_law_e = -1
            elif hinted_sfs and p.label.startswith(hinted_sfs):
                hint_e = 1
            elif not hinted_sfs and p.law_version == "old":
                new_law_e = -1
            if transitional and p.law_version == "old" and not old_law_asked:
                old_transition_e = -1  # the old law's own transitions (2002-2024) rarely answer anything today
        return transition_e, new_law_e, hint_e, old_transition_e

    @staticmethod
    def _exception_applies(rank: int, sp: ScoredPassage, c: Candidates) -> bool:
        """Whether an exception point of the new law's own transitional provisions (p. 3-8)
        concerns the matter asked about: ranked first, and near the bank's questions about
        it or sharing its words. A case no exception covers (an ongoing investigation)
        gets the general rule alone. An amending act's point asked about passes."""
        if _amending_act(sp.passage.label):
            return True
        raw = c.raw.get(sp.passage.id, {})
        return (rank < EXCEPTION_DEPTH
                and (raw.get("bank", 0.0) >= EXCEPTION_BANK or raw.get("bm25", 0.0) >= EXCEPTION_BM25))

    def _without_unasked_amendments(self, question: str, fused: list[ScoredPassage]) -> list[ScoredPassage]:
        """A question about which law applies across 1 July 2025 is not answered by an
        amending act's own transitional points (SFS 2025:1299, 2025:1501: "ärenden som har
        avslutats före ikraftträdandet" is about 15 January 2026), unless it asks about
        that amendment: its number or a date from 2026 on."""
        if not asks_about_transition(question) or asks_about_amendment(question):
            return fused
        return [sp for sp in fused if not _amending_act(sp.passage.label)]

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

    def candidates(self, question: str, filters: Filters | None = None, date: str | None = None,
                   depth: int = 50) -> Candidates:
        """Every signal for the passages any ranking proposes, computed once."""
        from assistant.retrieval.evidence import QuestionTerms, definition_coverage

        date = date or self.settings.date
        filters = filters or Filters()
        accepted, accepted_ids, searched = self._scope(filters, date)
        ranks: dict[str, dict[str, int]] = {}
        raw: dict[str, dict[str, float]] = {}
        if self.use_bm25:
            for rank, (i, score) in enumerate(self.keywords.search(question, depth, accepted), 1):
                pid = self.store.passages[i].id
                ranks.setdefault(pid, {})["bm25"] = rank
                raw.setdefault(pid, {})["bm25"] = score
        sentence_sims: dict[str, dict[int, float]] = {}
        oos_similarity = in_similarity = 0.0
        transition_probs: dict[str, float] = {}
        if self.use_dense:
            vector = self.query_vector(question)
            adapted = self.adapted_vector(question)
            vectors = self.search_vectors
            # Ranked with the adapted vector; the cosine kept is the model's own (abstention reads it).
            for rank, (pid, _sim) in enumerate(vectors.query_vector(adapted, DEPTH_DENSE, accepted_ids), 1):
                ranks.setdefault(pid, {})["dense"] = rank
                raw.setdefault(pid, {})["dense"] = vectors.similarity(pid, vector)
            if self.params.sentence > 0:
                for _sid, meta, sim in vectors.query_sentences(vector, DEPTH_SENTENCES, accepted_ids):
                    sentence_sims.setdefault(meta["passage_id"], {})[int(meta["start"])] = sim
                best = sorted(sentence_sims, key=lambda pid: -max(sentence_sims[pid].values()))
                for rank, pid in enumerate(best, 1):
                    ranks.setdefault(pid, {})["sentence"] = rank
                    raw.setdefault(pid, {})["sentence"] = max(sentence_sims[pid].values())
            if self.bank is not None:
                # Votes down to a floor; the threshold is applied when scoring (labels rank by their vote,
                # so the ranks above any threshold do not depend on it).
                votes, oos_similarity, in_similarity = self.bank.label_votes(vector, BANK_VOTE_FLOOR, searched)
                if self.priors and filters.searches_law:
                    transition_probs = self.bank.transition_probs(vector)
                if not filters.searches_law and "article" not in filters.kinds:
                    oos_similarity = 0.0  # the bank's out-of-scope questions are out of the law's scope
                self._label_column(ranks, raw, "bank", votes, accepted_ids)  # strongest vote first
                probs = self.bank.label_probs(vector)
                ranked = [label for label, prob in probs.items() if label and label in searched
                          and prob >= CLASSIFIER_CANDIDATE_FLOOR][:CLASSIFIER_DEPTH]
                self._label_column(ranks, raw, "classifier", {label: probs[label] for label in ranked}, accepted_ids)
        passages = [p for pid in ranks if (p := self.store.get(pid)) is not None]
        n = len(passages)

        def column(name: str) -> np.ndarray:
            return np.array([ranks[p.id].get(name, 0) for p in passages], dtype=float).reshape(n)

        coverage = np.zeros(n)
        definition = np.zeros(n)
        if self.rerank and passages:
            terms = QuestionTerms(question, self.keyword)
            coverage = np.array([terms.coverage(self.passage_tokens(p)) for p in passages])
            if asks_for_definition(question):
                definition = np.array([definition_coverage(terms, p, self.keyword) for p in passages])
        hint = law_hint(question) if self.priors else None
        hinted_sfs = {"old": OLD_SFS, "new": NEW_SFS}.get(hint or "", "")
        # About which law applies across 1 July 2025: in its words, or read so by the bank's classifier.
        transition = self.priors and (asks_about_transition(question)
                                      or transitional_share(transition_probs) >= TRANSITION.detect)
        documents = self.priors and asks_about_documents(question)
        exponents = np.zeros((n, len(PRIOR_FIELDS) + 1))
        if self.priors:
            for i, p in enumerate(passages):
                exponents[i] = self._prior_exponents(p, hinted_sfs, transition)
        return Candidates(
            passages, column("bm25"), column("dense"), column("sentence"), coverage, definition,
            hinted_sfs, transition, documents, exponents, raw, column("bank"), oos_similarity, in_similarity,
            np.array([raw[p.id].get("bank", 0.0) for p in passages]).reshape(n), transition_probs,
            column("classifier"), np.array([raw[p.id].get("classifier", 0.0) for p in passages]).reshape(n),
        )

    def _label_column(self, ranks: dict, raw: dict, name: str, ordered: dict[str, float], accepted_ids) -> None:
        """A signal that ranks labels (in `ordered`'s order, each with its value) as a column
        of the candidates: every accepted passage of each label gets its rank and value."""
        for rank, label in enumerate(ordered, 1):
            for p in self.store.with_label(label):
                if p.id in accepted_ids:
                    ranks.setdefault(p.id, {})[name] = rank
                    raw.setdefault(p.id, {})[name] = ordered[label]

    def scores(self, c: Candidates, params: FusionParams | None = None) -> np.ndarray:
        """Weighted reciprocal rank fusion times the priors, normalised, plus the
        weighted coverage (and definition) re-rank."""
        params = params or self.params

        def rrf(r: np.ndarray) -> np.ndarray:
            return np.where(r > 0, 1.0 / (params.rrf_k + r), 0.0)

        fused = params.bm25 * rrf(c.bm25_rank) + params.dense * rrf(c.dense_rank) + params.sentence * rrf(c.sentence_rank)
        if c.bank_rank is not None and params.bank > 0:
            voted = c.bank_similarity >= params.bank_threshold
            fused = fused + params.bank * np.where(voted, rrf(c.bank_rank), 0.0)
        if c.classifier_rank is not None and params.classifier > 0:
            confident = c.classifier_prob >= params.classifier_floor
            fused = fused + params.classifier * np.where(confident, rrf(c.classifier_rank), 0.0)
        fused = fused * np.exp(c.prior_exponents @ prior_factors(params))
        score = fused / (fused.max() or 1.0)
        if self.rerank:
            score = score + params.coverage * c.coverage + params.definition * c.definition
        if c.classifier_rank is not None and params.classifier <= 0:
            # a passage only the classifier proposed is no candidate when it does not count
            others = c.bm25_rank + c.dense_rank + c.sentence_rank + (c.bank_rank if c.bank_rank is not None else 0)
            score = np.where((c.classifier_rank > 0) & (others == 0), -1.0, score)
        return score

    def rank(self, c: Candidates, params: FusionParams | None = None, limit: int | None = None) -> list[ScoredPassage]:
        """The candidates in order of `scores` (the first `limit`)."""
        if not c.passages:
            return []
        score = self.scores(c, params)
        order = np.argsort(-score, kind="stable")[:limit]
        out = []
        for i in order:
            columns = (("bm25", c.bm25_rank), ("dense", c.dense_rank), ("sentence", c.sentence_rank),
                       ("bank", c.bank_rank if c.bank_rank is not None else np.zeros(len(c.passages))),
                       ("classifier", c.classifier_rank if c.classifier_rank is not None
                        else np.zeros(len(c.passages))))
            sources: dict[str, float] = {name: float(r[i]) for name, r in columns if r[i]}
            if self.rerank:
                sources["coverage"] = float(c.coverage[i])  # reused by the answerer
            out.append(ScoredPassage(c.passages[i], float(score[i]), sources))
        return out

    def search(self, question: str, k: int = 8, filters: Filters | None = None,
               date: str | None = None, depth: int = 50, params: FusionParams | None = None,
               candidates: Candidates | None = None) -> RetrievalResult:
        date = date or self.settings.date
        filters = filters or Filters()
        timings: dict[str, float] = {}
        t = time.perf_counter()
        direct, direct_labels, unknown = [], [], []
        if self.direct_lookup and filters.searches_law:  # a named paragraph is the law's
            direct, direct_labels, unknown = self.direct_references(question, date)
            direct = [p for p in direct if filters.accepts(p)]
        c = candidates or self.candidates(question, filters, date, depth)
        if params is None and filters.kinds and set(filters.kinds) <= set(ONLY_WHEN_ASKED):
            params = replace(self.params, **INQUIRY_FUSION)
        timings["candidates_ms"] = (time.perf_counter() - t) * 1000
        fused = self.rank(c, params, limit=max(k, 10) + 20)
        fused = self._without_unasked_amendments(question, fused)
        top = [ScoredPassage(p, 1.0, {"direct": 1}) for p in direct]
        if c.transition and not direct and (c.hinted_sfs != OLD_SFS or names_both_laws(question)) \
                and not (c.documents and asks_about_documents(question, legal_terms=True)):
            # A question about which law applies: the specific transitional points
            # retrieved for it first, then the general rule.
            params = params or self.params
            if c.transition_probs:  # learned from the bank's questions on each point
                label = governing_point(c.transition_probs, TRANSITION, asks_about_amendment(question))
                specific = [ScoredPassage(p, 1.0, {}) for p in (self.lookup(label, date) if label else [])
                            if filters.accepts(p)]
            else:
                specific = [sp for rank, sp in enumerate(fused[:params.transition_depth])
                            if "övergångsbestämmelser 2025:" in sp.passage.label
                            and sp.passage.label not in TRANSITION_CORE
                            and self._exception_applies(rank, sp, c)][:TRANSITION_POINTS]
            top += [ScoredPassage(sp.passage, sp.score, {**sp.sources, "transition": 1}) for sp in specific]
            direct_labels += [sp.passage.label for sp in specific]  # quoted first, before the general rule
            for label in TRANSITION_CORE:
                for p in self.lookup(label, date):
                    if filters.accepts(p) and p.id not in {sp.passage.id for sp in top}:
                        top.append(ScoredPassage(p, 1.0, {"transition": 1}))
                        direct_labels.append(label)
        seen = {sp.passage.id for sp in top}
        top += [sp for sp in fused if sp.passage.id not in seen]
        asks = self._asks(question, filters, date, depth, params, top) if self.priors and not direct else {}
        for sp in top:
            sp.sources.update({f"{name}_score": v for name, v in c.raw.get(sp.passage.id, {}).items()})
        return RetrievalResult(top[: max(k, len(direct))], direct_labels, unknown, timings, asks,
                               c.oos_similarity, c.in_similarity)

    def _asks(self, question: str, filters: Filters, date: str, depth: int, params,
              top: list[ScoredPassage]) -> dict[str, list[str]]:
        """A message that asks several things: each ask is retrieved alone, and
        its best passage moves up to just after the message's own best one, so
        every ask can be answered from the top passages."""
        asks = split_asks(question)
        if not asks:
            return {}
        out: dict[str, list[str]] = {}
        for ask in asks:
            ranked = self.rank(self._ask_candidates(ask, filters, date, depth), params, limit=6)
            ranked = self._without_unasked_amendments(question, ranked)[:3]  # the message's dates count
            out[ask] = [sp.passage.id for sp in ranked]
        firsts = [ids[0] for ids in out.values() if ids]
        head = top[:1]
        moved = [sp for pid in firsts for sp in top[1:] if sp.passage.id == pid]
        by_id = {sp.passage.id: sp for sp in moved}
        missing = [pid for pid in firsts if pid not in by_id and pid != (head[0].passage.id if head else None)]
        extra = [ScoredPassage(p, 0.0, {"ask": 1}) for pid in dict.fromkeys(missing) if (p := self.store.get(pid))]
        rest = [sp for sp in top[1:] if sp.passage.id not in by_id]
        top[:] = head + list({sp.passage.id: sp for sp in moved}.values()) + extra + rest
        return out

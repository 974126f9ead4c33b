"""What is learned from the question bank, built by ingest into the index generation.

- The bank's question vectors (the model's own query vectors, one per bank
  question): the neighbours a new question is compared with.
- A linear query adapter: W = argmin ||X W - Y||² + λ||W - I||², ridge toward
  the identity, where X are the bank questions' vectors and Y the mean vector
  of the passages that answer them. A question is searched with
  normalise(q W) against the unchanged passage vectors.
- A second adapter with the answering sentences as targets, for choosing the
  sentence that is quoted first.
- A linear classifier (multinomial logistic regression on the question vectors)
  of which transitional point governs a question: each of the new law's and its
  amending acts' specific points, the general rule alone, or none of them
  (assistant/retrieval/transition.py reads its probabilities).

Stored in `<generation>/bank/` with the bank's hash, the model and the passage
vectors' hash; rebuilt only when one of them changes (`BankIndex.is_current`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.bank.data import Bank, BankQuestion, load_bank

BANK_INDEX_VERSION = "3"
# Chosen by leaving one eval file (and one bank writer) out: `python -m evals.bank_tune`.
LAMBDA = 0.5  # ridge toward the identity
SENTENCE_LAMBDA = 0.5
# A labelled question of a development eval file weighs this many bank questions: they are fewer,
# written by other writers in real askers' wording, and the adapter learns most from them.
EVAL_WEIGHT = 10.0
# A summed vote beat the best neighbour's cosine alone, leaving one eval file out: hit@1 0.849 -> 0.865
# pooled (0.05: 0.856); evals/report/bank-votes.txt.
VOTE_TEMPERATURE = 0.02
# The transitional classifier's inverse regularisation, chosen by cross-validation with the
# thresholds of TransitionParams (evals/transitional_tune.py, evals/report/transitional.txt).
TRANSITION_C = 100.0
LABEL_C = 100.0  # the label classifier's inverse regularisation (chosen by evals.bank_tune --classifier)
MIN_TRANSITIONAL = 20  # bank questions on the transitional provisions needed to learn from
ROUTE_NEIGHBOURS = 10  # neighbours that decide whether a question reads like one about the inquiry
SIMILAR_FLOOR = 0.84  # "Liknande frågor": bank questions at least this near the question
MIN_KNOWN_SHARE = 0.5
UNCHANGED = "oförändrad"  # the bank is built only for an index that holds at least this share of its labels


def fit_adapter(x: np.ndarray, y: np.ndarray, lam: float, weights: np.ndarray | None = None) -> np.ndarray:
    """Ridge regression toward the identity, each question weighted:
    (XᵀDX + λI)⁻¹ (XᵀDY + λI)."""
    d = x.shape[1]
    eye = np.eye(d, dtype=np.float64)
    xw = x.astype(np.float64) * (weights[:, None] if weights is not None else 1.0)
    a = xw.T @ x.astype(np.float64) + lam * eye
    b = xw.T @ y.astype(np.float64) + lam * eye
    return np.linalg.solve(a, b).astype(np.float32)


def fit_contrastive(x: np.ndarray, targets: np.ndarray, classes: np.ndarray, mu: float, scale: float = 20.0,
                    steps: int = 150, lr: float = 0.01, seed: int = 0) -> np.ndarray:
    """A linear adapter trained to rank: softmax over every label's mean passage
    vector (`classes`, normalised), cross-entropy against each question's labels
    (`targets`, rows summing to 1), plus mu·||W - I||². Full-batch Adam, numpy."""
    d = x.shape[1]
    w = np.eye(d, dtype=np.float64)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    x64 = x.astype(np.float64)
    c64 = classes.astype(np.float64)
    t64 = targets.astype(np.float64)
    n = len(x)
    for step in range(1, steps + 1):
        z = x64 @ w
        norm = np.linalg.norm(z, axis=1, keepdims=True)
        zn = z / norm
        logits = scale * zn @ c64.T
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(1, keepdims=True)
        dzn = scale * (p - t64) @ c64 / n
        dz = (dzn - zn * (dzn * zn).sum(1, keepdims=True)) / norm
        grad = x64.T @ dz + 2 * mu * (w - np.eye(d))
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        w -= lr * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return w.astype(np.float32)


def label_classes(labels: list[tuple[str, ...]], passage_ids: list[str], passage_vectors: np.ndarray,
                  label_of: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """-> (class vectors: every label's normalised mean passage vector, targets:
    each question's distribution over them; a row of zeros without a label)."""
    by_label: dict[str, list[int]] = {}
    for i, pid in enumerate(passage_ids):
        if pid in label_of:
            by_label.setdefault(label_of[pid], []).append(i)
    names = sorted(by_label)
    index = {name: i for i, name in enumerate(names)}
    classes = np.stack([normalise(passage_vectors[by_label[n]].mean(0)) for n in names])
    targets = np.zeros((len(labels), len(names)), dtype=np.float32)
    for i, ls in enumerate(labels):
        known = [index[label] for label in ls if label in index]
        for j in known:
            targets[i, j] = 1.0 / len(known)
    return classes, targets


def normalise(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(norm == 0, 1.0, norm)


def label_targets(labels: list[tuple[str, ...]], passage_ids: list[str], passage_vectors: np.ndarray,
                  label_of: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Each question's target: the normalised mean vector of its labels' passages
    (every version and part). -> (targets, mask of questions that have one)."""
    by_label: dict[str, list[int]] = {}
    for i, pid in enumerate(passage_ids):
        if pid in label_of:
            by_label.setdefault(label_of[pid], []).append(i)
    means = {label: normalise(passage_vectors[rows].mean(0)) for label, rows in by_label.items()}
    d = passage_vectors.shape[1]
    out = np.zeros((len(labels), d), dtype=np.float32)
    ok = np.zeros(len(labels), dtype=bool)
    for i, ls in enumerate(labels):
        vs = [means[label] for label in ls if label in means]
        if vs:
            out[i] = normalise(np.mean(vs, 0))
            ok[i] = True
    return out, ok


def sentence_targets(questions: list[BankQuestion], sentence_keys: dict[tuple[str, str], int],
                     sentence_vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each question's second target: the mean vector of the indexed sentences that
    its answer sentences overlap (matched by label and text)."""
    d = sentence_vectors.shape[1] if len(sentence_vectors) else 0
    out = np.zeros((len(questions), d), dtype=np.float32)
    ok = np.zeros(len(questions), dtype=bool)
    by_label: dict[str, list[tuple[str, int]]] = {}
    for (label, text), row in sentence_keys.items():
        by_label.setdefault(label, []).append((text, row))
    for i, q in enumerate(questions):
        rows = [row for label in q.labels for a in q.answers
                for text, row in by_label.get(label, ()) if a in text or text in a]
        if rows:
            out[i] = normalise(sentence_vectors[sorted(set(rows))].mean(0))
            ok[i] = True
    return out, ok


@dataclass
class BankIndex:
    """The bank as the retriever uses it: question vectors, labels, adapters."""

    questions: list[str]
    labels: list[tuple[str, ...]]
    writers: list[str]
    vectors: np.ndarray  # (n, d) the model's query vectors, normalised
    adapter: np.ndarray | None = None  # (d, d) for passage search
    sentence_adapter: np.ndarray | None = None  # (d, d) for the sentence that answers
    meta: dict = field(default_factory=dict)
    answers: list[tuple[str, ...]] = field(default_factory=list)
    transition_classes: list[str] = field(default_factory=list)
    transition_weights: np.ndarray | None = None  # (d + 1, classes): the classifier, intercept last
    classifier_labels: list[str] = field(default_factory=list)  # the label classifier's classes ("" = out of scope)
    classifier_weights: np.ndarray | None = None  # (d + 1, classes), intercept last

    def records(self) -> list[BankQuestion]:
        answers = self.answers or [()] * len(self.questions)
        return [BankQuestion(q, ls, a, w, out_of_scope=not ls)
                for q, ls, a, w in zip(self.questions, self.labels, answers, self.writers)]

    def without(self, writer: str, snapshot, store) -> BankIndex:
        """The index the bank would have without one writer's (or eval file's) questions,
        refitted: what a figure on that writer's own questions must be measured with."""
        keep = [i for i, w in enumerate(self.writers) if w != writer]
        records = self.records()
        index = train([records[i] for i in keep], self.vectors[keep], snapshot, store,
                      self.meta.get("lambda", LAMBDA), self.meta.get("sentence_lambda", SENTENCE_LAMBDA),
                      self.meta.get("eval_weight", EVAL_WEIGHT), self.meta.get("transition_c", TRANSITION_C),
                      self.meta.get("label_c", LABEL_C))
        index.meta = self.meta | index.meta | {"held_out": writer}
        return index

    def adapt(self, vector: np.ndarray, sentences: bool = False) -> np.ndarray:
        w = self.sentence_adapter if sentences else self.adapter
        if w is None:
            return vector
        return normalise(np.asarray(vector, dtype=np.float32) @ w)

    def transition_probs(self, vector: np.ndarray) -> dict[str, float]:
        """The classifier's probability of each transitional class for a question's
        (model) vector; {} when the bank had too few transitional questions."""
        if self.transition_weights is None:
            return {}
        return dict(zip(self.transition_classes, softmax(vector, self.transition_weights).tolist()))

    def label_probs(self, vector: np.ndarray) -> dict[str, float]:
        """The label classifier's probability of each label (and of "", out of scope) for a
        question's (model) vector, most probable first; {} without a classifier."""
        if self.classifier_weights is None:
            return {}
        p = softmax(vector, self.classifier_weights)
        return {self.classifier_labels[i]: float(p[i]) for i in np.argsort(-p)}

    def classifier_share(self, vector: np.ndarray, prefix: str) -> float:
        """The label classifier's probability that the question is about a label
        starting with `prefix` ("SOU "), whichever of them."""
        return sum(prob for label, prob in self.label_probs(vector).items() if label.startswith(prefix))

    def neighbours(self, vector: np.ndarray) -> np.ndarray:
        """Cosine of the question with every bank question."""
        return self.vectors @ np.asarray(vector, dtype=np.float32) if len(self.vectors) else np.zeros(0)

    def label_votes(self, vector: np.ndarray, threshold: float,
                    searched: set[str] | None = None) -> tuple[dict[str, float], float, float]:
        """The labels the nearest bank questions vote for, strongest first: a label's
        vote is the sum of exp((cosine - 1) / VOTE_TEMPERATURE) over its neighbours
        among the nearest 50, so several near questions of one paragraph outweigh a
        single one. -> ({label: its best neighbour's cosine, ≥ threshold}, best
        out-of-scope cosine, best in-scope cosine). With `searched`, questions about
        other labels (a source the question is not searched in) do not vote; a question
        about either law still counts as in scope."""
        sims = self.neighbours(vector)
        best: dict[str, float] = {}
        strength: dict[str, float] = {}
        best_oos = best_in = 0.0
        top = np.argpartition(-sims, 50)[:50] if len(sims) > 50 else np.arange(len(sims))
        for i in top[np.argsort(-sims[top])]:
            s = float(sims[i])
            if not self.labels[i]:
                best_oos = max(best_oos, s)
                continue
            labels = [x for x in self.labels[i] if searched is None or x in searched]
            if labels or any(x.startswith("SFS ") for x in self.labels[i]):
                # a question about either law is in scope, whichever law the filter searches
                best_in = max(best_in, s)
            if not labels:
                continue
            for label in labels:
                best[label] = max(best.get(label, 0.0), s)
                strength[label] = strength.get(label, 0.0) + float(np.exp((s - 1.0) / VOTE_TEMPERATURE))
        order = sorted(strength, key=lambda label: -strength[label])
        return {label: best[label] for label in order if best[label] >= threshold}, best_oos, best_in

    def share(self, vector: np.ndarray, prefix: str, k: int = ROUTE_NEIGHBOURS) -> float:
        """The share of the k nearest answerable bank questions' vote (weighted as in
        label_votes) that goes to labels starting with `prefix` ("SOU "): how much the
        question reads like the bank's questions about that source."""
        sims = self.neighbours(vector)
        answerable = np.array([bool(ls) for ls in self.labels], dtype=bool)
        if not answerable.any():
            return 0.0
        sims = np.where(answerable, sims, -1.0)
        top = np.argsort(-sims)[:k]
        weights = np.exp((sims[top] - 1.0) / VOTE_TEMPERATURE)
        hits = np.array([any(x.startswith(prefix) for x in self.labels[i]) for i in top])
        return float(weights[hits].sum() / weights.sum()) if weights.sum() > 0 else 0.0

    def similar(self, vector: np.ndarray, exclude_labels: set[str], k: int = 3,
                floor: float = SIMILAR_FLOOR) -> list[tuple[str, str, float]]:
        """Up to k bank questions near the question, each about another label
        (one per label): (question, label, cosine). Eval files' questions are not shown."""
        sims = self.neighbours(vector)
        out: list[tuple[str, str, float]] = []
        seen = set(exclude_labels)
        for i in np.argsort(-sims)[:200]:
            if sims[i] < floor:
                break
            if not self.labels[i] or self.writers[i].startswith("evals:") or self.labels[i][0] in seen:
                continue
            seen.add(self.labels[i][0])
            out.append((self.questions[i], self.labels[i][0], float(sims[i])))
            if len(out) == k:
                break
        return out

    # -- storage -------------------------------------------------------------
    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / "vectors.npy", self.vectors)
        for name, w in (("adapter.npy", self.adapter), ("sentence_adapter.npy", self.sentence_adapter),
                        ("transition.npy", self.transition_weights), ("labels.npy", self.classifier_weights)):
            if w is not None:
                np.save(directory / name, w)
            else:
                (directory / name).unlink(missing_ok=True)
        with open(directory / "questions.jsonl", "w", encoding="utf-8") as fh:
            answers = self.answers or [()] * len(self.questions)
            for q, ls, a, w in zip(self.questions, self.labels, answers, self.writers):
                fh.write(json.dumps({"question": q, "labels": list(ls), "answers": list(a), "writer": w},
                                    ensure_ascii=False) + "\n")
        (directory / "transition.json").write_text(json.dumps(self.transition_classes, ensure_ascii=False),
                                                   encoding="utf-8")
        (directory / "labels.json").write_text(json.dumps(self.classifier_labels, ensure_ascii=False), encoding="utf-8")
        (directory / "meta.json").write_text(json.dumps(self.meta, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> BankIndex | None:
        try:
            meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
            rows = [json.loads(x) for x in (directory / "questions.jsonl").read_text(encoding="utf-8").splitlines() if x]
            vectors = np.load(directory / "vectors.npy")
            adapter = np.load(directory / "adapter.npy") if (directory / "adapter.npy").exists() else None
            sentence = (np.load(directory / "sentence_adapter.npy")
                        if (directory / "sentence_adapter.npy").exists() else None)
            transition = np.load(directory / "transition.npy") if (directory / "transition.npy").exists() else None
            classes = json.loads((directory / "transition.json").read_text(encoding="utf-8")) if transition is not None \
                else []
            label_w = np.load(directory / "labels.npy") if (directory / "labels.npy").exists() else None
            label_names = json.loads((directory / "labels.json").read_text(encoding="utf-8")) \
                if label_w is not None else []
        except (OSError, ValueError, KeyError):
            return None
        if len(rows) != len(vectors) or (transition is not None and transition.shape[1] != len(classes)) \
                or (label_w is not None and label_w.shape[1] != len(label_names)):
            return None
        return cls([r["question"] for r in rows], [tuple(r["labels"]) for r in rows], [r["writer"] for r in rows],
                   vectors, adapter, sentence, meta, [tuple(r.get("answers", ())) for r in rows], classes, transition,
                   label_names, label_w)


def softmax(vector: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """A fitted multinomial classifier's probabilities for one vector (weights (d + 1,
    classes), the intercept last: see _weights)."""
    z = np.asarray(vector, dtype=np.float32) @ weights[:-1] + weights[-1]
    e = np.exp(z - z.max())
    return e / e.sum()


def _weights(model) -> np.ndarray:
    """A fitted LogisticRegression as one (d + 1, classes) matrix, the intercept last."""
    return np.vstack([model.coef_.T, model.intercept_[None, :]]).astype(np.float32)


def bank_dir(index_dir: Path) -> Path:
    return Path(index_dir) / "bank"


def passages_digest(passage_ids: list[str], passage_vectors: np.ndarray) -> str:
    h = hashlib.sha256("\n".join(passage_ids).encode())
    h.update(np.ascontiguousarray(passage_vectors[:, :8]).tobytes())
    return h.hexdigest()[:16]


def embed_questions(embedder, texts: list[str]) -> np.ndarray:
    """The model's query vectors of many texts, in batches when the backend takes them."""
    backend = embedder.backend
    if hasattr(backend, "queries"):
        return backend.queries(texts)
    return np.stack([embedder.embed_query_array(t) for t in texts]) if texts else np.zeros((0, 0), np.float32)


def build(index_dir: Path, model_name: str, embedder, snapshot, store,
          bank: Bank | None = None, lam: float = LAMBDA, sentence_lam: float = SENTENCE_LAMBDA,
          progress: bool = False) -> tuple[BankIndex | None, str]:
    """Build (or keep) the bank index of a generation. -> (index, what was done)."""
    from assistant.index.embeddings import canonical_model
    from assistant.privacy import mask_personnummer

    bank = bank if bank is not None else load_bank()
    directory = bank_dir(index_dir)
    known = {p.label for p in store.passages}
    bank_labels = {label for q in bank.questions for label in q.labels}
    if not bank.questions or len(bank_labels & known) < MIN_KNOWN_SHARE * len(bank_labels):
        # No bank, or one about other sources (a test corpus): no bank index in this generation.
        if not directory.exists():
            return None, UNCHANGED
        import shutil

        shutil.rmtree(directory)
        return None, "borttagen (ingen frågebank för källorna i det här indexet)"
    model = canonical_model(model_name)
    pdigest = passages_digest(snapshot.passage_ids, snapshot.passage_vectors)
    wanted = {"version": BANK_INDEX_VERSION, "bank": bank.digest, "model": model, "passages": pdigest,
              "lambda": lam, "sentence_lambda": sentence_lam, "eval_weight": EVAL_WEIGHT,
              "transition_c": TRANSITION_C, "label_c": LABEL_C}
    existing = BankIndex.load(directory)
    if existing is not None and all(existing.meta.get(k) == v for k, v in wanted.items()):
        return existing, UNCHANGED
    questions = [mask_personnummer(q.question)[0] for q in bank.questions]
    if existing is not None and existing.meta.get("bank") == bank.digest and existing.meta.get("model") == model:
        vectors = existing.vectors  # only the passages changed: the questions need not be embedded again
    else:
        vectors = embed_questions_progress(embedder, questions, progress)
    index = train(bank.questions, vectors, snapshot, store, lam, sentence_lam, transition_c=TRANSITION_C,
                  label_c=LABEL_C)
    index.questions = questions
    index.meta = wanted | index.meta
    index.save(directory)
    return index, f"byggd: {len(questions)} frågor, adapter tränad på {index.meta['answerable']}"


def question_weights(questions: list[BankQuestion], eval_weight: float = EVAL_WEIGHT) -> np.ndarray:
    return np.array([eval_weight if q.writer.startswith("evals:") else 1.0 for q in questions])


def fit_transition(vectors: np.ndarray, labels: list[tuple[str, ...]],
                   c: float = TRANSITION_C) -> tuple[list[str], np.ndarray | None]:
    """Which transitional point governs a question, learned from the bank: a multinomial
    logistic regression on the question vectors over transition_class. -> (classes,
    weights (d + 1, classes) with the intercept last), or ([], None) with too few
    transitional questions to learn from."""
    from sklearn.linear_model import LogisticRegression

    from assistant.retrieval.transition import OTHER, transition_class

    y = np.array([transition_class(ls) for ls in labels])
    if len(vectors) < 50 or len(set(y) - {OTHER}) < 2 or (y != OTHER).sum() < MIN_TRANSITIONAL:
        return [], None
    model = LogisticRegression(C=c, max_iter=3000).fit(vectors, y)
    return [str(x) for x in model.classes_], _weights(model)


def fit_labels(vectors: np.ndarray, labels: list[tuple[str, ...]], weights: np.ndarray,
               c: float = LABEL_C) -> tuple[list[str], np.ndarray | None]:
    """Which passage a question asks for, learned from the bank: a multinomial logistic
    regression on the question vectors over the labels, out of scope ("") a class of its
    own; a question with two labels is a sample of each. -> (classes, weights (d + 1,
    classes) with the intercept last), or ([], None) with too few questions."""
    from sklearn.linear_model import LogisticRegression

    rows = [(i, label) for i, ls in enumerate(labels) for label in (ls or ("",))]
    if len(rows) < 50 or len({label for _, label in rows}) < 2:
        return [], None
    index = np.array([i for i, _ in rows])
    y = np.array([label for _, label in rows])
    model = LogisticRegression(C=c, max_iter=300, tol=1e-3).fit(vectors[index], y, sample_weight=weights[index])
    return [str(x) for x in model.classes_], _weights(model)


def train(questions: list[BankQuestion], vectors: np.ndarray, snapshot, store, lam: float = LAMBDA,
          sentence_lam: float = SENTENCE_LAMBDA, eval_weight: float = EVAL_WEIGHT,
          transition_c: float = TRANSITION_C, label_c: float = LABEL_C) -> BankIndex:
    """The bank index of some questions (their vectors given): both adapters, the
    transitional classifier and the label classifier fitted."""
    label_of = {p.id: p.label for p in store.passages}
    labels = [q.labels for q in questions]
    weights = question_weights(questions, eval_weight)
    y, ok = label_targets(labels, snapshot.passage_ids, snapshot.passage_vectors, label_of)
    adapter = fit_adapter(vectors[ok], y[ok], lam, weights[ok]) if ok.sum() >= 50 else None
    keys = {(label_of[m["passage_id"]], store.get(m["passage_id"]).text[m["start"]:m["end"]]): i
            for i, m in enumerate(snapshot.sentence_meta) if m["passage_id"] in label_of}
    sentence_adapter = None
    if adapter is not None and keys:
        ys, oks = sentence_targets(questions, keys, snapshot.sentence_vectors_matrix)
        if oks.sum() >= 50:
            sentence_adapter = fit_adapter(vectors[oks], ys[oks], sentence_lam, weights[oks])
    meta = {"questions": len(questions), "answerable": int(ok.sum()),
            "out_of_scope": int(sum(1 for q in questions if q.out_of_scope)),
            "writers": sorted({q.writer for q in questions}), "labels": len({x for ls in labels for x in ls})}
    classes, transition = fit_transition(vectors, labels, transition_c)
    label_names, label_w = fit_labels(vectors, labels, weights, label_c)
    return BankIndex([q.question for q in questions], labels, [q.writer for q in questions], vectors, adapter,
                     sentence_adapter, meta, [q.answers for q in questions], classes, transition,
                     label_names, label_w)


def embed_questions_progress(embedder, questions: list[str], progress: bool) -> np.ndarray:
    from concurrent.futures import ThreadPoolExecutor

    from tqdm import tqdm

    batch = 64
    chunks = [questions[i:i + batch] for i in range(0, len(questions), batch)]
    out = []
    # Two at a time: the model's engine releases the GIL, and the backend keeps one context per core.
    with tqdm(total=len(questions), desc="Bäddar in frågebanken", unit="fråga", disable=not progress) as bar, \
            ThreadPoolExecutor(max_workers=2) as pool:
        for chunk, vectors in zip(chunks, pool.map(lambda c: embed_questions(embedder, c), chunks)):
            out.append(vectors)
            bar.update(len(chunk))
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 384), np.float32)

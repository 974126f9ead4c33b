"""LLM answerers behind LangChain chat models: Ollama, any OpenAI-compatible
endpoint, or a local Hugging Face model path. Every generated sentence passes
the verifier; an answer with nothing verified, a missing package or an
unreachable endpoint gives the extractive answer with a clear note instead."""

from __future__ import annotations

import re
import time

from assistant.answering.extractive import ExtractiveAnswerer, validate_question
from assistant.answering.prompt import CONDENSE, as_plain_prompt, messages
from assistant.answering.verifier import Verifier
from assistant.config import Settings
from assistant.parsing.text import sentence_spans
from assistant.retrieval.hybrid import Filters
from assistant.types import Answer, Citation

BACKENDS = ("extractive", "ollama", "openai", "huggingface")
PASSAGES_TO_MODEL = 6


class LLMUnavailable(RuntimeError):
    """The configured model cannot be used; the message is for the user (Swedish)."""


def make_chat_model(settings: Settings):
    """The configured LangChain model; LLMUnavailable with a clear message otherwise."""
    backend = settings.answerer
    try:
        if backend == "openai":
            from langchain_openai import ChatOpenAI

            if not settings.llm_base_url and not settings.llm_api_key:
                raise LLMUnavailable("ange ASSISTANT_LLM_BASE_URL och/eller ASSISTANT_LLM_API_KEY för en OpenAI-kompatibel tjänst")
            return ChatOpenAI(model=settings.llm_model or "gpt-4o-mini", base_url=settings.llm_base_url or None,
                              api_key=settings.llm_api_key or "ingen-nyckel", timeout=settings.llm_timeout,
                              max_retries=0, temperature=0, max_tokens=settings.llm_max_tokens)
        if backend == "ollama":
            from langchain_ollama import ChatOllama

            return ChatOllama(model=settings.llm_model or "llama3.1", base_url=settings.llm_base_url or None,
                              temperature=0, num_predict=settings.llm_max_tokens,
                              client_kwargs={"timeout": settings.llm_timeout})
        if backend == "huggingface":
            from langchain_huggingface import HuggingFacePipeline

            if not settings.llm_model:
                raise LLMUnavailable("ange sökvägen till en lokal Hugging Face-modell i ASSISTANT_LLM_MODEL")
            return HuggingFacePipeline.from_model_id(
                model_id=settings.llm_model, task="text-generation", device=-1,
                pipeline_kwargs={"max_new_tokens": settings.llm_max_tokens, "do_sample": False, "return_full_text": False},
            )
    except ImportError as exc:
        raise LLMUnavailable(f"paketet för {backend} saknas ({exc.name}); installera det eller använd extractive") from exc
    except LLMUnavailable:
        raise
    except Exception as exc:  # a bad path, an unloadable model
        raise LLMUnavailable(f"modellen kunde inte laddas ({exc.__class__.__name__}: {exc})") from exc
    raise LLMUnavailable(f"okänd svarsmotor {backend!r}; välj bland {', '.join(BACKENDS)}")


def _generate(model, msgs, on_token=None) -> str:
    """Stream the model's output (chat models) or call it (text models)."""
    from langchain_core.language_models.chat_models import BaseChatModel

    if isinstance(model, BaseChatModel):
        parts = []
        for chunk in model.stream(msgs):
            text = chunk.content if isinstance(chunk.content, str) else ""
            parts.append(text)
            if on_token:
                on_token(text)
        return "".join(parts)
    return str(model.invoke(as_plain_prompt(msgs)))


class LLMAnswerer:
    """retrieve -> prompt -> model -> verify; falls back to the extractive answer."""

    def __init__(self, extractive: ExtractiveAnswerer, settings: Settings, model=None):
        self.extractive = extractive
        self.retriever = extractive.retriever
        self.settings = settings
        self._model = model
        self._model_error: str | None = None
        embed = None
        if self.retriever.use_dense:
            import numpy as np

            def embed(text: str):
                return np.asarray(self.retriever.search_vectors.embedder.embed_query(text))
        self.verifier = Verifier(self.retriever.keyword, embed)

    @property
    def model(self):
        if self._model is None and self._model_error is None:
            try:
                self._model = make_chat_model(self.settings)
            except LLMUnavailable as exc:
                self._model_error = str(exc)
        return self._model

    def condense(self, question: str, history: list[tuple[str, str]]) -> str:
        """A standalone question from a follow-up and the conversation."""
        if not history or self.model is None:
            return question
        text = "\n".join(f"{role}: {content}" for role, content in history[-6:])
        try:
            out = _generate(self.model, [("human", CONDENSE.format(history=text, question=question))]).strip()
        except Exception:
            return question
        line = out.splitlines()[0].strip() if out else ""
        return line if 5 <= len(line) <= self.settings.max_question_chars else question

    def answer(self, question: str, filters: Filters | None = None, date: str | None = None,
               k: int | None = None, on_token=None) -> Answer:
        started = time.perf_counter()
        question = validate_question(question, self.settings.max_question_chars)
        date = date or self.settings.date
        result = self.retriever.search(question, k or self.settings.top_k, filters, date)
        fallback = self.extractive.compose(question, result, date)
        fallback.timings_ms["retrieval_ms"] = (time.perf_counter() - started) * 1000
        if fallback.abstained and not result.direct:
            return fallback  # weak evidence: the model gets nothing to invent from
        model = self.model
        if model is None:
            fallback.notes.append(f"Språkmodellen kan inte användas: {self._model_error}. Svaret är utdrag ur källorna.")
            return fallback
        passages = [sp.passage for sp in result.passages[:PASSAGES_TO_MODEL]]
        t = time.perf_counter()
        try:
            raw = _generate(model, messages(question, [(p.label, p.text) for p in passages]), on_token)
        except Exception as exc:  # unreachable endpoint, timeout, model error
            fallback.notes.append(f"Språkmodellen svarade inte ({exc.__class__.__name__}). Svaret är utdrag ur källorna.")
            return fallback
        generation_ms = (time.perf_counter() - t) * 1000
        answer = self.build(question, raw, passages, date)
        if answer is None:
            fallback.notes.append("Språkmodellens svar kunde inte beläggas i källorna och visas inte. Svaret är utdrag ur källorna.")
            fallback.removed = [raw.strip()] if raw.strip() else []
            verification = self.verifier.verify(raw, [p.text for p in passages])
            fallback.verified = [{"sentence": s.text, "cited": s.cited, "supported": False, "support": s.support,
                                  "reason": s.reason, "citation_supports": [s.per_citation.get(n, False) for n in s.cited]}
                                 for s in verification.sentences]
            return fallback
        answer.timings_ms.update(result.timings_ms)
        answer.timings_ms["generation_ms"] = generation_ms
        answer.timings_ms["total_ms"] = (time.perf_counter() - started) * 1000
        return answer

    def build(self, question: str, raw: str, passages, date: str) -> Answer | None:
        """The verified answer, or None when no sentence is supported."""
        if re.search(r"källorna besvarar inte frågan", raw, re.I):
            return Answer(question, "Källorna besvarar inte frågan.", abstained=True,
                          nearest=[p.label for p in passages[:5]], reference_date=date, answerer=self.settings.answerer)
        verification = self.verifier.verify(raw, [p.text for p in passages])
        kept = verification.kept
        if not kept:
            return None
        answer = Answer(question, "", reference_date=date, answerer=self.settings.answerer)
        renumber: dict[int, int] = {}
        sentences = []
        for s in kept:
            for n in dict.fromkeys(s.cited):
                if n not in renumber:
                    renumber[n] = len(renumber) + 1
                    p = passages[n - 1]
                    quote = _closest_sentence(p.text, s.text, self.verifier)
                    answer.citations.append(Citation.of(renumber[n], p, quote, s.support))
            sentences.append(re.sub(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]",
                                    lambda m: "".join(f"[{renumber[int(x)]}]" for x in re.split(r"\s*[,;]\s*", m[1])), s.text))
        answer.text = " ".join(sentences)
        answer.removed = [s.text for s in verification.removed]
        answer.verified = [{"sentence": s.text, "cited": s.cited, "supported": s.supported, "support": s.support,
                            "reason": s.reason, "citation_supports": [s.per_citation.get(n, False) for n in s.cited]}
                           for s in verification.sentences]
        if answer.removed:
            answer.notes.append(f"{len(answer.removed)} mening(ar) från språkmodellen togs bort: ej belagda i källorna.")
        return answer


def _closest_sentence(passage_text: str, sentence: str, verifier: Verifier) -> str:
    """The passage's own sentence (verbatim) that best supports a generated one."""
    spans = sentence_spans(passage_text) or [(0, len(passage_text))]
    best = max(spans, key=lambda s: verifier._lexical(sentence, passage_text[s[0]:s[1]]))
    return passage_text[best[0]:best[1]]


def make_answerer(settings: Settings, retriever=None):
    """The configured answerer (extractive unless an LLM backend is set)."""
    from assistant.retrieval.hybrid import HybridRetriever

    extractive = ExtractiveAnswerer(retriever or HybridRetriever(settings), settings)
    if settings.answerer in ("", "extractive"):
        return extractive
    return LLMAnswerer(extractive, settings)

"""The hybrid retriever behind LangChain's BaseRetriever interface."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.retrieval.hybrid import Filters, HybridRetriever


class AssistantRetriever(BaseRetriever):
    """`AssistantRetriever(retriever=HybridRetriever(settings), k=8).invoke("fråga")`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any  # HybridRetriever (Any: pydantic need not validate it)
    k: int = 8
    filters: Filters = Filters()
    date: str | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        assert isinstance(self.retriever, HybridRetriever)
        result = self.retriever.search(query, k=self.k, filters=self.filters, date=self.date)
        return [
            Document(
                id=sp.passage.id,
                page_content=sp.passage.text,
                metadata={**sp.passage.metadata(), "score": sp.score, "ranks": dict(sp.sources)},
            )
            for sp in result.passages
        ]

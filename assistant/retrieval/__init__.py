"""Retrieval: hybrid (BM25 + dense) with rank fusion, filters, direct paragraph lookup."""

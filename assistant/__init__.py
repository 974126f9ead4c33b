"""Retrieval-augmented assistant for the Swedish Socialtjänstlag (SFS 2025:400)."""

import os

# The vector searches are small matrix-vector products. OpenBLAS's own threads
# spin after each one and slow the embedding engine's OpenMP threads down
# 2-3x on a 2-core machine (measured: query embedding p50 74 -> 28 ms).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"

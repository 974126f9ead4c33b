"""Index: embed passages into Chroma, build the Swedish keyword index, ingest."""

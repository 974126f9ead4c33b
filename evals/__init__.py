"""Evaluation: gold questions, citation metrics, retriever baselines."""

"""The question bank (corpus/questions/*.jsonl): labelled questions written to
teach retrieval the askers' wording. Loading and checking (data.py), the query
adapter trained on it (adapter.py), neighbours as a ranking signal
(neighbours.py), and the review of staff-proposed questions (review.py)."""

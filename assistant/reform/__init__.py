"""Reform support for municipalities: map local insatser against the new law
(insatser.py) and keep a cited action plan (plan.py)."""

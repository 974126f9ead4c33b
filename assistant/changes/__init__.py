"""What changed on 1 July 2025: the old-to-new paragraph concordance, the bill's
commentary parser, word-level diffs and the overview of what is new."""

"""Evaluation: one flow with a full trace, and the whole connectivity matrix over equivalence classes."""

"""Expectation results as text, JSON and JUnit XML."""

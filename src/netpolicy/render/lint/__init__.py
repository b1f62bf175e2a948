"""Lint findings as text, JSON, SARIF and GitHub annotations."""

"""Analyses over engine results: lint findings, semantic diff, expectations."""

"""Rendering results: text (rich), JSON, CSV, Markdown and more."""

"""A semantic diff as text, JSON and Markdown."""

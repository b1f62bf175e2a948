"""The interactive HTML report: one offline page with its data, its scripts and the bundled libraries."""

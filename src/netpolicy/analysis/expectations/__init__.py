"""Expectations files: reading them and checking them against a cluster's matrix."""

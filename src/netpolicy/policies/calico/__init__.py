"""Calico resources: models, validation, tiers, profiles, endpoints and compilation to the IR."""

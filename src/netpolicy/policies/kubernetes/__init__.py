"""Kubernetes `networking.k8s.io/v1` NetworkPolicy: models, validation and compilation to the IR."""

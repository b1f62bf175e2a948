"""netpolicy: what Kubernetes and Calico network policies really allow, and why."""

__version__ = "0.1.0"


def expand_compact(doc: dict):
    """Every allowed class pair of a compact connectivity document (`matrix -o json --form compact`),
    as the pairwise `flows` entries `{"from", "to", "allowed"}`."""
    from netpolicy.model.compact_doc import expand_compact as expand

    return expand(doc)

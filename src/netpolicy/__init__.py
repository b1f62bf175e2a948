"""netpolicy: what Kubernetes and Calico network policies really allow, and why.

    import netpolicy

    cluster = netpolicy.load_cluster(["manifests/", "policies/"])
    netpolicy.matrix(cluster).connections("shop/web", "shop/db")   # a ConnectionSet
    netpolicy.query(cluster, "shop/web", "shop/db", "TCP", 5432)   # a FlowResult: verdict and traces
    netpolicy.query(cluster, "shop/web", "svc/shop/db", port=5432)  # a ServiceFlow: per backend
    netpolicy.query(cluster, "shop/web", "shop/db")                 # a PortSweep: every TCP port
    netpolicy.lint(cluster)                                         # a list of Findings
    netpolicy.diff(old_cluster, cluster)                            # a DiffResult
    netpolicy.expand_compact(document)   # the pairs of a `matrix -o json --form compact` document

Everything is imported on first use, so `import netpolicy` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from netpolicy.api import diff, lint, load_cluster, load_documents, matrix, querier, query
    from netpolicy.errors import InputError, InputErrors, NetpolicyError
    from netpolicy.options import Options
    from netpolicy.render.compact_doc import expand_compact

__all__ = ["InputError", "InputErrors", "NetpolicyError", "Options", "diff", "expand_compact", "lint",
           "load_cluster", "load_documents", "matrix", "querier", "query"]

_HOMES = {"Options": "netpolicy.options", "InputError": "netpolicy.errors", "InputErrors": "netpolicy.errors",
          "NetpolicyError": "netpolicy.errors", "expand_compact": "netpolicy.render.compact_doc"}


def __getattr__(name: str) -> Any:
    """The public names, each imported from its module when first asked for."""
    if name not in __all__:
        raise AttributeError(f"module 'netpolicy' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_HOMES.get(name, "netpolicy.api")), name)
    globals()[name] = value
    return value

"""Reading test manifests given as text, and building clusters from them."""

from __future__ import annotations

import io
import textwrap

from netpolicy.errors import Diagnostics
from netpolicy.model.cluster import Cluster
from netpolicy.options import Options
from netpolicy.sources import build_cluster, read_objects
from netpolicy.sources.raw import RawObject


def read_text(text: str, diags: Diagnostics | None = None) -> list[RawObject]:
    """The objects of a YAML or JSON text given on stdin (dedented)."""
    return read_objects(["-"], diags if diags is not None else Diagnostics(),
                        stdin=io.StringIO(textwrap.dedent(text)))


def cluster_of(text: str, diags: Diagnostics | None = None, **options: object) -> Cluster:
    """The cluster built from a YAML text; problems go to `diags`."""
    diags = diags if diags is not None else Diagnostics()
    return build_cluster(read_text(text, diags), Options(**options), diags)  # type: ignore[arg-type]


def messages(diags: Diagnostics, severity: str | None = None) -> list[str]:
    """Every problem as the CLI prints it, optionally only errors or only warnings."""
    return [str(p) for p in diags.problems if severity is None or p.severity == severity]


def pod(name: str, namespace: str | None = "default", labels: dict[str, str] | None = None, *,
        extra: str = "") -> str:
    """A Pod manifest document."""
    ns = f"\n  namespace: {namespace}" if namespace else ""
    label_text = "".join(f"\n    {k}: \"{v}\"" for k, v in (labels or {}).items())
    labels_block = f"\n  labels:{label_text}" if labels else ""
    return f"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}{ns}{labels_block}\n" + extra

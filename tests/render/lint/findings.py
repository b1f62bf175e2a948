"""Fixed findings for the lint renderer tests."""

from __future__ import annotations

from netpolicy.analysis.lint import Finding

FINDINGS = [
    Finding("dns-egress-blocked", "error", "shop/web cannot resolve names: its egress is isolated by shop/deny and "
            "no rule allows UDP 53 or TCP 53 to kube-system pods k8s-app=kube-dns",
            "shop/NetworkPolicy/deny", "policies/deny.yaml", 9,
            "allow DNS in deny (or a policy of its own)"),
    Finding("source-port-rule", "warning", "shop/db egress[0] matches only packets sent from source port 5432, "
            "a port: 100%, done", "shop/NetworkPolicy/db", "policies/db.yaml", 14, ""),
    Finding("unprotected-namespace", "info", "namespace shop: none of its 2 workloads isolated for egress",
            "Namespace/shop", None, None, "add a default-deny for egress"),
]

"""The Kubernetes docs' NetworkPolicy example with pods for it, as files (the tests' shared public input)."""

from __future__ import annotations

from pathlib import Path

# kubernetes/website content/en/examples/service/networking/networkpolicy.yaml (the "test-network-policy"
# of kubernetes.io/docs/concepts/services-networking/network-policies/), with pods it selects.
POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: test-network-policy
  namespace: default
spec:
  podSelector:
    matchLabels:
      role: db
  policyTypes:
  - Ingress
  - Egress
  ingress:
  - from:
    - ipBlock:
        cidr: 172.17.0.0/16
        except:
        - 172.17.1.0/24
    - namespaceSelector:
        matchLabels:
          project: myproject
    - podSelector:
        matchLabels:
          role: frontend
    ports:
    - protocol: TCP
      port: 6379
  egress:
  - to:
    - ipBlock:
        cidr: 10.0.0.0/24
    ports:
    - protocol: TCP
      port: 5978
"""
PODS = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: redis, namespace: default}
spec:
  selector: {matchLabels: {role: db}}
  template:
    metadata: {labels: {role: db}}
    spec: {containers: [{name: redis, ports: [{containerPort: 6379, name: redis}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  selector: {matchLabels: {role: frontend}}
  template:
    metadata: {labels: {role: frontend}}
    spec: {containers: [{name: web, ports: [{containerPort: 8080, name: http}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: redis, namespace: default}
spec: {selector: {role: db}, ports: [{port: 6379, targetPort: redis}]}
"""


def write_example(directory: Path) -> tuple[Path, Path]:
    """The policy and the app's manifests as two files in `directory`."""
    policy, app = directory / "networkpolicy.yaml", directory / "app.yaml"
    policy.write_text(POLICY)
    app.write_text(PODS)
    return policy, app

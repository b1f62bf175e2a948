"""netpolicy: what Kubernetes and Calico network policies really allow, and why."""

__version__ = "0.1.0"

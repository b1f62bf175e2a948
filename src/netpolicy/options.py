"""Analysis options that change semantics (not presentation)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_POD_CIDR = "10.244.0.0/16"


@dataclass(frozen=True)
class Options:
    """Semantic switches.

    - `pod_cidr`: where endpoints without an IP get a stable address.
    - `ipblock_matches_pods`: Kubernetes ipBlock peers match pod addresses (Calico, upstream e2e);
      False models CNIs such as Cilium where they do not.
    - `calico_version`: selects Calico's policy tie-break scheme (3.32+ or older).
    - `endpoint_to_host_action`: Felix's DefaultEndpointToHostAction for pod → own node traffic after
      the pod's egress: ACCEPT (what calico.yaml and the operator set), DROP (Felix's own default) or
      RETURN (no host endpoint policy follows for it either).
    - `nat_outgoing_exclusions`: Felix's NATOutgoingExclusions: IPPoolsOnly (its default; a natOutgoing pod's
      packet to a node's address is masqueraded) or IPPoolsAndHostIPs (it is not).
    """

    pod_cidr: str = DEFAULT_POD_CIDR
    ipblock_matches_pods: bool = True
    calico_version: tuple[int, int] = (3, 32)
    endpoint_to_host_action: str = "ACCEPT"
    nat_outgoing_exclusions: str = "IPPoolsOnly"

"""Flows between a node and pods, as Felix treats them: host → its own pods is never policed; a pod →
its own node passes the pod's egress, then DefaultEndpointToHostAction; across nodes the node is an
address (its InternalIP), judged by the pod's policy like any other. A hostNetwork pod is its node.

Sources: `felix/rules/static.go` filterOutputChain ("We don't currently police host -> endpoint"),
filterWorkloadToHostChain and `config_params.go` DefaultEndpointToHostAction (docs/semantics.md#nodes).
"""

from __future__ import annotations

from netpolicy.engine.flow import FlowEvaluator, FlowResult, SideResult, TraceStep, side
from netpolicy.engine.packet import Packet
from netpolicy.errors import InputError
from netpolicy.model.cluster import Cluster, Endpoint
from netpolicy.model.ir import EGRESS

NODE_PREFIX = "node/"
TO_HOST_ACTIONS = ("ACCEPT", "DROP", "RETURN")


def node_named(cluster: Cluster, text: str) -> str | None:
    """The node `node/<name>` or a node address names, else None."""
    if text.startswith(NODE_PREFIX):
        name = text[len(NODE_PREFIX):]
        known = set(cluster.nodes) | {e.node for e in cluster.endpoints if e.node}
        if name not in known:
            raise InputError(f"{text!r} names no node", expected="a Node object's name or a pod's spec.nodeName")
        return name
    for name, node in cluster.nodes.items():
        if any(str(a) == text for a in node.addresses):
            return name
    return None


def node_address(cluster: Cluster, name: str) -> str:
    node = cluster.nodes.get(name)
    if node is None or not node.addresses:
        raise InputError(f"node {name} has no known address", expected="its Node object with status.addresses")
    return str(node.addresses[0])


def evaluate_node_flow(evaluator: FlowEvaluator, src: str, dst: str, protocol: int, port: int | None,
                       src_port: int | None) -> FlowResult | None:
    """The flow when one end is a node (None when neither is)."""
    cluster = evaluator.ctx.cluster
    src_node, dst_node = node_named(cluster, src), node_named(cluster, dst)
    if src_node is None and dst_node is None:
        return None
    if src_node is not None and dst_node is not None:
        raise InputError("both ends are nodes: host to host traffic is host endpoint policy",
                         suggestion="give HostEndpoint objects and ask with their addresses")
    if src_node is not None:
        pod = cluster.endpoint(dst)
        if pod is not None and pod.node == src_node:
            return _host_to_local_pod(src, pod, protocol, port, src_port)
        return evaluator.evaluate(node_address(cluster, src_node), dst, protocol, port, src_port)
    pod = cluster.endpoint(src)
    if pod is not None and pod.node == dst_node:
        return _pod_to_own_host(evaluator, pod, dst, dst_node, protocol, port, src_port)
    return evaluator.evaluate(src, node_address(cluster, dst_node), protocol, port, src_port)


def _host_to_local_pod(src: str, pod: Endpoint, protocol: int, port: int | None, src_port: int | None) -> FlowResult:
    egress = SideResult("allow", (TraceStep(None, None, None, None, "NoPolicy",
                                            f"{src} is {pod.node}, the pod's own node: host traffic"),))
    ingress = SideResult("allow", (TraceStep(None, None, None, None, "Default",
                                             f"traffic from a node to its own pods is never policed (Felix's filter "
                                             f"OUTPUT returns for workload interfaces): kubelet probes reach "
                                             f"{pod.id} whatever its ingress policy"),))
    return FlowResult(src, pod.id, protocol, port, src_port, "allow", egress, ingress)


def _pod_to_own_host(evaluator: FlowEvaluator, pod: Endpoint, dst: str, node: str, protocol: int,
                     port: int | None, src_port: int | None) -> FlowResult:
    cluster = evaluator.ctx.cluster
    action = evaluator.ctx.options.endpoint_to_host_action
    target, source = evaluator.peer(node_address(cluster, node)), evaluator.peer(pod)
    packet = Packet(source, target, protocol, port, src_port)
    egress = side(evaluator.ctx, source, EGRESS, packet)
    verdict = "deny" if action == "DROP" else "allow"
    why = {"ACCEPT": "accepts it (what calico.yaml and the operator set)",
           "DROP": "drops it (Felix's own default)",
           "RETURN": "returns it to the host's INPUT chain, where no host endpoint policy applies to it"}[action]
    ingress = SideResult(verdict, (TraceStep(None, None, None, None, "Default",
                                             f"pod → its own node {node}: after the pod's egress, "
                                             f"DefaultEndpointToHostAction {action} {why}"),))
    overall = "allow" if egress.verdict == "allow" and verdict == "allow" else "deny"
    return FlowResult(pod.id, dst, protocol, port, src_port, overall, egress, ingress)

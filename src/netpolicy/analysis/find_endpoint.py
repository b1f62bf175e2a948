"""Finding the endpoint a user means: an id, a pod name from `kubectl get pods`, a Service, or a label selector."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from netpolicy.engine.node_flow import host_network_pod
from netpolicy.errors import InputError
from netpolicy.model.cluster import Cluster, Endpoint

NODE_PREFIX = "node/"

#: Suffixes controllers add to pod names: ReplicaSet hash + random, random alone, StatefulSet ordinal,
#: CronJob's schedule stamp + random.
_POD_SUFFIXES = (re.compile(r"-[a-z0-9]{5,10}-[a-z0-9]{5}$"), re.compile(r"-[a-z0-9]{5}$"),
                 re.compile(r"-\d+$"), re.compile(r"-\d{8,10}-[a-z0-9]{5}$"))


@dataclass(frozen=True)
class Found:
    """The endpoint id (or IP address) to ask about, and a note when it is not what the user typed."""

    ref: str
    note: str = ""


def find_endpoint(cluster: Cluster, text: str, *, selector: str = "", namespace: str = "",
                  option: str = "--from", entries: bool = False) -> Found:
    """What `text` (or `selector` within `namespace`) names; raises InputError listing candidates if unclear.

    A node (`node/<name>`) or a hostNetwork pod (its node) is taken as typed; with `entries` (a destination) so is a Service entry
    (`svc/<ns>/<name>`, `<node>:<nodePort>`), which the query routes through kube-proxy's translation."""
    if selector or (namespace and not text):
        return _by_selector(cluster, selector, namespace, option)
    if text.startswith(NODE_PREFIX) or (entries and not namespace and _service_entry(cluster, text)):
        return Found(text)
    if namespace and "/" not in text:
        text = f"{namespace}/{text}"
    if cluster.endpoint(text) is not None or _is_address(text):
        return Found(text)
    if host_network_pod(cluster, text) is not None:
        return Found(text)
    kind, _, rest = text.partition("/")
    if kind.lower() in ("svc", "service", "services") and rest:
        return _by_service(cluster, rest, option, explicit=True, shown=text)
    found = _by_service(cluster, text, option, explicit=False) if text.count("/") == 1 else None
    return found or _by_name(cluster, text, option)


def _service_entry(cluster: Cluster, text: str) -> bool:
    """Whether `text` has the form of a Service entry that is not an endpoint: `svc/...` or `<node>:<port>`."""
    node, _, port = text.rpartition(":")
    nodes = set(cluster.nodes) | {e.node for e in cluster.endpoints if e.node}
    return text.startswith("svc/") or (port.isdigit() and node in nodes)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip())
    except ValueError:
        return False
    return True


def _by_name(cluster: Cluster, text: str, option: str) -> Found:
    """A pod name (its workload) or a bare name, in the namespace given or in any."""
    namespace, _, name = text.rpartition("/")
    candidates = [e for e in cluster.endpoints if e.policed and (not namespace or e.namespace == namespace)]
    exact = [e for e in candidates if e.name == name]
    if len(exact) == 1:
        return Found(exact[0].id, f"{option} {text}: {exact[0].id}")
    owners = [e for e in candidates if _pod_of(name, e)]
    if len(owners) == 1:
        owner = owners[0]
        return Found(owner.id, f"{option} {text}: the pod name of {owner.kind} {owner.id}; answering for it")
    matches = exact or owners
    if matches:
        raise InputError(f"{option}: {text!r} could be {_listing(matches)}", suggestion="give the namespace/name id")
    from netpolicy.suggest import closest, did_you_mean

    close = did_you_mean(closest(text, [e.id for e in cluster.endpoints], n=3))
    raise InputError(f"{option}: {text!r} is neither an endpoint id, a pod of one, a Service nor an IP address",
                     suggestion=f"{close} (`netpolicy endpoints` lists them)" if close
                     else "`netpolicy endpoints` lists the endpoints")


def _pod_of(pod: str, endpoint: Endpoint) -> bool:
    """Whether `pod` is a name the controller `endpoint` gives its pods."""
    if endpoint.kind == "Pod" or not pod.startswith(endpoint.name + "-"):
        return False
    return any(pattern.search(pod) and pattern.sub("", pod) == endpoint.name for pattern in _POD_SUFFIXES)


def _by_service(cluster: Cluster, text: str, option: str, explicit: bool, shown: str = "") -> Found | None:
    namespace, _, name = text.rpartition("/")
    services = [s for s in cluster.services if s.name == name and (not namespace or s.namespace == namespace)]
    if not services:
        if explicit:
            raise InputError(f"{option}: no Service {text!r} in the input")
        return None
    if len(services) > 1:
        raise InputError(f"{option}: Service {name!r} is in several namespaces "
                         f"({', '.join(sorted(s.namespace for s in services))})", suggestion="give svc/NAMESPACE/NAME")
    service = services[0]
    wanted = (service.selector or {}).items()
    backends = [e for e in cluster.endpoints if e.policed and e.namespace == service.namespace and wanted
                and all(e.labels.get(k) == v for k, v in wanted)]
    if len(backends) != 1:
        what = _listing(backends) if backends else "no endpoint of the input"
        raise InputError(f"{option}: Service {service.namespace}/{service.name} selects {what}",
                         suggestion="name one endpoint id" if backends else "add the workload's manifest")
    return Found(backends[0].id, f"{option} {shown or text}: Service {service.namespace}/{service.name} "
                                 f"selects {backends[0].id}; answering for it")


def _by_selector(cluster: Cluster, selector: str, namespace: str, option: str) -> Found:
    wanted = _label_predicate(selector, f"{option}-selector") if selector else None
    matches = [e for e in cluster.endpoints if e.policed and (not namespace or e.namespace == namespace)
               and (wanted is None or wanted(e.labels))]
    scope = " and ".join(x for x in (f"selector {selector}" if selector else "",
                                     f"namespace {namespace}" if namespace else "") if x)
    if len(matches) != 1:
        raise InputError(f"{option}: {scope} matches {_listing(matches) if matches else 'no endpoint'}",
                         suggestion="narrow it to one endpoint" if matches else "`netpolicy endpoints` lists them")
    return Found(matches[0].id, f"{option}: {scope} is {matches[0].id}")


def _label_predicate(text: str, option: str):
    """kubectl's equality-based selector (`app=web,tier!=db,env,!canary`) as a test of a label mapping."""
    terms: list[tuple[str, str, str | None]] = []
    for part in (p.strip() for p in text.split(",")):
        match = re.fullmatch(r"(!?)([\w./-]+)\s*(?:(==|=|!=)\s*([\w.-]*))?", part)
        if match is None or (match.group(1) and match.group(3)):
            raise InputError(f"{option}: {part!r} is not a label requirement",
                             expected="key=value, key!=value, key or !key, separated by commas")
        negated, key, operator, value = match.groups()
        terms.append((key, "absent" if negated else {"!=": "ne"}.get(operator or "", "eq" if operator else "has"),
                      value))

    def matches(labels) -> bool:
        for key, operator, value in terms:
            present = key in labels
            if (operator == "has" and not present) or (operator == "absent" and present) \
                    or (operator == "eq" and labels.get(key) != value) or (operator == "ne" and labels.get(key) == value):
                return False
        return True

    return matches


def _listing(endpoints: list[Endpoint]) -> str:
    ids = [e.id for e in endpoints]
    return ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def resolve_port(text: str | None, cluster: Cluster, destination: str, protocol: int) -> int | None:
    """`--port` as a number: digits, or a named port of the destination endpoint for this protocol."""
    if text is None or text.isdigit():
        value = int(text) if text is not None else None
        if value is not None and not 0 <= value <= 65535:
            raise InputError(f"--port: {value} is not a port", expected="1-65535 or a named port")
        return value
    endpoint = cluster.endpoint(destination)
    ports = endpoint.ports if endpoint is not None else ()
    found = [p.port for p in ports if p.name == text and p.protocol == protocol]
    if found:
        return found[0]
    names = sorted({p.name for p in ports if p.name})
    where = endpoint.id if endpoint is not None else destination
    raise InputError(f"--port: {where} has no port named {text!r} for this protocol",
                     expected=", ".join(names) if names else "a number (the destination declares no named ports)")

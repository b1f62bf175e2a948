"""Reading expectations files: YAML with every problem reported at its file, line and field path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from netpolicy.analysis.expectations.model import (
    ANY,
    CIDR,
    ENDPOINT,
    EVERY,
    EXPECTS,
    EXTERNAL,
    NAMESPACE,
    POD_SELECTOR,
    QUANTIFIERS,
    SELECTOR,
    SERVICE,
    VIA,
    Expectation,
    ExpectationSuite,
    PeerSpec,
    StandInPod,
)
from netpolicy.errors import Diagnostics, Location
from netpolicy.model.addresses import AddressSet, parse_network
from netpolicy.model.cluster import NamedPort
from netpolicy.model.connections import ConnectionSet
from netpolicy.model.intervals import IntervalSet
from netpolicy.model.protocols import NUMBER_BY_NAME, PORT_PROTOCOLS, parse_protocol
from netpolicy.selectors.ast import Selector
from netpolicy.suggest import closest, did_you_mean

TOP_KEYS = ("expectations", "pods")
EXPECTATION_KEYS = ("name", "description", "from", "to", "protocol", "ports", "expect", "quantifier")
PEER_KEYS = (ENDPOINT, POD_SELECTOR, SELECTOR, NAMESPACE, CIDR, EXTERNAL, SERVICE, "except", "via", "node")
POD_KEYS = ("id", "labels", "ports", "ip")
PORT_KEYS = ("port", "protocol", "name")
LABEL_SELECTOR_KEYS = ("matchLabels", "matchExpressions")
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
PEER_HELP = "one of endpoint, podSelector, selector, namespace, cidr, external, service (in `to`)"


def load_suites(paths: Sequence[str]) -> list[ExpectationSuite]:
    """Read every expectations file; raise `InputErrors` listing every problem found."""
    diags = Diagnostics()
    suites = [_Reader(path, diags).read() for path in paths]
    diags.raise_if_errors()
    return [s for s in suites if s is not None]


class _Reader:
    """Reads one file, reporting problems to `diags` with the line of the offending field."""

    def __init__(self, file: str, diags: Diagnostics) -> None:
        self.file = file
        self.diags = diags
        self.lines: Any = {}

    def read(self) -> ExpectationSuite | None:
        from netpolicy.sources.lines import FieldLines
        from netpolicy.sources.yaml_loader import YamlSyntaxError, parse_yaml

        try:
            with open(self.file, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            self.diags.error(f"cannot read the expectations file: {getattr(exc, 'strerror', None) or exc}",
                             Location(self.file))
            return None
        try:
            documents = [d for d in parse_yaml(text) if d.data is not None]
        except YamlSyntaxError as exc:
            self.diags.error(f"not valid YAML: {exc.problem}", Location(self.file, exc.line))
            return None
        if len(documents) != 1:
            self.diags.error(f"{len(documents)} YAML documents", Location(self.file),
                             expected="one document with an `expectations:` list")
            return None
        document = documents[0]
        self.lines = FieldLines(document.data, document.table)
        root = document.data
        if not isinstance(root, dict):
            self.error("", "the file is not a mapping", expected="a mapping with an `expectations:` list")
            return None
        self.unknown_keys(root, "", TOP_KEYS)
        suite = ExpectationSuite(self.file)
        items = root.get("expectations")
        if not isinstance(items, list) or not items:
            self.error("expectations", "missing or empty", expected="a list of expectations")
        else:
            for index, item in enumerate(items):
                expectation = self.expectation(item, f"expectations[{index}]", index)
                if expectation is not None:
                    suite.expectations.append(expectation)
        pods = root.get("pods", [])
        if not isinstance(pods, list):
            self.error("pods", "not a list", expected="a list of pods")
        else:
            for index, item in enumerate(pods):
                pod = self.pod(item, f"pods[{index}]")
                if pod is not None:
                    suite.pods.append(pod)
        return suite

    # ---- reporting --------------------------------------------------------------------------
    def at(self, path: str) -> Location:
        from netpolicy.sources.raw import split_path

        parts = split_path(path)
        while parts:
            key = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p)
                          for i, p in enumerate(parts))
            if key in self.lines:
                return Location(self.file, self.lines[key])
            parts.pop()
        return Location(self.file, 1)

    def error(self, path: str, message: str, expected: str = "", suggestion: str = "") -> None:
        self.diags.error(message, self.at(path), path, expected, suggestion)

    def unknown_keys(self, mapping: dict, path: str, known: Sequence[str]) -> None:
        for key in mapping:
            if key not in known:
                self.error(f"{path}.{key}" if path else str(key), "unknown field",
                           expected=", ".join(known), suggestion=did_you_mean(closest(str(key), known)))

    # ---- expectations -------------------------------------------------------------------------
    def expectation(self, item: Any, path: str, index: int) -> Expectation | None:
        if not isinstance(item, dict):
            self.error(path, "not a mapping", expected="name, from, to, expect, and optionally protocol, ports, "
                       "quantifier")
            return None
        self.unknown_keys(item, path, EXPECTATION_KEYS)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            self.error(f"{path}.name", "missing", expected="a sentence saying what must hold")
            name = f"expectation {index + 1}"
        sources = self.peers(item.get("from"), f"{path}.from")
        destinations = self.peers(item.get("to"), f"{path}.to")
        if sources is not None and any(s.kind == SERVICE for s in sources):
            self.error(f"{path}.from", "a service is a destination only", expected="service peers in `to`")
            sources = None
        if destinations is not None and len({s.kind == SERVICE for s in destinations}) > 1:
            self.error(f"{path}.to", "services and other peers together",
                       suggestion="write one expectation for the services and one for the other peers")
            destinations = None
        conns = self.connections(item, path)
        expect = item.get("expect")
        if expect not in EXPECTS:
            self.error(f"{path}.expect", f"{expect!r} is not a verdict" if expect is not None else "missing",
                       expected="allow, deny or only")
        quantifier = item.get("quantifier", EVERY)
        if quantifier not in QUANTIFIERS:
            self.error(f"{path}.quantifier", f"{quantifier!r} is not a quantifier",
                       expected=f"{EVERY} (each pair) or {ANY} (at least one pair)")
        if sources is None or destinations is None or conns is None or expect not in EXPECTS \
                or quantifier not in QUANTIFIERS:
            return None
        return Expectation(name.strip(), sources, destinations, conns, expect, quantifier, self.at(path), index)

    def peers(self, value: Any, path: str) -> tuple[PeerSpec, ...] | None:
        if value is None:
            self.error(path, "missing", expected=f"a peer ({PEER_HELP}) or a list of peers")
            return None
        items = value if isinstance(value, list) else [value]
        if not items:
            self.error(path, "empty list", expected="at least one peer")
            return None
        specs = [self.peer(item, f"{path}[{i}]" if isinstance(value, list) else path)
                 for i, item in enumerate(items)]
        return None if any(s is None for s in specs) else tuple(specs)  # type: ignore[misc]

    def peer(self, item: Any, path: str) -> PeerSpec | None:
        if isinstance(item, str):
            item = {ENDPOINT: item}
        if not isinstance(item, dict):
            self.error(path, "not a peer", expected=PEER_HELP)
            return None
        self.unknown_keys(item, path, PEER_KEYS)
        kinds = [k for k in (ENDPOINT, POD_SELECTOR, SELECTOR, CIDR, EXTERNAL, SERVICE) if k in item]
        if len(kinds) > 1:
            self.error(path, f"{' and '.join(kinds)} together", expected="one way of naming peers",
                       suggestion="give a list of peers to name several")
            return None
        namespace = item.get(NAMESPACE)
        if namespace is not None and (not isinstance(namespace, str) or not namespace):
            self.error(f"{path}.namespace", "not a namespace name", expected="a string")
            return None
        if "except" in item and not (kinds and kinds[0] in (CIDR, EXTERNAL)):
            self.error(f"{path}.except", "only a cidr or external peer has exceptions")
            return None
        if not kinds:
            if namespace is None:
                self.error(path, "names no peer", expected=PEER_HELP)
                return None
            return PeerSpec(NAMESPACE, namespace, namespace, path=path)
        kind = kinds[0]
        value = item[kind]
        if kind in (CIDR, EXTERNAL) and namespace is not None:
            self.error(f"{path}.namespace", f"a {kind} peer has no namespace")
            return None
        for key in ("via", "node"):
            if key in item and kind != SERVICE:
                self.error(f"{path}.{key}", f"only a service peer has {key}")
                return None
        if kind == SERVICE:
            if not isinstance(value, str) or value.count("/") != 1 or namespace is not None:
                self.error(f"{path}.service", f"{value!r} is not a service",
                           expected="namespace/name of a Service, without a namespace key")
                return None
            via = item.get("via", VIA[0])
            if via not in VIA:
                self.error(f"{path}.via", f"{via!r} is not a way into a Service", expected=" or ".join(VIA))
                return None
            node = item.get("node")
            if "node" in item and (via != VIA[2] or not isinstance(node, str) or not node):
                self.error(f"{path}.node", f"{node!r} is not a node to enter by", expected="a node name, with via: nodePort")
                return None
            return PeerSpec(SERVICE, value, path=path, via=via, node=node)
        if kind == ENDPOINT:
            if not isinstance(value, str) or "/" not in value:
                self.error(f"{path}.endpoint", f"{value!r} is not an endpoint id",
                           expected="namespace/name, as `netpolicy matrix` lists them")
                return None
            return PeerSpec(ENDPOINT, value, path=path)
        if kind == POD_SELECTOR:
            selector = self.label_selector(value, f"{path}.podSelector")
            return None if selector is None else PeerSpec(
                POD_SELECTOR, _label_selector_text(value), namespace, selector, path=path)
        if kind == SELECTOR:
            selector = self.calico_selector(value, f"{path}.selector")
            return None if selector is None else PeerSpec(SELECTOR, str(value), namespace, selector, path=path)
        addresses = self.addresses(value, item.get("except", []), path, kind)
        if addresses is None:
            return None
        text = str(value) + (f" except {', '.join(str(x) for x in item['except'])}" if item.get("except") else "")
        return PeerSpec(kind, text, addresses=addresses, path=path)

    def label_selector(self, value: Any, path: str) -> Selector | None:
        from netpolicy.selectors.k8s import label_selector_node

        if not isinstance(value, dict):
            self.error(path, "not a label selector", expected="matchLabels and/or matchExpressions")
            return None
        self.unknown_keys(value, path, LABEL_SELECTOR_KEYS)
        labels = value.get("matchLabels") or {}
        ok = isinstance(labels, dict) and all(isinstance(k, str) and isinstance(v, (str, int, float, bool))
                                              for k, v in labels.items())
        if not ok:
            self.error(f"{path}.matchLabels", "not a map of label names to values")
        expressions = value.get("matchExpressions") or []
        if not isinstance(expressions, list):
            self.error(f"{path}.matchExpressions", "not a list")
            return None
        for i, expr in enumerate(expressions):
            ok = self.expression(expr, f"{path}.matchExpressions[{i}]") and ok
        if not ok:
            return None
        labels = {k: (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in labels.items()}
        return Selector(label_selector_node(labels, expressions))

    def expression(self, expr: Any, path: str) -> bool:
        if not isinstance(expr, dict) or not isinstance(expr.get("key"), str):
            self.error(path, "not a label expression", expected="key, operator and (for In/NotIn) values")
            return False
        operator, values = expr.get("operator"), expr.get("values")
        if operator not in OPERATORS:
            self.error(f"{path}.operator", f"{operator!r} is not an operator", expected=", ".join(OPERATORS))
            return False
        if operator in ("In", "NotIn") and (not isinstance(values, list) or not values):
            self.error(f"{path}.values", f"{operator} needs a non-empty list of values")
            return False
        if operator in ("Exists", "DoesNotExist") and values:
            self.error(f"{path}.values", f"{operator} takes no values")
            return False
        return True

    def calico_selector(self, value: Any, path: str) -> Selector | None:
        from netpolicy.selectors import SelectorError, parse

        try:
            return parse(value)
        except SelectorError as exc:
            self.error(path, f"{value!r}: {exc.message} at column {exc.column}",
                       expected="a Calico selector, e.g. app == 'django'")
            return None

    def addresses(self, value: Any, exceptions: Any, path: str, kind: str) -> AddressSet | None:
        networks = []
        for sub, text in [(f"{path}.{kind}", value)] + [(f"{path}.except[{i}]", x) for i, x in
                                                         enumerate(exceptions if isinstance(exceptions, list)
                                                                   else [exceptions])]:
            try:
                networks.append(parse_network(str(text)))
            except ValueError:
                self.error(sub, f"{text!r} is not a CIDR", expected="e.g. 10.0.0.0/8 or 0.0.0.0/0")
                return None
        head, rest = networks[0], networks[1:]
        return AddressSet.of_networks([head]) - AddressSet.of_networks(rest)

    def connections(self, item: dict, path: str) -> ConnectionSet | None:
        for key, what in (("protocol", "protocols"), ("ports", "ports")):
            if key in item and item[key] in (None, [], ""):
                self.error(f"{path}.{key}", f"empty: an expectation without {what} checks nothing",
                           expected=f"one or more {what}, or leave out {key}: for every {what[:-1]}")
                return None
        protocols = self.protocols(item.get("protocol"), f"{path}.protocol")
        ports = self.ports(item.get("ports"), f"{path}.ports")
        if protocols is None or (ports is None and "ports" in item):
            return None
        if ports is None:
            if not protocols:
                return ConnectionSet.all()
            result = ConnectionSet.empty()
            for protocol in protocols:
                result = result | ConnectionSet.of(protocol)
            return result
        protocols = protocols or [NUMBER_BY_NAME["TCP"]]
        without = [p for p in protocols if p not in PORT_PROTOCOLS]
        if without:
            self.error(f"{path}.ports", "ports are given for a protocol without ports",
                       expected="TCP, UDP or SCTP")
            return None
        result = ConnectionSet.empty()
        for protocol in protocols:
            result = result | ConnectionSet.of(protocol, ports)
        return result

    def protocols(self, value: Any, path: str) -> list[int] | None:
        if value is None:
            return []
        names = {k.lower(): v for k, v in NUMBER_BY_NAME.items()}
        out = []
        for i, item in enumerate(value if isinstance(value, list) else [value]):
            number = names.get(item.lower()) if isinstance(item, str) else None
            number = number or parse_protocol(item)
            if number is None:
                self.error(path if not isinstance(value, list) else f"{path}[{i}]", f"{item!r} is not a protocol",
                           expected="TCP, UDP, SCTP, ICMP, ICMPv6 or a number 1-255")
                return None
            out.append(number)
        return out

    def ports(self, value: Any, path: str) -> IntervalSet | None:
        if value is None:
            return None
        items = value if isinstance(value, list) else [value]
        ranges: list[tuple[int, int]] = []
        for item in items:
            parsed = _port_ranges(item)
            if parsed is None:
                self.error(path, f"{item!r} is not a port or port range", expected="1-65535, e.g. 53, "
                           "\"80,443\" or \"8000-8080\"")
                return None
            ranges.extend(parsed)
        return IntervalSet.of(ranges)

    # ---- stand-in pods --------------------------------------------------------------------------
    def pod(self, item: Any, path: str) -> StandInPod | None:
        if not isinstance(item, dict):
            self.error(path, "not a pod", expected="id (namespace/name), labels, and optionally ports and ip")
            return None
        self.unknown_keys(item, path, POD_KEYS)
        pod_id = item.get("id")
        if not isinstance(pod_id, str) or pod_id.count("/") != 1 or not all(pod_id.split("/")):
            self.error(f"{path}.id", f"{pod_id!r} is not a pod id", expected="namespace/name")
            return None
        labels = item.get("labels") or {}
        if not isinstance(labels, dict) or not all(isinstance(k, str) for k in labels):
            self.error(f"{path}.labels", "not a map of label names to values")
            return None
        ports = []
        for i, entry in enumerate(item.get("ports") or []):
            port = self.named_port(entry, f"{path}.ports[{i}]")
            if port is None:
                return None
            ports.append(port)
        ip = item.get("ip")
        if ip is not None:
            try:
                parse_network(str(ip))
            except ValueError:
                self.error(f"{path}.ip", f"{ip!r} is not an IP address")
                return None
        namespace, name = pod_id.split("/")
        return StandInPod(namespace, name, {k: str(v) for k, v in labels.items()}, tuple(ports),
                          None if ip is None else str(ip), self.at(path))

    def named_port(self, entry: Any, path: str) -> NamedPort | None:
        if not isinstance(entry, dict):
            self.error(path, "not a port", expected="port, and optionally protocol and name")
            return None
        self.unknown_keys(entry, path, PORT_KEYS)
        port = entry.get("port")
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            self.error(f"{path}.port", f"{port!r} is not a port", expected="1-65535")
            return None
        protocols = self.protocols(entry.get("protocol", "TCP"), f"{path}.protocol")
        if not protocols or protocols[0] not in PORT_PROTOCOLS:
            self.error(f"{path}.protocol", "not a protocol with ports", expected="TCP, UDP or SCTP")
            return None
        name = entry.get("name")
        return NamedPort(None if name is None else str(name), protocols[0], port)


def _port_ranges(item: Any) -> list[tuple[int, int]] | None:
    """`53`, `"80,443"`, `"8000-8080"` as ranges inside 1-65535, or None."""
    if isinstance(item, bool):
        return None
    if isinstance(item, int):
        return [(item, item)] if 1 <= item <= 65535 else None
    if not isinstance(item, str):
        return None
    out = []
    for part in filter(None, (p.strip() for p in item.split(","))):
        lo, _, hi = part.partition("-")
        if not lo.strip().isdigit() or (hi and not hi.strip().isdigit()):
            return None
        a, b = int(lo), int(hi or lo)
        if not 1 <= a <= b <= 65535:
            return None
        out.append((a, b))
    return out or None


def _label_selector_text(value: dict) -> str:
    """A podSelector in one line: `app=django, tier in (db, cache)`."""
    parts = [f"{k}={v}" for k, v in sorted((value.get("matchLabels") or {}).items())]
    for expr in value.get("matchExpressions") or []:
        op, key = expr.get("operator"), expr.get("key")
        if op in ("In", "NotIn"):
            parts.append(f"{key} {'in' if op == 'In' else 'notin'} ({', '.join(map(str, expr['values']))})")
        else:
            parts.append(key if op == "Exists" else f"!{key}")
    return ", ".join(parts) or "{} (every pod)"

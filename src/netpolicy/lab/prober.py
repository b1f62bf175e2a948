"""Listeners and probes in one process, driven by one event loop.

Sockets are created inside each endpoint's namespace (the thread switches namespace with setns,
creates the socket, and switches back); once created, a socket keeps its namespace, so one epoll
loop serves every listener and every probe. TCP and SCTP probes pass when the handshake completes,
UDP probes when the listener's echo comes back, ICMP probes when the echo reply does. Silence until
the timeout means the packet (or its reply) was dropped.
"""

from __future__ import annotations

import errno
import heapq
import itertools
import selectors
import socket
import struct
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from netpolicy.lab import netns
from netpolicy.lab.plan import Probe
from netpolicy.lab.topology import Topology
from netpolicy.model.protocols import ICMP, ICMPV6, SCTP, TCP, UDP

ALLOWED, DENIED, ERROR = "allowed", "denied", "error"
_FAMILY = {4: socket.AF_INET, 6: socket.AF_INET6}
_ECHO_REPLY = {ICMP: 0, ICMPV6: 129}
_LINGER_RESET = struct.pack("ii", 1, 0)


@dataclass(frozen=True)
class Outcome:
    """What the kernel did with one probe."""

    result: str
    detail: str = ""


def refusal(error: OSError, what: str) -> Outcome:
    """A probe the kernel refused to send or receive: EPERM is netfilter dropping the packet in the sender's own
    OUTPUT hook (the lab's namespaces hold only the lab's rules), so the probe is denied; anything
    else is an error."""
    if error.errno == errno.EPERM:
        return Outcome(DENIED, "dropped as it left the sender (its own output chain: EPERM)")
    return Outcome(ERROR, f"could not {what}: {error.strerror or error}")


def _reusable(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setblocking(False)


def _stream(family: int, protocol: int) -> socket.socket:
    return socket.socket(_FAMILY[family], socket.SOCK_STREAM, socket.IPPROTO_SCTP if protocol == SCTP else 0)


def mirror_free_waves(probes: Sequence[Probe]) -> list[list[Probe]]:
    """Split probes so that no wave holds two with the same pair of (address, port) ends."""
    waves: list[list[Probe]] = []
    remaining = list(probes)
    while remaining:
        seen: set[tuple] = set()
        wave: list[Probe] = []
        later: list[Probe] = []
        for probe in remaining:
            key = (probe.protocol, frozenset({(probe.src_address, probe.sport), (probe.dst_address, probe.port)}))
            (later if key in seen else wave).append(probe)
            seen.add(key)
        waves.append(wave)
        remaining = later
    return waves


class Prober:
    """Serves every probed port in every lab namespace and runs probes concurrently."""

    def __init__(self, topology: Topology, *, timeout: float = 1.0, concurrency: int = 512) -> None:
        self.hosts = {h.endpoint_id: h for h in [*topology.hosts, *topology.node_ends]}
        self.node_ends = {h.endpoint_id for h in topology.node_ends}
        self.nodes = [n.netns for n in topology.nodes]
        self._sent = False
        self.timeout = timeout
        self.concurrency = concurrency
        self.selector = selectors.DefaultSelector()
        self.listeners: list[socket.socket] = []
        self._seq = itertools.count(1)

    # ---- listeners -----------------------------------------------------------------------------
    def listen(self, ports: Iterable[tuple[int, int]], node_ports: Iterable[tuple[int, int]] = ()) -> None:
        """Open a listener (TCP, SCTP) or echo socket (UDP) on every address of every host (node ends:
        on `node_ports`)."""
        ports, node_ports = sorted(ports), sorted(node_ports)
        for host in self.hosts.values():
            served = node_ports if host.endpoint_id in self.node_ends else ports
            with netns.inside(host.netns):
                for address in host.addresses:
                    for protocol, port in served:
                        self._listener(address.version, str(address), protocol, port)

    def _listener(self, family: int, address: str, protocol: int, port: int) -> None:
        if protocol == UDP:
            sock = socket.socket(_FAMILY[family], socket.SOCK_DGRAM)
            role = "echo"
        else:
            sock = _stream(family, protocol)
            role = "accept"
        _reusable(sock)
        sock.bind((address, port))
        if role == "accept":
            sock.listen(4096)
        self.listeners.append(sock)
        self.selector.register(sock, selectors.EVENT_READ, (role, sock))

    def _serve(self, role: str, sock: socket.socket) -> None:
        try:
            while True:
                if role == "accept":
                    conn, _ = sock.accept()
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
                    conn.close()
                else:
                    data, peer = sock.recvfrom(2048)
                    sock.sendto(data, peer)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return

    # ---- probes --------------------------------------------------------------------------------
    def run(self, probes: Sequence[Probe], timeout: float | None = None) -> dict[Probe, Outcome]:
        """Send every probe (at most `concurrency` at once) and return what happened to each.

        Two probes that are each other's mirror image (a:p → b:q and b:q → a:p) would be one TCP
        simultaneous open to conntrack, so they go in separate waves, and the node forgets its tracked
        connections before each later wave: otherwise a packet could pass as the reply of an earlier probe.
        """
        outcomes: dict[Probe, Outcome] = {}
        for wave in mirror_free_waves(probes):
            if self._sent:
                for node in self.nodes:
                    netns.flush_conntrack(node)
            self._sent = True
            outcomes.update(self._run_wave(wave, timeout or self.timeout))
        return outcomes

    def _run_wave(self, probes: Sequence[Probe], timeout: float) -> dict[Probe, Outcome]:
        pending = sorted(probes, key=lambda p: p.src)
        outcomes: dict[Probe, Outcome] = {}
        flying: dict[int, tuple[Probe, socket.socket, bytes]] = {}
        deadlines: list[tuple[float, int]] = []
        position = 0
        while position < len(pending) or flying:
            free = self.concurrency - len(flying)
            if free > 0 and position < len(pending):
                batch = pending[position:position + free]
                position += len(batch)
                for src, group in itertools.groupby(batch, key=lambda p: p.src):
                    with netns.inside(self.hosts[src].netns):
                        for probe in group:
                            self._launch(probe, flying, deadlines, outcomes, timeout)
            wait = max(0.0, deadlines[0][0] - time.monotonic()) if deadlines else 0.05
            for key, _ in self.selector.select(timeout=min(wait, 0.05)):
                role, data = key.data
                if role == "probe":
                    self._answer(data, flying, outcomes)
                else:
                    self._serve(role, data)
            now = time.monotonic()
            while deadlines and deadlines[0][0] <= now:
                _, seq = heapq.heappop(deadlines)
                if seq in flying:
                    probe, sock, _ = flying.pop(seq)
                    self._drop(sock)
                    outcomes[probe] = Outcome(DENIED, f"no answer within {timeout:g} s")
        return outcomes

    def _launch(self, probe: Probe, flying, deadlines, outcomes, timeout: float) -> None:
        seq = next(self._seq)
        token = f"netpolicy-lab {seq}".encode()
        try:
            sock = self._open(probe, token)
        except OSError as error:
            outcomes[probe] = refusal(error, "send")
            return
        flying[seq] = (probe, sock, token)
        heapq.heappush(deadlines, (time.monotonic() + timeout, seq))
        events = selectors.EVENT_WRITE if probe.protocol in (TCP, SCTP) else selectors.EVENT_READ
        self.selector.register(sock, events, ("probe", seq))

    def _open(self, probe: Probe, token: bytes) -> socket.socket:
        family = _FAMILY[probe.family]
        if probe.protocol in (ICMP, ICMPV6):
            sock = socket.socket(family, socket.SOCK_DGRAM,
                                 socket.IPPROTO_ICMP if probe.protocol == ICMP else socket.IPPROTO_ICMPV6)
            sock.setblocking(False)
            sock.bind((probe.src_address, 0))
            sock.connect((probe.dst_address, 0))
            sock.send(struct.pack("!BBHHH", probe.port, probe.sport, 0, 0, 1) + token)
            return sock
        if probe.protocol == UDP:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            _reusable(sock)
            sock.bind((probe.src_address, probe.sport))
            sock.connect((probe.dst_address, probe.port))
            sock.send(token)
            return sock
        sock = _stream(probe.family, probe.protocol)
        _reusable(sock)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        sock.bind((probe.src_address, probe.sport))
        code = sock.connect_ex((probe.dst_address, probe.port))
        if code not in (0, errno.EINPROGRESS):
            sock.close()
            raise OSError(code, errno.errorcode.get(code, str(code)))
        return sock

    def _answer(self, seq: int, flying, outcomes) -> None:
        if seq not in flying:
            return
        probe, sock, token = flying[seq]
        if probe.protocol in (TCP, SCTP):
            code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code in (0, errno.ECONNRESET):  # a reset can only follow a completed handshake here
                outcome = Outcome(ALLOWED)
            elif code == errno.ECONNREFUSED and probe.via:
                outcome = Outcome(DENIED, "rejected: the Service has no endpoint")
            else:
                outcome = Outcome(ERROR, errno.errorcode.get(code, str(code)))
        else:
            try:
                data = sock.recv(2048)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError:
                outcome = Outcome(DENIED, "rejected: the Service has no endpoint") if probe.via \
                    else Outcome(ERROR, "connection refused")
            except OSError as error:
                outcome = refusal(error, "receive")
            else:
                if probe.protocol == UDP:
                    outcome = Outcome(ALLOWED) if data == token else Outcome(ERROR, "unexpected answer")
                elif data[:1] == bytes([_ECHO_REPLY[probe.protocol]]):
                    outcome = Outcome(ALLOWED)
                else:
                    return
        del flying[seq]
        self._drop(sock)
        outcomes[probe] = outcome

    def _drop(self, sock: socket.socket) -> None:
        try:
            self.selector.unregister(sock)
        except (KeyError, ValueError):
            pass
        sock.close()

    def close(self) -> None:
        """Close every listener (a namespace only goes away once no socket holds it)."""
        for sock in self.listeners:
            self._drop(sock)
        self.listeners.clear()
        self.selector.close()

    def __enter__(self) -> Prober:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

"""The small vocabularies synthetic clusters draw names, labels and ports from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ContainerPort:
    """One named container port."""

    name: str
    port: int
    protocol: str = "TCP"


@dataclass(frozen=True)
class App:
    """A kind of workload: its `app` label, its `tier`, its ports, and whether it keeps state."""

    name: str
    tier: str
    ports: tuple[ContainerPort, ...]
    stateful: bool = False


def _ports(*specs: tuple) -> tuple[ContainerPort, ...]:
    return tuple(ContainerPort(*spec) for spec in specs)


APPS: tuple[App, ...] = (
    App("frontend", "web", _ports(("http", 8080), ("metrics", 9090))),
    App("nginx", "web", _ports(("http", 80), ("https", 443))),
    App("api", "api", _ports(("http", 8080), ("grpc", 50051), ("metrics", 9090))),
    App("auth", "api", _ports(("http", 8080), ("metrics", 9090))),
    App("gateway", "api", _ports(("https", 8443), ("metrics", 9090))),
    App("cart", "backend", _ports(("grpc", 50051))),
    App("catalog", "backend", _ports(("http", 8000), ("metrics", 9090))),
    App("payments", "backend", _ports(("https", 8443), ("metrics", 9090))),
    App("search", "backend", _ports(("http", 9200), ("transport", 9300))),
    App("worker", "backend", _ports(("metrics", 9090))),
    App("notifier", "backend", _ports(("http", 8000), ("statsd", 8125, "UDP"))),
    App("postgres", "db", _ports(("postgres", 5432)), stateful=True),
    App("mysql", "db", _ports(("mysql", 3306)), stateful=True),
    App("redis", "cache", _ports(("redis", 6379)), stateful=True),
    App("memcached", "cache", _ports(("memcache", 11211), ("memcache-udp", 11211, "UDP")), stateful=True),
    App("kafka", "queue", _ports(("kafka", 9092), ("sctp-repl", 9899, "SCTP")), stateful=True),
    App("rabbitmq", "queue", _ports(("amqp", 5672), ("management", 15672)), stateful=True),
)

APP_BY_NAME = {app.name: app for app in APPS}
TIERS: tuple[str, ...] = ("web", "api", "backend", "db", "cache", "queue")
TEAMS: tuple[str, ...] = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")
ENVS: tuple[str, ...] = ("prod", "staging", "dev")
VERSIONS: tuple[str, ...] = ("v1", "v2", "v3")
PRODUCTS: tuple[str, ...] = (
    "shop", "billing", "identity", "media", "ledger", "search", "mail", "analytics", "booking", "chat",
)

#: Tier that usually calls each tier (who sits upstream).
UPSTREAM: dict[str, tuple[str, ...]] = {
    "web": ("web",),
    "api": ("web", "api"),
    "backend": ("api", "backend"),
    "db": ("api", "backend"),
    "cache": ("api", "backend"),
    "queue": ("backend", "api"),
}

#: Service port in front of each named container port (others keep their number).
SERVICE_PORT = {"http": 80, "https": 443}

#: Address ranges outside the cluster that policies mention.
PUBLIC_NETS: tuple[str, ...] = (
    "203.0.113.0/24", "198.51.100.0/24", "192.0.2.0/24", "100.64.0.0/10", "52.0.0.0/11", "35.190.0.0/16",
)
PRIVATE_NETS: tuple[str, ...] = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")

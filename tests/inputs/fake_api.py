"""A tiny Kubernetes API on 127.0.0.1 serving recorded list responses, and a kubeconfig pointing at it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

NOT_FOUND = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404}


def forbidden(resource: str) -> tuple[int, dict]:
    """The API server's answer to a list the account may not do."""
    return 403, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden", "code": 403,
                 "message": f'{resource} is forbidden: User "dev" cannot list resource "{resource}"'}


class FakeApi:
    """Serves `routes` (path -> (status, body)); 404 for any other path; records every request."""

    def __init__(self, routes: dict[str, tuple[int, dict]]) -> None:
        self.routes = routes
        self.requests: list[tuple[str, str]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = urlparse(self.path).path
                api.requests.append(("GET", self.path))
                status, body = api.routes.get(path, (404, NOT_FOUND))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def kubeconfig(path: Path, server: str, context: str = "kind-dev") -> Path:
    """A kubeconfig with one context `context` for `server`, a bearer token as credentials."""
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": "dev", "cluster": {"server": server}}],
        "users": [{"name": "dev", "user": {"token": "t0ken"}}],
        "contexts": [{"name": context, "context": {"cluster": "dev", "user": "dev"}}],
    }))
    return path


def listing(kind: str, items: list[dict]) -> tuple[int, dict]:
    """A list response as the API server sends it: items carry neither kind nor apiVersion."""
    return 200, {"kind": f"{kind}List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": items}

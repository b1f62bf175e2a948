"""What the lab needs from the machine: root, `ip` and `nft`, and which protocols the kernel offers."""

from __future__ import annotations

import importlib.util
import os
import resource
import shutil
import socket

from netpolicy.lab.errors import LabPrivilegeError, LabToolMissingError

TOOLS = {"ip": "iproute2", "nft": "nftables"}


def require_lab_environment() -> None:
    """Raise a clear error unless we are root and both `ip` and `nft` are installed."""
    if os.geteuid() != 0:
        raise LabPrivilegeError(
            "netpolicy lab needs root: it creates network namespaces, veth pairs and nftables rules "
            "(run it with sudo, or as root in a container with CAP_NET_ADMIN and CAP_SYS_ADMIN)")
    if importlib.util.find_spec("pyroute2") is None:
        raise LabToolMissingError("the lab needs the Python package pyroute2: pip install 'netpolicy[lab]'")
    for tool, package in TOOLS.items():
        if shutil.which(tool) is None:
            raise LabToolMissingError(
                f"`{tool}` was not found on PATH: the lab needs it; install Debian's `{package}` package "
                f"(apt-get install {package}), or run `make test` as root, which installs it")


def missing_requirement() -> str | None:
    """Why the lab cannot run here, or None when it can (for skipping tests with a message)."""
    try:
        require_lab_environment()
    except (LabPrivilegeError, LabToolMissingError) as error:
        return str(error)
    return None


def sctp_supported() -> bool:
    """Whether this kernel can open SCTP sockets (many container kernels have no SCTP module)."""
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_SCTP).close()
    except OSError:
        return False
    return True


def raise_open_file_limit() -> int:
    """Raise the soft open-file limit to the hard one (probes keep many sockets open); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 1 << 16)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard

"""Errors the lab raises when it cannot run or is asked about something that does not exist."""

from __future__ import annotations

from netpolicy.errors import NetpolicyError


class LabError(NetpolicyError):
    """The lab could not do what was asked."""


class LabPrivilegeError(LabError):
    """The lab needs root (network namespaces, veths and nftables need CAP_NET_ADMIN and CAP_SYS_ADMIN)."""


class LabToolMissingError(LabError):
    """A program the lab drives (`ip`, `nft`) is not installed."""


class LabNotFoundError(LabError):
    """No lab, or no endpoint in a lab, has the name given."""


class LabSetupError(LabError):
    """A command that builds the lab failed; the lab was torn down again."""

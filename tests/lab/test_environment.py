"""Clear errors when the lab cannot run: not root, or `ip`/`nft` missing."""

from __future__ import annotations

import shutil

import pytest

from netpolicy.errors import NetpolicyError
from netpolicy.lab import environment
from netpolicy.lab.errors import LabPrivilegeError, LabToolMissingError


def test_not_root_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(environment.os, "geteuid", lambda: 1000)
    with pytest.raises(LabPrivilegeError, match="needs root") as caught:
        environment.require_lab_environment()
    assert isinstance(caught.value, NetpolicyError)
    assert "needs root" in environment.missing_requirement()


@pytest.mark.parametrize("tool, package", [("nft", "nftables"), ("ip", "iproute2")])
def test_missing_tool_names_the_package(monkeypatch, tool, package):
    monkeypatch.setattr(environment.os, "geteuid", lambda: 0)
    monkeypatch.setattr(shutil, "which", lambda name: None if name == tool else f"/usr/sbin/{name}")
    with pytest.raises(LabToolMissingError, match=f"apt-get install {package}"):
        environment.require_lab_environment()


def test_sctp_support_is_detected_without_raising():
    assert environment.sctp_supported() in (True, False)

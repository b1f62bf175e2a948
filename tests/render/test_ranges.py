"""External ranges in text are CIDRs (or one CIDR `except` its holes, when shorter); JSON keeps the ids.

The CLI cases use the Kubernetes docs' NetworkPolicy example (kubernetes/website
content/en/examples/service/networking/networkpolicy.yaml): `ipBlock 172.17.0.0/16 except 172.17.1.0/24`
and `10.0.0.0/24` cut the address space into seven ranges.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netpolicy.cli import app
from netpolicy.render.ranges import display_id

from ..cli.docs_example import POLICY, write_example

CASES = [
    # the issue's own example: nine CIDRs, and no shorter `except` form exists
    ("0.0.0.0-192.168.162.255", "0.0.0.0/1, 128.0.0.0/2, 192.0.0.0/9, 192.128.0.0/11, 192.160.0.0/13, "
                                "192.168.0.0/17, 192.168.128.0/19, 192.168.160.0/23, 192.168.162.0/24"),
    ("0.0.0.0-9.255.255.255", "0.0.0.0/5, 8.0.0.0/7"),                   # tie-free: plain list is shorter
    ("10.0.0.0-10.0.0.255", "10.0.0.0/24"),                              # one CIDR
    ("172.17.2.0-172.17.255.255", "172.17.0.0/16 except 172.17.0.0/23"),  # 2 terms instead of 7
    ("172.18.0.0-255.255.255.255", "128.0.0.0/1 except 128.0.0.0/3, 160.0.0.0/5, 168.0.0.0/6, 172.0.0.0/12, "
                                   "172.16.0.0/15"),                     # 6 terms instead of 10
    ("0.0.0.0-255.255.255.255", "0.0.0.0/0"),
    ("10.1.2.3-10.1.2.3", "10.1.2.3/32"),
    ("::-fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0 except fe80::/9, ff00::/8"),
]


@pytest.mark.parametrize(("span", "text"), CASES)
def test_ranges_read_as_cidrs(span: str, text: str) -> None:
    assert display_id(f"external:{span}") == text


@pytest.mark.parametrize(("span", "text"), CASES)
def test_the_words_cover_exactly_the_range(span: str, text: str) -> None:
    first, last = (ipaddress.ip_address(a) for a in span.split("-"))
    head, _, holes = text.partition(" except ")
    kept = {n for part in head.split(", ") for n in [ipaddress.ip_network(part)]}
    removed = [ipaddress.ip_network(h) for h in holes.split(", ")] if holes else []
    assert len(kept) == 1 or not removed
    covered = sum(n.num_addresses for n in kept) - sum(h.num_addresses for h in removed)
    assert covered == int(last) - int(first) + 1
    for net in kept:
        assert all(h.subnet_of(net) for h in removed)
        if not removed:
            assert first <= net.network_address and net.broadcast_address <= last
    for hole in removed:
        assert hole.broadcast_address < first or hole.network_address > last


def test_other_ids_are_left_alone() -> None:
    assert display_id("default/web") == "default/web"
    assert display_id("external:not-an-address") == "external:not-an-address"


def test_matrix_markdown_shows_cidrs_and_json_keeps_ids(tmp_path: Path) -> None:
    policy, app_file = write_example(tmp_path)
    runner = CliRunner()
    markdown = runner.invoke(app, ["matrix", "-f", str(policy), str(app_file), "-o", "md"])
    assert markdown.exit_code == 0, markdown.output
    assert "| default/redis | 10.0.0.0/24 | TCP 5978 |" in markdown.stdout
    assert "| 172.17.0.0/16 except 172.17.0.0/23 | default/redis | TCP 6379 |" in markdown.stdout
    assert "172.17.2.0-" not in markdown.stdout
    data = json.loads(runner.invoke(app, ["matrix", "-f", str(policy), str(app_file), "-o", "json"]).stdout)
    ids = {e["id"]: e.get("cidrs") for e in data["endpoints"]}
    assert ids["external:172.17.2.0-172.17.255.255"][0] == "172.17.2.0/23"


def test_diff_and_graph_labels_show_cidrs(tmp_path: Path) -> None:
    before, app_file = write_example(tmp_path)
    after = tmp_path / "after.yaml"
    after.write_text(POLICY.replace("172.17.1.0/24", "172.17.1.0/25"))
    runner = CliRunner()
    diff = runner.invoke(app, ["diff", "--before", str(before), "--after", str(after), "-f", str(app_file)])
    assert diff.exit_code in (0, 1), diff.output
    assert "172.17.1.128/25" in diff.stdout and "external:" not in diff.stdout
    dot = runner.invoke(app, ["matrix", "-f", str(before), str(app_file), "-o", "dot"])
    assert "172.17.0.0/16 except 172.17.0.0/23" in dot.stdout

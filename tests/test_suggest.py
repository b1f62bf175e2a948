"""The one home of suggestions: nearest names and `did you mean` text, as every part of netpolicy uses them."""

from __future__ import annotations

import pytest

from netpolicy.suggest import case_hint, closest, did_you_mean, nearest


@pytest.mark.parametrize("word, candidates, n, expected", [
    ("tcp", ["TCP", "UDP", "SCTP"], 1, ["TCP"]),             # equal but for case comes first
    ("ICMP", ["TCP", "UDP", "SCTP"], 1, []),                 # two edits in four letters is no slip
    ("wbe", ["x/web", "web", "db"], 3, ["web"]),             # a swap of neighbours is one edit
    ("ingres", ["ingress", "egress"], 1, ["ingress"]),
    ("form", ["from", "to", "ports"], 1, ["from"]),
    ("x/wbe", ["x/web", "x/db", "x/wb"], 3, ["x/wb", "x/web"]),  # ties alphabetical
    ("web", ["web"], 1, []),                                  # the word itself is no suggestion
])
def test_closest(word, candidates, n, expected):
    assert closest(word, candidates, n) == expected


def test_nearest_and_words():
    assert nearest("djangob", ["django", "postgres-db"]) == "django"
    assert nearest("zzz", ["django"]) is None
    assert did_you_mean(["a", "b"]) == "did you mean a, b?"
    assert did_you_mean(["Allow"], quote=True) == "did you mean 'Allow'?"
    assert did_you_mean(["app: web", "tier: db"], separator=" / ") == "did you mean app: web / tier: db?"
    assert did_you_mean([]) == ""
    assert case_hint("allow", ("Allow", "Deny")) == "values are case-sensitive: did you mean 'Allow'?"
    assert case_hint("permit", ("Allow", "Deny")) == ""

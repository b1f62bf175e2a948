"""nftables compiled from the policy IR, laid out as Calico's Felix lays out its chains."""

from netpolicy.lab.nft.layout import compile_ruleset

__all__ = ["compile_ruleset"]

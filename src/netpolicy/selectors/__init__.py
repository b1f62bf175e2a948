"""Calico's selector language and Kubernetes label selectors, parsed to one AST."""

from netpolicy.selectors.ast import ALL, Selector

__all__ = ["ALL", "Selector", "parse", "SelectorError"]


def __getattr__(name: str):
    # The lark-based parser loads lazily so that importing the package stays cheap.
    if name in ("parse", "SelectorError"):
        from netpolicy.selectors import parser

        return getattr(parser, name)
    raise AttributeError(name)

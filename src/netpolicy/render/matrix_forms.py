"""Which form `matrix` writes: every pair, or (asked for, or when the pairs are too many) the compact
JSON form or the text summary."""

from __future__ import annotations

import sys

from netpolicy.errors import InputError

#: Allowed pairs (an upper bound) above which `matrix --form auto` writes the compact form or a summary.
COMPACT_ABOVE = 200_000


def write_compact_or_summary(result, output: str, form: str, group_by: str, stream, stage=None) -> bool:
    """The compact JSON form or the text summary, when asked for or when the pairs are too many
    (`--form auto`); False when the pairs are to be written."""
    from netpolicy.engine.compact import compact_connectivity
    from netpolicy.engine.pairs import endpoint_classes

    classes = endpoint_classes(result)
    compact = compact_connectivity(result, classes, stage)
    bound = compact.pair_bound(endpoints=group_by == "endpoint")
    if form == "auto" and bound <= COMPACT_ABOVE:
        return False
    if output == "json":
        from netpolicy.render.matrix_compact import write_compact_json

        if form == "auto":
            print(f"up to {bound:,} allowed {group_by} pairs: writing the compact form; --form pairs for every pair",
                  file=sys.stderr)
        write_compact_json(compact, stream)
    elif output == "text":
        from netpolicy.render.matrix_summary import render_summary

        render_summary(compact, bound, stream)
    else:
        raise InputError(f"up to {bound:,} allowed {group_by} pairs: -o {output} would list every pair",
                         suggestion=f"-o json for the compact form, or -o {output} --form pairs for every pair")
    return True

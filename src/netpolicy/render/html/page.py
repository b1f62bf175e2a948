"""Assemble the report page: template, styles, bundled libraries, the data as escaped JSON, the page's code.

Nothing in the page is fetched: every script and style is inlined, and the data is a
`<script type="application/json">` block that the page's code reads and inserts only as text.
"""

from __future__ import annotations

import json
import re
from importlib import resources

VENDOR = ("vendor/cytoscape.min.js",)   # bundled libraries (versions and licences in vendor/README.md)
SCRIPTS = ("views.js", "app.js")        # the page's own code, in load order

_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(data) -> str:
    """JSON that is safe inside a `<script>` element: no `<`, `>`, `&` or JavaScript line separators."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return "".join(_JSON_ESCAPES.get(ch, ch) for ch in text) if any(c in text for c in _JSON_ESCAPES) else text


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _inline_script(code: str) -> str:
    """A script's code made safe to inline (a literal `</script` would end the element)."""
    return code.replace("</script", "<\\/script")


def render_page(data: dict) -> str:
    """The whole report page for `report_data`'s output (one pass over the template's `{{MARKER}}`s, so
    nothing inserted is ever read as a marker)."""
    values = {
        "STYLE": _asset("report.css"),
        "LIBRARIES": "\n".join(f"<script>{_inline_script(_asset(name))}</script>" for name in VENDOR),
        "DATA": script_json(data),
        "SCRIPTS": "\n".join(f"<script>\n{_inline_script(_asset(name))}\n</script>" for name in SCRIPTS),
    }
    return re.sub(r"\{\{([A-Z]+)\}\}", lambda m: values[m.group(1)], _asset("report.html"))

"""The report page without a browser: escaped data, inlined assets, the command's errors."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from netpolicy.cli import app
from netpolicy.render.html.page import render_page, script_json


@pytest.mark.parametrize("text", ["</script><script>alert(1)</script>", "a & b", "x\u2028y\u2029z", "<!--"])
def test_json_for_a_script_element_round_trips_without_markup(text):
    encoded = script_json({"label": text})
    assert not re.search("[<>&\u2028\u2029]", encoded)
    assert json.loads(encoded) == {"label": text}


def test_page_is_self_contained_and_data_cannot_end_its_element():
    page = render_page({"meta": {"title": "</script><b>x</b>"}})
    assert "</script><b>" not in page and "{{" not in page.split('id="netpolicy-data"')[0]
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)   # nothing fetched
    assert "cytoscape" in page and "Content-Security-Policy" in page


@pytest.mark.parametrize(("args", "message"), [
    ([], "no input"),
    (["-f", "examples/trojanwall/manifests", "--diff"], "--diff needs the before side"),
    (["-f", "x", "--before", "a", "--git", "HEAD"], "--before and --git"),
])
def test_report_argument_errors(args, message):
    result = CliRunner().invoke(app, ["report", *args, "-o", "/dev/null"])
    assert result.exit_code == 2 and message in result.output

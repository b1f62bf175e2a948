"""`python -m bench.report_page [--size 1k]`: how long `netpolicy report` takes on a generated cluster, how big
the page is, and how long headless chromium takes to open it (load until the page says it is ready).

Needs Debian's chromium and the playwright package (`make install-test` as root); the goal is under 2 s
at 1,000 workloads.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.generate import ensure_generated
from bench.sizes import parse_sizes

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def open_seconds(page_path: Path, repeat: int) -> list[float]:
    """Seconds from navigation until the page is ready, for each of `repeat` fresh pages in one browser."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for _ in range(repeat):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            start = time.perf_counter()
            page.goto(page_path.as_uri())
            page.wait_for_selector("body[data-ready='1']", timeout=60000)
            times.append(time.perf_counter() - start)
            page.close()
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.report_page", description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1k")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    (size,) = parse_sizes(args.size, "mixed")
    directory = ensure_generated(size).directory
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.html"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "netpolicy", "report", "-f", str(directory), "-o", str(out)], check=True)
        build = time.perf_counter() - start
        times = open_seconds(out, args.repeat)
        print(f"{size.variant}: report built in {build:.1f} s, {out.stat().st_size / 1e6:.2f} MB; "
              f"opened in chromium in {min(times):.2f} s (best of {len(times)}: "
              f"{', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()

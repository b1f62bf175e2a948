"""Headless Debian chromium driven by playwright, for the report's browser tests (skipped without them)."""

from __future__ import annotations

import contextlib
import os
import shutil

import pytest

CHROMIUM = os.environ.get("NETPOLICY_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def require_browser():
    """playwright's sync API, or skip the test with the reason."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need the playwright package (pip install -e '.[test]')")
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.skip(f"browser tests need chromium at {CHROMIUM} (Debian: apt-get install chromium; make install-test as root)")
    return sync_playwright


@contextlib.contextmanager
def launched():
    """One headless chromium, shared by a module's tests (each opens its page in a fresh context)."""
    sync_playwright = require_browser()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def open_page(browser, path, fragment: str = ""):
    """The report opened in a new context of `browser`; yields (page, console errors, requests that left the page)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        errors: list[str] = []
        outside: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def route(r):
            url = r.request.url
            if url.startswith(("file:", "data:", "blob:")):
                r.continue_()
            else:
                outside.append(url)
                r.abort()

        page.route("**/*", route)
        page.add_init_script("window.__alerts = []; window.alert = (x) => { window.__alerts.push(String(x)); };")
        page.goto(f"file://{path}{fragment}")
        page.wait_for_selector("body[data-ready='1']", timeout=20000)
        yield page, errors, outside
    finally:
        context.close()

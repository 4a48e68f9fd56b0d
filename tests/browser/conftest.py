"""Fixtures for real-browser tests: the app served on a free local port, and a Chromium page.

The app runs against the session's test database with real commits (``committed_app``
wipes every row afterwards). Chromium is Debian's (``/usr/bin/chromium``), driven
headless by Playwright; no browser is ever downloaded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from werkzeug.serving import make_server

from tests.browser.support import CHROMIUM, CHROMIUM_ARGS
from tests.factories import Factory


@dataclass
class LiveServer:
    """The running app: its base URL and factories that commit into its database."""

    app: Flask
    url: str
    make: Factory

    def __call__(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.url + path


@pytest.fixture
def live_server(committed_app) -> Iterator[LiveServer]:
    """Serve the committed app on 127.0.0.1 and a free port in a thread; stop it afterwards."""
    app = committed_app
    # The browser talks to 127.0.0.1:<port>; a fixed SERVER_NAME would 404 every request.
    app.config["SERVER_NAME"] = None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}", make=Factory(app))
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, started once for the browser tests and closed after them."""
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def new_page(chromium) -> Iterator[Callable[[], Page]]:
    """Make pages in fresh English-speaking browser contexts (own cookies and storage, like
    separate devices); every context is closed after the test."""
    contexts: list[BrowserContext] = []

    def make() -> Page:
        context = chromium.new_context(locale="en-US")
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    try:
        yield make
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def browser_page(new_page) -> Page:
    """A page in a fresh browser context (no cookies of another test)."""
    return new_page()

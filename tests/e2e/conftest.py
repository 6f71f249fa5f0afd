"""Browser tests drive Debian's Chromium through Playwright's sync API (never `playwright install`)."""

import os
from pathlib import Path

import pytest
from django.db import connections

# Playwright's sync API runs an event loop in this thread; the ORM calls made here are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def page(django_db_setup, live_server):
    """A Chromium page. Requesting django_db_setup before live_server makes the live server stop before the test
    database is dropped; the connections opened under Playwright's loop (Django keys them by context, and nothing
    else closes them) are closed so PostgreSQL can drop the database."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()
            connections.close_all()  # while Playwright's loop still runs: the same context as the test's queries

"""The server as students meet it: an error inside the app shows a short message, its trace goes to the log."""

import tomllib
from pathlib import Path

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, IDLE_SCRIPT, start_server

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_students_are_shown_no_error_details():
    assert CONFIG["client"]["showErrorDetails"] == "none"


@pytest.mark.browser
def test_an_error_inside_the_app_shows_no_traceback_and_is_logged(tmp_path):
    from playwright.sync_api import sync_playwright

    log = tmp_path / "server.log"
    server = start_server(log=log, script="tests/scripts/crash.py")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(server.url)
            page.locator(IDLE_SCRIPT).wait_for(timeout=60_000)
            page.get_by_test_id("stAlertContentError").wait_for(timeout=30_000)
            shown = page.get_by_test_id("stMain").inner_text()
            browser.close()
    finally:
        server.stop()
    assert "A page that fails" in shown and "Something went wrong on this page" in shown
    for secret in ("Traceback", "secret detail", "/srv/rnnlab", "crash.py", "RuntimeError", "google", "Ask"):
        assert secret not in shown, (secret, shown)
    logged = log.read_text()
    assert "Traceback" in logged and "secret detail: /srv/rnnlab/data/students.db" in logged

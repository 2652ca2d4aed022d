"""The server as students meet it: an error inside the app shows a short message, its trace goes to the log."""

import tomllib
from pathlib import Path

import pytest

from tests.browser import IDLE_SCRIPT, start_server

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_students_are_shown_no_error_details():
    assert CONFIG["client"]["showErrorDetails"] == "none"


@pytest.mark.browser
def test_an_error_inside_the_app_shows_no_traceback_and_is_logged(page, tmp_path):
    log = tmp_path / "server.log"
    server = start_server(log=log, script="tests/scripts/crash.py")
    try:
        page.goto(server.url)
        page.locator(IDLE_SCRIPT).wait_for(timeout=60_000)
        page.get_by_test_id("stAlertContentError").wait_for(timeout=30_000)
        shown = page.get_by_test_id("stMain").inner_text()
    finally:
        server.stop()
    assert "A page that fails" in shown and "Something went wrong on this page" in shown
    for secret in ("Traceback", "secret detail", "/srv/rnnlab", "crash.py", "RuntimeError", "google", "Ask"):
        assert secret not in shown, (secret, shown)
    logged = log.read_text()
    assert "Traceback" in logged and "secret detail: /srv/rnnlab/data/students.db" in logged


def test_the_browsers_upload_limit_and_the_readers_agree():
    """Issue 11: the browser refused files over 20,000,000 bytes while the server read up to 20 MiB."""
    from rnncore.data import MAX_BYTES, DataError, load_csv

    assert MAX_BYTES == CONFIG["server"]["maxUploadSize"] * 1_000_000
    ok = b"v\n" + b"1\n" * ((MAX_BYTES - 2) // 2)
    assert len(ok) <= MAX_BYTES and len(load_csv(ok, max_rows=10**7).frame) > 0
    with pytest.raises(DataError) as refused:
        load_csv(ok + b"12\n")
    assert "over the limit of 20 MB" in str(refused.value)

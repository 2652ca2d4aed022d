"""No one gets in, in a real browser: text from a link never runs as script, the key cookies are HttpOnly (no
page script reads them), every answer carries the security headers, and a name is plain text in a chart."""

from __future__ import annotations

import urllib.parse
import urllib.request

import pytest

from rnncore.classroom.challenge import Challenge
from rnncore.classroom.classroom import Classroom
from rnncore.config import ExperimentConfig
from rnncore.store import open_store
from tests.browser import go_to, open_app, start_server, wait_idle
from tests.test_browser import wait_for

pytestmark = pytest.mark.browser
ATTACK = "</script><script>window.__pwned = document.cookie; document.title = 'pwned'</script>"
HOSTILE = '<a href="//e.vil">x</a>'
KEY_COOKIES = {"rnnlab_workspace", "rnnlab_teacher"}


@pytest.fixture(scope="module")
def store_url(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('security')}/runs.sqlite3"


@pytest.fixture(scope="module")
def server(store_url, tmp_path_factory):
    log = tmp_path_factory.mktemp("security-server") / "server.log"
    running = start_server(env={"RNNLAB_STORE": store_url}, log=log)
    yield running
    running.stop()


def pwned(page) -> list:
    """What the attacker's script left in the page or any of its frames."""
    return [frame.evaluate("window.__pwned ?? null") for frame in page.frames if not frame.is_detached()]


def key_cookies(context) -> dict[str, dict]:
    return {c["name"]: c for c in context.cookies() if c["name"] in KEY_COOKIES}


def test_script_in_a_teacher_or_workspace_link_never_runs(server, new_context):
    context = new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for param in ("teacher", "workspace"):
        open_app(page, f"{server.url}/learn?{param}={urllib.parse.quote(ATTACK)}")
        wait_idle(page)
        assert wait_for(lambda: "rnnlab_workspace" in key_cookies(context), timeout=30)
        assert not [value for value in pwned(page) if value is not None], param
        assert page.title() != "pwned"
        assert "__pwned" not in page.content()
        for frame in page.frames:
            assert "__pwned" not in frame.content(), frame.url
    assert "rnnlab_teacher" not in key_cookies(context), "text that is not a key was kept as the teacher key"
    assert not errors


def test_the_key_cookies_are_set_by_the_server_httponly(server, store_url, new_context):
    store = open_store(store_url)
    try:
        _, teacher = Classroom(store).create_class("Security", Challenge(config=ExperimentConfig()))
    finally:
        store.close()
    context = new_context()
    page = context.new_page()
    open_app(page, f"{server.url}/teacher?teacher={teacher}")
    page.get_by_text("room", exact=False).first.wait_for(timeout=30_000)
    assert wait_for(lambda: set(key_cookies(context)) == KEY_COOKIES, timeout=30), key_cookies(context)
    for cookie in key_cookies(context).values():
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/", cookie
    assert key_cookies(context)["rnnlab_teacher"]["value"] == teacher
    assert "rnnlab_" not in page.evaluate("document.cookie")
    assert teacher not in page.content(), "the teacher key is in the page for any script (or a projector) to see"
    page.get_by_test_id("stMain").get_by_text("Show the link").click()  # the teacher asks for it
    assert wait_for(lambda: teacher in page.get_by_test_id("stMain").inner_text(), timeout=20)
    page.reload()  # the cookie, not the link, brings the teacher back
    open_app(page, page.url)
    assert "teacher=" not in page.url
    page.get_by_text("room", exact=False).first.wait_for(timeout=30_000)


def test_every_answer_carries_the_security_headers(server):
    for path in ("/", "/train?cell=gru", "/_stcore/health", "/rnnlab/cookie/not-a-ticket"):
        with urllib.request.urlopen(server.url + path, timeout=10) as response:
            headers = response.headers
            assert response.status in (200, 204), path
        policy = headers["Content-Security-Policy"]
        scripts = policy.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'self'" in policy and "'unsafe-inline'" not in scripts
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "SAMEORIGIN"
        assert headers["Referrer-Policy"] == "same-origin"
        assert not [v for k, v in headers.items() if k.lower() == "set-cookie" and "rnnlab_" in v], path


def test_a_file_and_a_column_name_are_plain_text_on_the_page_and_in_the_chart(server, new_context, tmp_path):
    csv = tmp_path / "www.e.vil mail@e.vil.csv"  # Markdown would link an address on its own, escaped or not
    rows = "\n".join(f"{i * 2 % 7},{i % 5}" for i in range(40))
    csv.write_text(f'"{HOSTILE.replace(chr(34), chr(34) * 2)}",other\n{rows}\n')  # a panel each, titled by its name
    context = new_context()
    page = context.new_page()
    open_app(page, server.url)
    go_to(page, "Data")
    page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(csv)
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for(timeout=30_000)
    assert wait_for(lambda: HOSTILE in chart.inner_text(), timeout=30), chart.inner_text()  # shown as written
    assert wait_for(lambda: "www.e.vil" in page.get_by_test_id("stSidebar").inner_text().replace("\u2060", ""))
    assert page.locator('a[href*="e.vil"]').count() == 0
    for frame in page.frames:
        assert frame.locator('a[href*="e.vil"]').count() == 0
    page.screenshot(path=tmp_path / "hostile_column.png", full_page=True)

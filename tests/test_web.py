"""The server's own HTTP answers (ui/web.py, ui/cookies.py), called as ASGI apps without a server: the cookie
route sets a key cookie once per ticket, HttpOnly, Secure over HTTPS; every answer gets the security headers."""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from ui import cookies, web
from ui.cookies import Tickets
from ui.state import cookie_tickets

KEY = "k" * 32


def call(app, path: str, scheme: str = "http") -> tuple[int, list[tuple[str, str]]]:
    """GET ``path`` from the ASGI ``app``: (status, headers)."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(b"host", b"example.org")], "scheme": scheme, "server": ("example.org", 443),
             "client": ("203.0.113.9", 5555), "root_path": "", "http_version": "1.1"}
    with ThreadPoolExecutor(1) as pool:  # a loop of its own: a browser test may leave one running in this thread
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], [(k.decode().lower(), v.decode()) for k, v in start["headers"]]


@pytest.fixture
def app():
    async def page(request):
        return PlainTextResponse("a page", headers={"X-Content-Type-Options": "nosniff"})

    return Starlette(routes=[*web.routes(), Route("/page", page)], middleware=web.middleware())


def set_cookies(headers) -> list[str]:
    return [value for name, value in headers if name == "set-cookie"]


def test_a_ticket_sets_its_cookie_once_httponly_strict(app):
    ticket = cookie_tickets().issue(cookies.WORKSPACE, KEY)
    status, headers = call(app, f"{cookies.ROUTE}/{ticket}")
    assert status == 204
    (cookie,) = set_cookies(headers)
    assert cookie.startswith(f"{cookies.WORKSPACE}={KEY};")
    parts = {p.strip().split("=")[0].lower() for p in cookie.split(";")}
    assert {"httponly", "path", "max-age", "samesite"} <= parts and "secure" not in parts
    assert "samesite=strict" in cookie.lower()
    assert set_cookies(call(app, f"{cookies.ROUTE}/{ticket}")[1]) == []  # used: a second load sets nothing
    assert cookie_tickets().state(ticket) == "used"


def test_over_https_the_cookie_is_secure_and_an_empty_value_removes_it(app):
    (cookie,) = set_cookies(call(app, f"{cookies.ROUTE}/{cookie_tickets().issue(cookies.TEACHER, KEY)}", "https")[1])
    assert "secure" in cookie.lower()
    (removal,) = set_cookies(call(app, f"{cookies.ROUTE}/{cookie_tickets().issue(cookies.TEACHER, '')}")[1])
    assert re.search(r"max-age=0", removal, re.I)


def test_text_that_is_no_ticket_sets_nothing(app):
    for path in ("/x", "/" + KEY, "/%3Cscript%3E", "/" + "a" * 500):
        status, headers = call(app, cookies.ROUTE + path)
        assert status == 204 and set_cookies(headers) == []


def test_every_answer_carries_the_security_headers_once(app):
    for path in ("/page", f"{cookies.ROUTE}/nothing"):
        _, headers = call(app, path)
        names = [name for name, _ in headers]
        for header in ("content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy"):
            assert names.count(header) == 1, (path, header)
        policy = dict(headers)["content-security-policy"]
        scripts = re.search(r"script-src ([^;]*)", policy).group(1)
        assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
        assert "frame-ancestors 'self'" in policy and "object-src 'none'" in policy


def test_the_policy_allows_exactly_the_inline_scripts_of_streamlits_page():
    html = "<script>a = 1</script><script src='x.js'></script><script type='module'>b()</script>"
    assert len(web.inline_script_hashes(html)) == 2
    assert web.inline_script_hashes(web.INDEX.read_text(encoding="utf-8")), "index.html has an inline script today"
    for source in web.inline_script_hashes(web.INDEX.read_text(encoding="utf-8")):
        assert source in web.content_security_policy(web.INDEX.read_text(encoding="utf-8"))


def test_tickets_expire_and_are_bounded():
    tickets = Tickets(seconds=0.05, most=3)
    first = tickets.issue("c", KEY)
    deadline = time.monotonic() + 5
    while tickets.state(first) == "open" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert tickets.state(first) == "gone" and tickets.redeem(first) is None
    tickets = Tickets(most=3)
    issued = [tickets.issue("c", KEY) for _ in range(5)]
    assert [tickets.state(t) for t in issued] == ["gone", "gone", "open", "open", "open"]
    assert tickets.redeem(issued[-1]) == ("c", KEY) and tickets.redeem(issued[-1]) is None


@pytest.mark.parametrize("value", ["", "short", "</script><script>alert(1)</script>", "a b" * 20, None, 7])
def test_only_keys_are_keys(value):
    assert not cookies.is_key(value)
    assert cookies.is_key(KEY)

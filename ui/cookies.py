"""The cookies that hold keys (a workspace's, a teacher's), written by the server so that no page script reads them.

A page script talks to the browser over a websocket and cannot set a header. So a session that wants a
cookie set takes a one-time ticket for it (``write``) and draws a one-pixel frame of ``/rnnlab/cookie/TICKET``
until the browser has loaded it (``frame``). The server's answer to that request (``answer``, a route of
app.py) sets the cookie: HttpOnly (no script in any page reads it), SameSite=Strict (no other site's page
sends it), Secure when the request came over HTTPS, for the whole site, about a year. A ticket is 128
random bits, works once and for a minute, and names a cookie and a value the server chose: the request
brings nothing else that is read. The browser sends the cookie back with the websocket of every later
visit, where ``st.context.cookies`` reads it.

Nothing read from a cookie or a link is used before it is checked to be a key (``is_key``).
"""

from __future__ import annotations

import secrets
import threading
import time

import streamlit as st
from starlette.responses import Response

from rnncore.store.runstore import KEY_PATTERN
from ui.i18n import t
from ui.state import COOKIES_PENDING, COOKIES_WRITTEN, cookie_tickets

WORKSPACE = "rnnlab_workspace"  # the browser's workspace key (ui.workspace)
TEACHER = "rnnlab_teacher"  # the teacher key of the class this browser runs (ui.classroom)
ROUTE = "/rnnlab/cookie"  # app.py serves ROUTE/TICKET with ``answer``
DAYS = 400  # the longest a browser keeps a cookie
TICKET_SECONDS = 60.0  # a ticket not used by then is drawn again under a new one
MOST_TICKETS = 10_000  # open tickets in this process; the oldest go first


def is_key(value) -> bool:
    """Whether ``value`` has a key's shape (URL-safe characters, 32 to 64 of them)."""
    return isinstance(value, str) and KEY_PATTERN.fullmatch(value) is not None


class Tickets:
    """The process's tickets: open ones (ticket -> cookie name, value, when it expires) and those used in the last
    minute. Thread-safe: sessions issue tickets from their script threads, the server redeems them in its loop."""

    def __init__(self, seconds: float = TICKET_SECONDS, most: int = MOST_TICKETS):
        self.seconds, self.most = seconds, most
        self._lock = threading.Lock()
        self._open: dict[str, tuple[str, str, float]] = {}
        self._used: dict[str, float] = {}  # ticket -> when it is forgotten

    def issue(self, name: str, value: str) -> str:
        now = time.monotonic()
        ticket = secrets.token_urlsafe(16)
        with self._lock:
            self._open = {t: held for t, held in self._open.items() if held[2] > now}
            self._used = {t: until for t, until in self._used.items() if until > now}
            while len(self._open) >= self.most:
                del self._open[next(iter(self._open))]
            self._open[ticket] = (name, value, now + self.seconds)
        return ticket

    def redeem(self, ticket: str) -> tuple[str, str] | None:
        """The cookie of an open ticket, which is used now; None for any other text."""
        now = time.monotonic()
        with self._lock:
            held = self._open.pop(ticket, None)
            if held is None or held[2] <= now:
                return None
            self._used[ticket] = now + self.seconds
        return held[0], held[1]

    def state(self, ticket: str) -> str:
        """"open", "used" (its cookie was set), or "gone" (expired unused, or never issued here)."""
        now = time.monotonic()
        with self._lock:
            if ticket in self._used:
                return "used"
            held = self._open.get(ticket)
        return "open" if held is not None and held[2] > now else "gone"


async def answer(request) -> Response:
    """The route: an empty answer that sets the ticket's cookie (any other ticket sets nothing)."""
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    found = cookie_tickets().redeem(request.path_params.get("ticket", ""))
    if found is not None:
        name, value = found
        response.set_cookie(name, value, max_age=DAYS * 86400 if value else 0, path="/", httponly=True,
                            samesite="strict", secure=request.url.scheme == "https")
    return response


def write(name: str, value: str) -> None:
    """This browser's cookie ``name`` should hold the key ``value`` ("": none). Set once ``frame`` has been drawn
    and the browser loaded it; this session reads the new value from now on."""
    if value and not is_key(value):
        raise ValueError(f"cookie {name} takes a key, not {value[:8]!r}…")
    st.session_state.setdefault(COOKIES_WRITTEN, {})[name] = value
    pending = st.session_state.setdefault(COOKIES_PENDING, {})
    pending[name] = cookie_tickets().issue(name, value)


def read(name: str) -> str | None:
    """The key in cookie ``name``: what this session wrote last, else what the browser sent; None when that is
    not a key."""
    written = st.session_state.get(COOKIES_WRITTEN, {})
    value = written[name] if name in written else st.context.cookies.get(name)
    return value if is_key(value) else None


def frame() -> None:
    """The frames that set this session's pending cookies, drawn on every run until the browser has loaded each
    (a frame drawn once could be taken away by the next run before it loads); a ticket that expired unused is
    drawn again under a new one."""
    pending = st.session_state.get(COOKIES_PENDING)
    if not pending:
        return
    tickets, written = cookie_tickets(), st.session_state.get(COOKIES_WRITTEN, {})
    for name, ticket in list(pending.items()):
        state = tickets.state(ticket)
        if state == "used":
            del pending[name]
            continue
        if state == "gone":
            pending[name] = tickets.issue(name, written.get(name, ""))
        st.iframe(f"{ROUTE}/{pending[name]}", height=1, tab_index=-1)


def reveal(link: str, widget_key: str) -> None:
    """A link that holds a key, drawn only while its toggle is on: a screen shown to a class, or a page script,
    finds no key in the page until its owner asks for it (and it goes again when the toggle is turned off)."""
    if st.toggle(t("key_link.show"), key=widget_key, help=t("key_link.help")):
        st.code(link, language=None, wrap_lines=True)

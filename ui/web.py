"""What RNN Lab's server adds to Streamlit's HTTP answers (app.py): its routes, and security headers.

Every answer carries headers Streamlit does not send on its own:
- ``Content-Security-Policy``: scripts, styles, frames and connections from this origin only (inline
  scripts only where index.html has them, by their hash), so a script that text from a user managed to
  put into the page would not run, and no other site may frame these pages.
- ``X-Frame-Options: SAMEORIGIN``: the same for browsers that do not read the policy's frame-ancestors.
- ``X-Content-Type-Options: nosniff`` (a file is what its type says) and ``Referrer-Policy: same-origin``
  (an address with an experiment in it is not sent to other sites).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import streamlit
from starlette.middleware import Middleware
from starlette.routing import Route

from ui import cookies

INDEX = Path(streamlit.__file__).parent / "static" / "index.html"  # the page Streamlit serves for every path


def inline_script_hashes(html: str) -> list[str]:
    """CSP sources ('sha256-…') of the inline scripts of ``html``: the only inline scripts allowed to run."""
    found = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, flags=re.S)
    return [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in found]


def content_security_policy(html: str) -> str:
    scripts = " ".join(["'self'", *inline_script_hashes(html)])
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",  # Streamlit's and Plotly's components set styles inline
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",  # the app's websocket and uploads
        "frame-src 'self'",  # the cookie frame (ui/cookies.py)
        "frame-ancestors 'self'",  # no other site frames the app (clickjacking)
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ])


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP answer (a header already set is kept)."""

    def __init__(self, app, policy: str):
        self.app = app
        self.headers = [(b"content-security-policy", policy.encode()), (b"x-frame-options", b"SAMEORIGIN"),
                        (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *[(name, value) for name, value in self.headers if name not in present]]
            await send(message)

        await self.app(scope, receive, with_headers)


def routes() -> list[Route]:
    return [Route(cookies.ROUTE + "/{ticket}", cookies.answer)]


def middleware() -> list[Middleware]:
    return [Middleware(SecurityHeaders, policy=content_security_policy(INDEX.read_text(encoding="utf-8")))]

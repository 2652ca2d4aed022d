"""Parts of a page that rerun on their own (``st.fragment``), kept to the page that drew them.

The browser asks for a fragment's rerun with the page it shows, and on a busy server it can ask for one on
the page it is leaving: a run of the old page can tell the browser to rerun its fragment after the user
clicked the next page. If the server then runs that fragment, for the old page, Streamlit's frontend takes
the run as a page change and clears the whole page; the fragment's first element then has nowhere to go
("Bad delta path index 5 (should be between [0, 0])") and the tab stops answering until it is reloaded.
Seen in benchmarks/classroom_load.py; tests/test_browser_fragments.py sends such a rerun on purpose.

Two things keep that from happening (Streamlit 1.67):
- each full run first forgets the fragments of the runs before it. Streamlit forgets them only when a run
  ends normally, so after a page that stops early (``st.stop``) the last page's fragments could still run;
  a rerun asked for a forgotten fragment is dropped by the server.
- a fragment drawn on every page (the sidebar's) checks that its run is for the page of the session's
  last full run; a run for another page draws nothing and sends the browser back to that page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ui.errors import LOG
from ui.state import FRAGMENT_PAGE


def start_page(page) -> None:
    """Called by navigation.py once the page of this full run is known (after ``st.navigation``), before any
    fragment."""
    ctx = get_script_run_ctx()
    if ctx is not None:
        ctx.fragment_storage.clear()  # this run registers its own again
        st.session_state[FRAGMENT_PAGE] = (ctx.page_script_hash, page)


def fragment(run_every: float | None = None) -> Callable[[Callable], Callable]:
    """``st.fragment(run_every=...)``, whose reruns for a page the browser has left go back to its page."""

    def wrap(body: Callable) -> Callable:
        @functools.wraps(body)  # the same name and module: Streamlit's fragment id stays the body's
        def guarded(*args, **kwargs):
            drawn = st.session_state.get(FRAGMENT_PAGE)
            if drawn is not None and _run_page() != drawn[0]:
                LOG.info("a rerun of %s for a page the browser has left: back to %s", body.__qualname__,
                         drawn[1].url_path or "home")
                st.switch_page(drawn[1])
            return body(*args, **kwargs)

        return st.fragment(guarded, run_every=run_every)

    return wrap


def _run_page() -> str:
    """The script hash of the page this run is for (a fragment's run: the page its browser asked with)."""
    ctx = get_script_run_ctx()
    return ctx.page_script_hash if ctx is not None else ""

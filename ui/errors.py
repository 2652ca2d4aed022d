"""When our own code fails on a page: the student sees a short message, the server's log gets the trace.

Errors a user can cause (bad data, a setting out of range) are messages of their own and never get
here; this is for bugs. Streamlit's ``client.showErrorDetails = "none"`` (.streamlit/config.toml) covers
whatever escapes even this.
"""

from __future__ import annotations

from contextlib import contextmanager

import streamlit as st
from streamlit.logger import get_logger

from ui.i18n import t

LOG = get_logger("rnnlab")


@contextmanager
def shielded(where: str):
    """Run a page, or a part of one that reruns on its own (a fragment), with this shield."""
    try:
        yield
    except Exception:  # st.rerun, st.stop and st.switch_page are BaseExceptions: they pass
        LOG.exception("an error on %s", where)
        st.error(t("app.error"), icon=":material/error:")

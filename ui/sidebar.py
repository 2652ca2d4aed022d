"""The sidebar every page shares: language, the loaded data, the training status, link notices."""

from __future__ import annotations

import streamlit as st

from ui import cookies, links, state, workspace
from ui.data_panels import size
from ui.fragments import fragment
from ui.i18n import LANGUAGES, explain_note, language, source_name, t
from ui.state import LANG, WIDGET_PREFIX, lab

LANGUAGE_WIDGET = WIDGET_PREFIX + "lang"


def _set_language() -> None:
    st.session_state[LANG] = st.session_state[LANGUAGE_WIDGET]


def language_switch() -> None:
    st.session_state[LANGUAGE_WIDGET] = language()
    st.selectbox(t("sidebar.language"), list(LANGUAGES), format_func=LANGUAGES.get,
                 key=LANGUAGE_WIDGET, on_change=_set_language)


def draw() -> None:
    session = lab()
    with st.sidebar:
        language_switch()
        if problems := links.problems():
            st.warning("\n".join([t("links.heading"), *(f"- {p}" for p in problems)]), icon=":material/link_off:")
        if session.dataset is not None:
            st.caption(t("sidebar.data", name=source_name(session.config.data.source), size=size(session.dataset)))
        training_status()
        workspace.panel()
        cookies.frame()


def training_status() -> None:
    """The session's training status, kept current while a run is going."""
    fragment(run_every=state.SIDEBAR_SECONDS if lab().status().moving else None)(_status)()


def _status() -> None:
    session = lab()
    status = session.status()
    if status != "idle":
        st.caption(t("sidebar.status", status=t(f"status.{status}")))
    for note in session.notices():
        st.info(explain_note(note, "storenote"), icon=":material/database:")
    if session.runs and not session.archive.stored:
        st.caption(t("sidebar.runs", count=len(session.runs)))
        st.caption(t("sidebar.session_note"))

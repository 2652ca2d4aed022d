"""Which workspace of the run store this browser works in, and the sidebar's piece about it.

The key lives in a cookie, not in the address bar (docs/ARCHITECTURE.md says why): the URL a student
copies holds the experiment, never the key. The one place a key travels in a URL is the workspace
link the sidebar shows on purpose (``?workspace=KEY``); opening it adopts that workspace, sets the
cookie, and the address bar loses the key at once (ui.links publishes the experiment without it).

Where the store cannot be used, the session keeps its runs in memory and the sidebar says so.
"""

from __future__ import annotations

import json
import secrets

import streamlit as st

from rnncore.errors import StoreError
from rnncore.lab.archive import StoreArchive
from ui.i18n import explain_error, t
from ui.state import lab, run_store, server_limits

COOKIE = "rnnlab_workspace"  # the browser's workspace key
PARAM = "workspace"  # the workspace link's query parameter
COOKIE_DAYS = 400  # the longest a browser keeps a cookie
SET = "workspace.cookies"  # the cookies this session writes into its browser: name -> value
SAID = "workspace.said"  # what opening the workspace said, once
MEMORY = "workspace.memory"  # why this session keeps runs in memory (a StoreError), while it does
CONFIRM = "w.workspace.confirm"  # the checkbox that arms "delete this workspace"


def attach() -> None:
    """On each run of the app: make sure this session keeps its runs in its browser's workspace."""
    session = lab()
    asked = st.query_params.get(PARAM)
    if session.archive.stored and asked in (None, session.archive.key):
        _remember(session.archive.key)
        return
    store, error = run_store()
    if store is None:
        st.session_state[MEMORY] = error
        return
    st.session_state.pop(MEMORY, None)
    if session.busy or (not session.archive.stored and session.runs):
        return  # runs in memory already (the store was down when they ran): they stay where they are
    try:
        key = _choose(store, asked)
        limits = server_limits()
        session.use_archive(StoreArchive(store, key, owner=secrets.token_hex(8), keep_models=limits.keep_models,
                                         max_runs=limits.keep_runs))
    except StoreError as exc:
        st.session_state[MEMORY] = exc
        return
    _remember(key)
    from ui.classroom import membership

    membership()  # a student's runs queue with their class's


def _choose(store, asked: str | None) -> str:
    """The link's workspace, else the cookie's, else a new one (said once when a key was not usable)."""
    for key, from_link in ((asked, True), (st.context.cookies.get(COOKIE), False)):
        if not key:
            continue
        try:
            if store.has_workspace(key):
                if from_link:
                    st.session_state[SAID] = ("info", t("workspace.opened", count=store.usage(key).runs))
                return key
            error = StoreError.keyed("no_workspace", workspace=f"{key[:6]}…")
        except StoreError as exc:
            if exc.key not in ("bad_workspace_key", "no_workspace"):
                raise
            error = exc
        if from_link:
            st.session_state[SAID] = ("warning", t("workspace.unknown", error=explain_error(error)))
    return store.create_workspace()


def _remember(key: str) -> None:
    """The browser's cookie should hold ``key`` (written by ``cookie_frame``)."""
    if st.context.cookies.get(COOKIE) != key:
        write_cookie(COOKIE, key)


def write_cookie(name: str, value: str) -> None:
    """Ask for a first-party cookie in this browser; ``cookie_frame`` writes it on every run of the session.
    The values are our own keys (URL-safe characters only), never text from a user."""
    st.session_state.setdefault(SET, {})[name] = value


def cookie_frame() -> None:
    """The cookies this session asked for, written by a one-line script in a one-pixel frame of this origin.
    It is drawn on every run, the same each time, so that it stays in the page until its script has run: a
    frame drawn once could be taken away by the next run before (seen under load: no cookie, and a reload
    opened an empty workspace). Drawn at the foot of the sidebar, where the pixel shows nothing."""
    cookies = st.session_state.get(SET)
    if not cookies:
        return
    age = COOKIE_DAYS * 86400
    texts = [f"{name}={value}; path=/; max-age={age}; SameSite=Strict" for name, value in sorted(cookies.items())]
    script = "".join(f"document.cookie = {json.dumps(cookie)};" for cookie in texts)
    st.iframe(f"<script>{script}</script>", height=1)


def new_workspace() -> None:
    """Button callback: an empty workspace for this browser (the old one stays, reached by its link)."""
    store, error = run_store()
    session = lab()
    if store is None or session.busy:
        return
    limits = server_limits()
    key = store.create_workspace()
    session.use_archive(StoreArchive(store, key, owner=secrets.token_hex(8), keep_models=limits.keep_models,
                                     max_runs=limits.keep_runs))
    _remember(key)


def _size(count: int) -> str:
    return f"{count / 1e3:.0f} kB" if count < 1e6 else f"{count / 1e6:.1f} MB"


def delete_workspace() -> None:
    """Button callback: every run and file of this workspace goes for good; the browser starts a new one."""
    session = lab()
    archive = session.archive
    if not archive.stored or session.busy or not st.session_state.get(CONFIRM):
        return
    try:
        archive.store.delete_workspace(archive.key)
    except StoreError as exc:
        st.session_state[SAID] = ("error", explain_error(exc))
        return
    st.session_state[CONFIRM] = False
    new_workspace()
    st.session_state[SAID] = ("success", t("workspace.deleted"))


def link(key: str) -> str:
    """The workspace link: this server's address with the key."""
    base = (st.context.url or "").split("?")[0]
    return f"{base}?{PARAM}={key}"


def panel() -> None:
    """The sidebar's piece: the workspace's size, its link (to copy), a new workspace; or that runs are
    kept in memory, and why."""
    said = st.session_state.pop(SAID, None)
    if said:
        getattr(st, said[0])(said[1], icon=":material/folder_shared:")
    error = st.session_state.get(MEMORY)
    session = lab()
    if error is not None or not session.archive.stored:
        st.caption(t("workspace.memory", error=explain_error(error) if error is not None else "—"))
        return
    archive = session.archive
    try:
        usage = archive.store.usage(archive.key)
    except StoreError as exc:
        st.caption(t("workspace.memory", error=explain_error(exc)))
        return
    with st.expander(t("workspace.title"), icon=":material/folder_shared:"):
        st.caption(t("workspace.runs", count=usage.runs, size=_size(usage.bytes)))
        st.caption(t("workspace.link"), help=t("workspace.link_help"))
        st.code(link(archive.key), language=None, wrap_lines=True)
        st.button(t("workspace.new"), key="b.new_workspace", help=t("workspace.new_help"), on_click=new_workspace,
                  disabled=session.busy, icon=":material/create_new_folder:")
        armed = st.checkbox(t("workspace.confirm_delete"), key=CONFIRM, disabled=session.busy)
        st.button(t("workspace.delete"), key="b.delete_workspace", on_click=delete_workspace, type="tertiary",
                  disabled=session.busy or not armed, icon=":material/delete_forever:")

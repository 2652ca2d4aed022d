"""Which workspace of the run store this browser works in, and the sidebar's piece about it.

The key lives in an HttpOnly cookie that the server sets (ui.cookies), not in the address bar
(docs/ARCHITECTURE.md says why): the URL a student copies holds the experiment, never the key. The one
place a key travels in a URL is the workspace link the sidebar shows on purpose (``?workspace=KEY``);
opening it adopts that workspace, sets the cookie, and the address bar loses the key at once (ui.links
publishes the experiment without it).

Where the store cannot be used, the session keeps its runs in memory and the sidebar says so.
"""

from __future__ import annotations

import secrets

import streamlit as st

from rnncore.errors import StoreError
from rnncore.lab.archive import StoreArchive
from ui import cookies
from ui.classroom import membership, share_slots
from ui.i18n import explain_error, t
from ui.state import WORKSPACE_MEMORY, WORKSPACE_SAID, lab, run_store, server_limits, work_in, workspace_labs

PARAM = "workspace"  # the workspace link's query parameter
CONFIRM = "w.workspace.confirm"  # the checkbox that arms "delete this workspace"


def attach() -> None:
    """On each run of the app: make sure this session keeps its runs in its browser's workspace."""
    session = lab()
    asked = st.query_params.get(PARAM)
    if asked is not None and not cookies.is_key(asked):  # never echoed, never looked up: not a key
        st.session_state[WORKSPACE_SAID] = ("warning", t("workspace.unknown", error=explain_error(
            StoreError.keyed("bad_workspace_key", workspace=t("workspace.link_key")), field=True)))
        asked = None
    if session.archive.stored and asked in (None, session.archive.key):
        _remember(session.archive.key)
        return
    store, error = run_store()
    if store is None:
        st.session_state[WORKSPACE_MEMORY] = error
        return
    if session.busy:
        return  # this tab's runs move once the run going has ended (those kept in memory into the store)
    st.session_state.pop(WORKSPACE_MEMORY, None)
    try:  # (runs kept in memory while the store was down are written into the workspace: Lab.use_archive)
        key = _choose(store, asked)
        work_in(key, _archive(store, key))
    except StoreError as exc:
        st.session_state[WORKSPACE_MEMORY] = exc
        return
    _remember(key)
    membership()  # its runs queue as the workspace's, with its class's for a student


def _choose(store, asked: str | None) -> str:
    """The link's workspace, else the cookie's, else a new one (said once when a key was not usable)."""
    for key, from_link in ((asked, True), (cookies.read(cookies.WORKSPACE), False)):
        if not key:
            continue
        try:
            if store.has_workspace(key):  # StoreError bad_workspace_key for text that is not a key
                if from_link:
                    st.session_state[WORKSPACE_SAID] = ("info", t("workspace.opened", count=store.usage(key).runs))
                return key
            error = StoreError.keyed("no_workspace", workspace=f"{key[:6]}…")
        except StoreError as exc:
            if exc.key not in ("bad_workspace_key", "no_workspace"):
                raise
            error = exc
        if from_link:
            said = t("workspace.unknown", error=explain_error(error, field=True))
            st.session_state[WORKSPACE_SAID] = ("warning", said)
    return store.create_workspace()


def _remember(key: str) -> None:
    """The browser's cookie should hold ``key``."""
    if cookies.read(cookies.WORKSPACE) != key:
        cookies.write(cookies.WORKSPACE, key)


def _archive(store, key: str) -> StoreArchive:
    """Where a Lab working in workspace ``key`` keeps its runs."""
    limits = server_limits()
    return StoreArchive(store, key, owner=secrets.token_hex(8), keep_models=limits.keep_models,
                        max_runs=limits.keep_runs)


def new_workspace() -> None:
    """Button callback: an empty workspace for this browser (the old one stays, reached by its link)."""
    store, error = run_store()
    if store is None or lab().busy:
        return
    key = store.create_workspace()
    work_in(key, _archive(store, key))
    _remember(key)
    share_slots()  # its runs queue as the new workspace's


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
        st.session_state[WORKSPACE_SAID] = ("error", explain_error(exc))
        return
    st.session_state[CONFIRM] = False
    gone = archive.key
    new_workspace()
    workspace_labs().close(gone)
    st.session_state[WORKSPACE_SAID] = ("success", t("workspace.deleted"))


def link(key: str) -> str:
    """The workspace link: this server's address with the key."""
    base = (st.context.url or "").split("?")[0]
    return f"{base}?{PARAM}={key}"


def panel() -> None:
    """The sidebar's piece: the workspace's size, its link (to copy), a new workspace; or that runs are
    kept in memory, and why."""
    said = st.session_state.pop(WORKSPACE_SAID, None)
    if said:
        getattr(st, said[0])(said[1], icon=":material/folder_shared:")
    error = st.session_state.get(WORKSPACE_MEMORY)
    session = lab()
    if error is not None or not session.archive.stored:
        st.caption(t("workspace.memory", error=explain_error(error, field=True) if error is not None else "—"))
        return
    archive = session.archive
    try:
        usage = archive.store.usage(archive.key)
    except StoreError as exc:
        st.caption(t("workspace.memory", error=explain_error(exc, field=True)))
        return
    with st.expander(t("workspace.title"), icon=":material/folder_shared:"):
        st.caption(t("workspace.runs", count=usage.runs, size=_size(usage.bytes)))
        st.caption(t("workspace.link"), help=t("workspace.link_help"))
        cookies.reveal(link(archive.key), "w.workspace.show_link")
        st.button(t("workspace.new"), key="b.new_workspace", help=t("workspace.new_help"), on_click=new_workspace,
                  disabled=session.busy, icon=":material/create_new_folder:")
        armed = st.checkbox(t("workspace.confirm_delete"), key=CONFIRM, disabled=session.busy)
        st.button(t("workspace.delete"), key="b.delete_workspace", on_click=delete_workspace, type="tertiary",
                  disabled=session.busy or not armed, icon=":material/delete_forever:")

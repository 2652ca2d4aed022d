"""What buttons do: small functions pages call, each catching the user's errors into a message."""

from __future__ import annotations

import dataclasses

import streamlit as st

from rnncore.config import ConfigError
from rnncore.data import DataError
from rnncore.io.bundle import BundleError
from rnncore.lab.scenarios import scenario
from ui.controls import forget_widgets
from ui.i18n import explain_error, plain, t
from ui.state import lab

MESSAGE = "actions.message"


def report(message: str, escaped: bool = False) -> None:
    """Keep an error for the page to show on its next run (``escaped``: already Markdown-safe)."""
    st.session_state[MESSAGE] = message if escaped else plain(message)


def show_message() -> None:
    message = st.session_state.pop(MESSAGE, None)
    if message:
        st.error(message, icon=":material/error:")


def guarded(action, *args) -> bool:
    """Run ``action``; a user-caused error becomes a message instead of a traceback."""
    try:
        action(*args)
    except (ConfigError, DataError) as exc:
        report(explain_error(exc), escaped=True)
        return False
    return True


def run_scenario(key: str) -> str | None:
    """Load a scenario's data and settings and start its runs; returns the page to go to."""
    chosen = scenario(key)
    session = lab()
    if session.busy:
        report(t("train.busy"))
        return None
    if not guarded(session.load, chosen.source.source, chosen.source.params):
        return None
    session.config = dataclasses.replace(chosen.configs[0], data=session.config.data)
    forget_widgets()
    configs = [dataclasses.replace(c, data=session.config.data) for c in chosen.configs]
    ok = guarded(session.start_series, configs)
    return chosen.page if ok else None


def start() -> None:
    guarded(lab().start)


def step() -> None:
    guarded(lab().step)


def pause_or_resume() -> None:
    session = lab()
    if session.status() == "paused":
        session.resume()
    else:
        session.pause()


def stop() -> None:
    lab().stop()


def import_panel() -> None:
    """Upload an exported run (zip): it joins the session's runs, or a message says why not."""
    upload = st.file_uploader(t("compare.import_file"), type=["zip"], key="w.import")
    if upload is None or st.session_state.get("import.done") == upload.file_id:
        return
    st.session_state["import.done"] = upload.file_id
    try:
        record = lab().import_run(upload.getvalue())
    except (BundleError, ConfigError, DataError) as exc:
        error = explain_error(exc, field=True)
        st.error(t("compare.import_failed", name=upload.name, error=error), icon=":material/error:")
    else:
        st.success(t("compare.imported", label=record.label), icon=":material/check_circle:")

"""Helpers for AppTest-based tests: a fresh app per test, and every Trainer stopped after it."""

from __future__ import annotations

import gc
import re
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "navigation.py")  # the script app.py serves


def new_app() -> AppTest:
    st.cache_resource.clear()
    gc.collect()  # an earlier test's Lab, in a reference cycle, would otherwise still be found
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    return at


def stop_everything() -> None:
    """AppTest shares one session id: stop every Lab's training and clear the caches."""
    from rnncore.lab import Lab
    from rnncore.sweeps import SweepDesk

    for desk in [o for o in gc.get_objects() if type(o) is SweepDesk]:
        if desk.job is not None:
            desk.job.close()
    for lab in [o for o in gc.get_objects() if type(o) is Lab]:
        lab.close()
    st.cache_resource.clear()
    gc.collect()


def run_until(at: AppTest, done, timeout: float = 60.0, every: float = 0.5) -> AppTest:
    """Re-run the script (AppTest's timers never fire) until ``done(at)`` or the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        at.run()
        if done(at) or time.monotonic() > deadline:
            return at
        time.sleep(every)


def start_training(at: AppTest, epochs: int, hidden_size: int) -> AppTest:
    """On the Train page: set the epochs and the hidden units, press Start."""
    at.switch_page("views/train.py")
    at.run()
    at.number_input(key="w.epochs").set_value(epochs)
    at.number_input(key="w.hidden_size").set_value(hidden_size)
    at.run()
    next(b for b in at.button if b.label == "Start").click()
    return at.run()


def shown(markdown: str) -> str:
    """Markdown as a person reads it: backslash escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def texts(at: AppTest) -> str:
    """Every text-like element of the page, joined, as a person reads it."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning",
                 "error", "text"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return shown("\n".join(parts))


def all_labs() -> list:
    from rnncore.lab import Lab

    gc.collect()
    return [o for o in gc.get_objects() if type(o) is Lab]


def session_lab(old: list | tuple = ()):
    """The Lab of the AppTest session: the one there is, apart from the ``old`` ones (a closed session's
    Lab lives on until its training thread has ended)."""
    labs = [lab for lab in all_labs() if not any(lab is o for o in old)]
    assert len(labs) == 1, f"{len(labs)} Labs: one session, one Lab"
    return labs[0]


def follow_language(monkeypatch) -> None:
    """Let AppTest format widgets in the session's language even outside a script run.

    AppTest re-reads the widgets of a page *outside* a script run (when it builds the next run's
    widget states), and calls their ``format_func`` there; our format functions translate, and
    outside a run the session's language cannot be read, so they would format in English and
    AppTest raises "ValueError: '...' is not in list". A browser never does this (an AppTest
    limitation, ../shared/STREAMLIT_NOTES.md). So, in the tests only: outside a run, answer the
    language the last script run used.
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    import ui.i18n

    real, last = ui.i18n.language, ["en"]

    def language() -> str:
        if get_script_run_ctx(suppress_warning=True) is not None:
            last[0] = real()
        return last[0]

    monkeypatch.setattr(ui.i18n, "language", language)


def choose_sample(at: AppTest, name: str) -> AppTest:
    """On the Data page: pick the bundled data set ``name`` and press "Use this data set"."""
    at.switch_page("views/data.py")
    at.run()
    at.selectbox(key="w.sample").set_value(name)
    next(b for b in at.button if b.label == "Use this data set").click()
    return at.run()

"""Helpers for AppTest-based tests: a fresh app per test, and every Trainer stopped after it."""

from __future__ import annotations

import gc
import re
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def new_app() -> AppTest:
    st.cache_resource.clear()
    gc.collect()  # an earlier test's Lab, in a reference cycle, would otherwise still be found
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    return at


def stop_everything() -> None:
    """AppTest shares one session id: stop every Lab's training and clear the caches."""
    from rnncore.lab import Lab

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

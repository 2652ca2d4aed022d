"""Every page with names a user typed or brought (a file, its columns, a display name): each text is escaped
exactly once, where it meets Markdown; never in a widget, a table or a chart, which show text as it is.

A name here holds no backslash, so a backslash escaped again ("\\\\") in a page's Markdown is a text escaped
twice (it shows as "\\(" to the reader), and a Markdown escape in a table cell, an option or a chart is one
too many. Each chart must hold the names as plain text (no live link, no tag)."""

from __future__ import annotations

import json
import re

import pytest

from rnncore.classroom.challenge import Challenge
from rnncore.classroom.classroom import Classroom
from rnncore.config import ExperimentConfig
from rnncore.store import open_store
from tests.apptest import follow_language, run_until, session_lab, stop_everything, texts
from tests.test_app_workspace import open_app

NAME = "Li (G2)-2*3 <img src=x> e.vil"  # a display name (30 characters at most)
COLUMN = '<a href="//e.vil">x</a> [y](http://e.vil)'  # a column
FILE = "sales (2024) - Q1*"  # a file's name
PAGES = ("home", "data", "train", "inside", "evaluate", "compare", "sweep", "tasks", "classroom", "teacher",
         "learn")
MARKDOWN = ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error", "toast")
ESCAPE = re.compile(r"\\[\\`*_{}\[\]()#+\-.!|<>~$:=^&]")  # what ui.i18n.plain writes before a markup character


@pytest.fixture(autouse=True)
def _stop(monkeypatch):
    follow_language(monkeypatch)
    yield
    stop_everything()


def markdown_texts(at) -> list[str]:
    found = []
    for kind in MARKDOWN:
        found += [str(e.value) for e in getattr(at, kind, [])]
    for widget in (*at.button, *at.selectbox, *at.multiselect, *at.number_input, *at.text_input, *at.checkbox,
                   *at.toggle, *at.radio):
        found += [str(widget.label or ""), str(getattr(widget, "help", "") or "")]
    return found


def plain_texts(at) -> list[str]:
    """Texts shown as written: options, table cells, code."""
    found = []
    for widget in (*at.selectbox, *at.multiselect, *at.radio):
        found += [str(option) for option in widget.options]
    for frame in at.dataframe:
        value = frame.value
        found += [str(v) for v in value.to_numpy().ravel()] + [str(c) for c in value.columns]
        found += [str(i) for i in value.index]
    found += [str(code.value) for code in at.code]
    return found


def chart_texts(at) -> list[str]:
    return [element.proto.spec for element in at.get("plotly_chart")]


def strings(value) -> list[str]:
    """Every text in a chart's spec (a JSON document)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def test_each_name_is_escaped_once_on_every_page():
    at = open_app()
    store = open_store()
    room, teacher = Classroom(store).create_class(NAME, Challenge(config=ExperimentConfig()))
    at.switch_page("views/data.py")
    at.run()
    rows = "\n".join(f"{i},{(i * 7) % 11},{i % 5}" for i in range(80))
    at.file_uploader(key="w.upload").set_value((f"{FILE}.csv", f'step,"{COLUMN.replace(chr(34), chr(34) * 2)}",'
                                                f"{NAME}\n{rows}\n".encode(), "text/csv"))
    at.run()
    assert not at.exception
    lab = session_lab()
    lab.start(lab.config.replace(model={"hidden_size": 4}, train={"epochs": 2}))
    run_until(at, lambda a: not session_lab().busy and session_lab().runs, timeout=60)
    Classroom(store).join(room, NAME, lab.archive.key, who="test")
    at.session_state["cookies.written"] = {"rnnlab_teacher": teacher}
    seen = []
    for page in PAGES:
        at.switch_page(f"views/{page}.py")
        at.run()
        assert not at.exception, (page, [e.message for e in at.exception])
        for text in markdown_texts(at):
            assert "\\\\" not in text, (page, "escaped twice", text)
        for text in plain_texts(at):
            assert not ESCAPE.search(text), (page, "a Markdown escape where none is read", text)
            assert text not in ("None", "nan"), (page, "a missing value shown as a word of Python")
        for text in markdown_texts(at):
            assert "None" not in text.split(), (page, text)
        for spec in chart_texts(at):
            for text in strings(json.loads(spec)):
                assert "<a " not in text and "<img" not in text, (page, "markup in a chart", text)
                assert not ESCAPE.search(text), (page, "a Markdown escape in a chart", text)
        seen.append(texts(at))
    said = "\n".join(seen)
    assert NAME in said and FILE in said  # the names are there, as written

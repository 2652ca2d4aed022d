"""The Data page's task choice, and its panels for a text and a labelled set.

A bundled text or labelled set (or labelled sequences generated), or a file uploaded, is loaded for the next run
in a widget callback, as a series is (ui.data_panels): the page is then drawn with it. What the next run trains on
is shown from the Lab's data: a text's size, its split and its commonest characters; a labelled set's classes, its
split and a few sequences of each class.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
import streamlit as st

from rnncore.data import list_samples
from rnncore.data.labelled import LABELLED_GENERATORS, LABELLED_SAMPLES, split_labelled
from rnncore.data.text import TEXT_SAMPLES, Vocabulary, split_text
from rnncore.lab.workbench import MOST_TEXT
from rnncore.tasks.charlm import stream_layout
from rnncore.viz.class_plots import examples_figure
from ui import actions
from ui.controls import settings_group
from ui.i18n import explain_note, t, table, text
from ui.state import WIDGET_PREFIX, lab, server_limits

# the bundled data of each task, the one a task starts from first
SOURCES = {"forecast": [f"sample:{name}" for name in list_samples()],
           "charlm": [f"sample:{name}" for name in TEXT_SAMPLES],
           "classify": [f"sample:{name}" for name in LABELLED_SAMPLES]
           + [f"synthetic:{name}" for name in LABELLED_GENERATORS]}
TASK, PICKED = WIDGET_PREFIX + "task", WIDGET_PREFIX + "task_source."
UPLOAD, LABEL = WIDGET_PREFIX + "task_upload.", WIDGET_PREFIX + "label"
KINDS = {"charlm": ["txt"], "classify": ["csv", "tsv", "txt"]}  # the files a task's upload takes
COMMONEST = 24  # characters of a text listed with their counts
BEGINNING = 600  # characters of a text shown as it starts


def task_choice() -> str:
    """The next run's task (its config's); choosing another loads that task's first bundled data."""
    task = lab().config.data.task
    st.session_state[TASK] = task
    st.segmented_control(t("tasks.task"), list(SOURCES), format_func=lambda k: text(f"tasks.task.{k}"), key=TASK,
                         on_change=actions.choose_task, args=(TASK,))
    return task


def pick_panel(task: str) -> None:
    """A bundled text or labelled set (or a generated one), loaded when the user asks."""
    key = PICKED + task
    st.selectbox(t("tasks.sample"), SOURCES[task], key=key,
                 format_func=lambda source: text(f"tasks.sample.{source.removeprefix('sample:')}"))
    st.button(t("data.use_sample"), key=f"b.use.{task}", icon=":material/download:", on_click=_load_picked,
              args=(task, key))


def _load_picked(task: str, key: str) -> None:
    actions.load_data(st.session_state[key], task=task)


def upload_panel(task: str) -> None:
    """A text file, or a CSV of labelled sequences (with its label column named, or found), loaded as it arrives
    (and again when the label column changes)."""
    limit = st.get_option("server.maxUploadSize")  # Streamlit's box says it in English only: the page says it too
    if task == "classify":
        st.text_input(t("tasks.label"), key=LABEL, on_change=_load_upload, args=(task,))
    st.file_uploader(t("tasks.upload", limit=limit), type=KINDS[task], key=UPLOAD + task,
                     help=t(f"tasks.upload_help.{task}", limit=f"{MOST_TEXT:,}"), on_change=_load_upload, args=(task,))
    st.caption(t("tasks.upload_limit", limit=limit, kinds=", ".join(f".{kind}" for kind in KINDS[task])))


def _load_upload(task: str) -> None:
    upload = st.session_state.get(UPLOAD + task)
    if upload is not None:
        label = (st.session_state.get(LABEL) or "").strip() or None if task == "classify" else None
        actions.load_data(upload.name, content=upload.getvalue(), task=task, label=label)


def text_panel(words) -> None:
    """The next run's text: its size, where it was cut, its split, its window and vocabulary settings, its
    commonest characters and its beginning."""
    st.caption(t("tasks.what.charlm", characters=f"{len(words):,}", distinct=f"{len(set(words)):,}"))
    if words.whole > len(words):
        st.caption(t("tasks.cut", limit=f"{len(words):,}", whole=f"{words.whole:,}"))
    st.subheader(t("data.windows"))
    settings_group("window", (("lookback", "train_fraction", "val_fraction"),), server_limits())
    vocabulary, state, _ = st.columns(3)  # (each setting as wide as one of the row above)
    with vocabulary:
        settings_group("data", (("vocabulary",),), server_limits())
    with state:
        settings_group("window", (("initial_state",),), server_limits())
    config = lab().config  # (as the widgets above left it)
    parts = split_text(words, config.window.train_fraction, config.window.val_fraction)
    st.caption(t("data.split_characters", **{name: f"{len(part):,}" for name, part in
                                             zip(("train", "val", "test"), parts, strict=True)}))
    if config.window.initial_state == "carried":
        lookback = config.window.lookback
        streams, windows = stream_layout(len(parts[0]), lookback, config.train.batch_size)
        st.caption(t("data.streams", streams=f"{streams:,}", windows=f"{windows:,}", lookback=lookback,
                     unread=f"{len(parts[0]) - 1 - streams * windows * lookback:,}"))
    counts = Counter(parts[0]).most_common()
    kept = len(Vocabulary.fit(parts[0], config.data.vocabulary)) - 1  # (its first place is the unknown symbol's)
    st.caption(t("data.vocabulary_kept", kept=f"{kept:,}", distinct=f"{len(counts):,}"))
    rows = [{text("data.col.character"): _visible(ch), text("data.col.count"): f"{n:,}",
             text("data.col.share"): f"{n / len(parts[0]):.1%}"} for ch, n in counts[:COMMONEST]]
    left, right = st.columns(2)  # (half the width: the table's three columns fit at 1024 pixels)
    left.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    right.code(words[:BEGINNING], language=None, wrap_lines=True)


NAMED = {" ": "space", "\n": "newline", "\t": "tab"}  # characters a table names rather than shows


def _visible(character: str) -> str:
    """A character as a table shows it: a space, a line break or a tab named."""
    return text(f"data.char.{NAMED[character]}") if character in NAMED else character


def labels_panel(data) -> None:
    """The next run's labelled set: its size and classes, its split and settings, and a few sequences of each
    class."""
    counts = ", ".join(f"{name} {count:,}" for name, count in data.counts.items())
    st.caption(t("tasks.what.classify", sequences=f"{len(data):,}", steps=data.x.shape[1], counts=counts))
    for note in data.notes:
        st.caption(explain_note(note))
    st.subheader(t("data.split_heading"))
    settings_group("window", (("train_fraction", "val_fraction", "scaler"),), server_limits())
    with st.columns(3)[0]:  # (one setting: as wide as one of the row above)
        settings_group("data", (("class_weights",),), server_limits())
    config = lab().config
    parts = split_labelled(data.labels, config.window.train_fraction, config.window.val_fraction, config.train.seed)
    st.caption(t("data.split_sequences", **{name: f"{len(part):,}" for name, part in
                                            zip(("train", "val", "test"), parts, strict=True)}))
    st.plotly_chart(examples_figure(data.x, data.labels, data.classes, words=table("fig.examples")),
                    key="data.examples")


"""Data: the task, then its data: a series (a CSV uploaded, a real data set or one generated; its windows and
split), a text (bundled or uploaded; its split and vocabulary) or labelled sequences (bundled, generated or
uploaded; their classes and split)."""

import dataclasses

import streamlit as st

from rnncore.data.dataset import time_labels
from rnncore.data.windows import make_windows
from rnncore.errors import KeyedError
from rnncore.viz import plots
from ui import actions, task_data
from ui.controls import column_controls, window_controls
from ui.data_panels import (
    data_warnings,
    description,
    generator_panel,
    layout_offer,
    sample_picker,
    upload_panel,
)
from ui.i18n import explain_error, explain_note, plain, source_name, t, table
from ui.state import lab, server_limits


def series_panel(dataset) -> None:
    """A series: its description and notes, its columns, windows and split, and its chart and first rows."""
    if dataset.description:
        st.caption(description(dataset, session.config.data.source))
    layout_offer(session, dataset)
    if dataset.notes:
        with st.expander(t("data.notes_one") if len(dataset.notes) == 1 else t("data.notes", count=len(dataset.notes))):
            for note in dataset.notes:
                st.markdown(explain_note(note))

    st.subheader(t("data.windows"))
    config, sequences = session.config, dataset.sequences is not None
    data = config.data
    if not sequences:
        target, features = column_controls([str(c) for c in dataset.frame.columns], data.target, data.features)
        data = dataclasses.replace(data, target=target, features=features)
    session.config = dataclasses.replace(config, data=data)
    window_controls(server_limits(), sequences=sequences)
    window = session.config.window
    try:
        windows = make_windows(dataset, window, data.target, data.features)
    except KeyedError as exc:
        st.warning(explain_error(exc), icon=":material/warning:")
        windows = None
    else:
        st.caption(t("data.window_counts", train=len(windows.train.x), val=len(windows.val.x),
                     test=len(windows.test.x)))
        for warning in data_warnings(windows, window):
            st.warning(warning, icon=":material/warning:")

    bounds = windows.bounds if windows is not None and not sequences else None
    if sequences:
        st.caption(t("data.sequences", count=len(dataset.sequences.inputs)))
    columns = [str(c) for c in dataset.frame.columns]
    first = [c for c in (data.target or columns[0], *data.features) if c in columns] if not sequences else []
    shown = list(dict.fromkeys([*first, *columns]))  # the target first, then the inputs, then the rest
    st.plotly_chart(plots.series_figure(dataset.frame.rename(columns=str), shown, bounds, labels=table("fig.series"),
                                        dates=table("dates")),
                    key="data.series")
    if len(shown) > plots.MOST_PANELS:
        st.caption(t("data.panels", shown=plots.MOST_PANELS, columns=len(shown)))
    head = dataset.frame.head(12)
    st.dataframe(head.set_axis(time_labels(head.index)), width="stretch")  # dates at their own resolution


session = lab()
st.title(t("data.title"))
task = task_data.task_choice()
if task == "forecast":
    sample_tab, upload_tab, generate_tab = st.tabs([t("data.tab_sample"), t("data.tab_upload"),
                                                   t("data.tab_generate")])
    with sample_tab:
        sample_picker()
    with upload_tab:
        upload_panel()
    with generate_tab:
        generator_panel()
else:
    pick_tab, upload_tab = st.tabs([t("data.tab_task_sample"), t("data.tab_task_upload")])
    with pick_tab:
        task_data.pick_panel(task)
    with upload_tab:
        task_data.upload_panel(task)
actions.show_message()
actions.show_notice()

try:
    dataset = session.ensure_dataset()
except KeyedError as exc:  # a link's uploaded file, not loaded yet; or no data at all
    waiting = session.config.data.kind == "file"
    st.info(t("data.waiting_for_file", name=session.config.data.source) if waiting else explain_error(exc))
    st.stop()

st.header(plain(source_name(session.config.data.source)))
if session.config.data.kind == "file":
    st.caption(t("data.link_note"))
if session.next_differs() is not None:
    st.info(t("train.next_run_differs", data=source_name(session.current.config.data.source)), icon=":material/info:")
panels = {"forecast": lambda: series_panel(dataset), "charlm": lambda: task_data.text_panel(dataset),
          "classify": lambda: task_data.labels_panel(dataset)}
panels[task]()

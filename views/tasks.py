"""Text & labels: a character language model of a text, or a classifier of labelled sequences, trained live as
every run is (Start, Pause, Step, Stop; its progress, time left and loss; its status in the sidebar)."""

import streamlit as st

from ui import links, tasks
from ui.errors import shielded
from ui.i18n import t
from ui.state import lab
from ui.training_panel import training_panel

tasks.take_link()  # a shared link's experiment, once
st.title(t("tasks.title"))
st.caption(t("tasks.intro"))
tasks.show_message()
status = lab().status()
task = tasks.task_choice()
with st.expander(t("tasks.data"), expanded=not status.active, icon=":material/table_chart:"):
    data = tasks.data_choice(task)
with st.expander(t("tasks.settings"), expanded=not status.active, icon=":material/tune:"):
    config = tasks.settings(task)
experiment = tasks.experiment(task, config, data)
links.publish_page(experiment)  # this page's experiment is the link's
if tasks.buttons(experiment, data):  # Sweep: this experiment, on the chosen data
    tasks.to_sweep(experiment, data)
    st.switch_page("views/sweep.py")
training_panel(status, results_below=True)  # the session's run, live
shown = tasks.opened()
# the results as the page's top read the status: a run that ends while the page is drawn shows them on the next
# redraw (the panel asks for it), never below a status that says it still trains
if shown is not None and not status.active:
    with shielded("the text and labels results"):
        tasks.results(shown)
st.caption(t("tasks.runs_elsewhere"))

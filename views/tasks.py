"""Text & labels: a character language model of a text, or a classifier of labelled sequences, trained live."""

import streamlit as st

from ui import links, task_store, tasks
from ui.errors import shielded
from ui.fragments import fragment
from ui.i18n import t
from ui.state import TASKS_SECONDS, task_desk

tasks.take_link()  # a shared link's experiment, once
st.title(t("tasks.title"))
st.caption(t("tasks.intro"))
tasks.show_message()
running = task_desk().running
with st.expander(t("tasks.scenarios"), icon=":material/science:"):
    tasks.scenario_buttons()
task = tasks.task_choice()
stored = st.expander(t("tasks.stored"), icon=":material/history:")
with stored:
    task_store.stored_runs(task)
with st.expander(t("tasks.data"), expanded=not running, icon=":material/table_chart:"):
    data = tasks.data_choice(task)
with stored:
    task_store.import_panel(task, data)
with st.expander(t("tasks.settings"), expanded=not running, icon=":material/tune:"):
    config = tasks.settings(task)
experiment = tasks.experiment(task, config, data)
links.publish_page(experiment)  # this page's experiment is the link's
buttons = st.columns(3)
if buttons[0].button(t("tasks.start"), key="b.tasks.start", type="primary", icon=":material/play_arrow:",
                     disabled=running or data is None, width="stretch"):
    tasks.start(experiment, data)
    st.rerun()
buttons[1].button(t("tasks.stop"), key="b.tasks.stop", on_click=task_desk().stop, icon=":material/stop:",
                  disabled=not running, width="stretch")
if buttons[2].button(t("tasks.sweep"), key="b.tasks.sweep", icon=":material/travel_explore:", disabled=data is None,
                     help=t("tasks.sweep_help"), width="stretch"):
    tasks.to_sweep(experiment, data)
    st.switch_page("views/sweep.py")


@fragment(run_every=TASKS_SECONDS if running else None)
def live(was_running: bool) -> None:
    with shielded("the text and labels run"):
        job = task_desk().job
        if job is None:
            st.info(t("tasks.none_yet"), icon=":material/text_fields:")
            return
        if job.running != was_running:  # it ended: the buttons and the results follow
            st.rerun()
        tasks.status(job)


live(running)
job = task_desk().job
# whether the run trains as the page's top read it: a run that ends while the page is drawn shows its results on
# the next redraw (the live part's next tick asks for it), never below a status that says it still trains
if job is not None and not running and job.result is not None:
    with shielded("the text and labels results"):
        tasks.scores_table(job.result, job.task)
        tasks.download(job)
        if job.task == "charlm":
            tasks.text_results(job.result, job.data)
        else:
            tasks.class_results(job.result)

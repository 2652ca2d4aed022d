"""Train: choose the cell and its hyperparameters, then Start, Pause/Resume, Step, Stop and watch; a text or
labels run's scores, text or confusion matrix show below once it ends."""

import streamlit as st

from ui import actions, classroom, tasks
from ui.controls import device_note, label, model_controls, problems, train_controls
from ui.data_panels import size
from ui.errors import shielded
from ui.i18n import source_name, t, text
from ui.state import lab, server_limits
from ui.training_panel import training_panel

session = lab()
limits = server_limits()
st.title(t("train.title"))
if session.dataset is not None and session.config.data.task == "forecast":
    st.caption(t("train.data_line", name=source_name(session.config.data.source), size=size(session.dataset),
                 lookback=session.config.window.lookback, horizon=session.config.window.horizon))
elif session.dataset is not None:  # a text or labelled set
    st.caption(t("train.task_line", task=text(f"tasks.task.{session.config.data.task}"),
                 name=source_name(session.config.data.source), size=size(session.dataset)))
else:
    st.caption(t("train.default_data", source=source_name(session.config.data.source)))
difference = session.config.window.difference if session.config.data.task == "forecast" else "none"
if difference != "none":  # what the model learns, said where Start is
    st.caption(t("train.difference_line", how=text(f"difference.{difference}")))

device_note(session.config)
classroom.budget_note(session.config)  # a student's class budget, and what the next run would break of it

# the buttons above everything a run's start or end redraws (the settings open, a note goes): they never move
status, can = session.status(), session.controls()
buttons = st.columns(4)
refused = problems()  # values typed and refused: Start waits until they are fixed
buttons[0].button(t("train.start"), key="b.start", on_click=actions.start, disabled=not can.start or bool(refused),
                  type="primary", icon=":material/play_arrow:", width="stretch")
buttons[1].button(t("train.resume") if can.resume else t("train.pause"), key="b.pause",
                  on_click=actions.pause_or_resume,
                  disabled=not (can.pause or can.resume), icon=":material/pause:", width="stretch")
buttons[2].button(t("train.step"), key="b.step", on_click=actions.step, disabled=not can.step,
                  icon=":material/skip_next:", width="stretch", help=t("train.step_help"))
buttons[3].button(t("train.stop"), key="b.stop", on_click=actions.stop, disabled=not can.stop,
                  icon=":material/stop:", width="stretch")
st.caption(t("train.limits", parameters=f"{limits.max_parameters:,}", seconds=f"{limits.max_seconds:g}",
             running=limits.max_concurrent, grace=f"{limits.grace_seconds:g}"))
if refused:
    st.warning(t("train.refused", settings=", ".join(label(name) for name in refused)), icon=":material/block:")
if session.next_differs() is not None:
    st.info(t("train.next_run_differs", data=source_name(session.current.config.data.source)), icon=":material/info:")
with st.expander(t("train.settings"), expanded=not status.active, icon=":material/tune:"):
    st.markdown(f"**{t('train.model_group')}**")
    model_controls(limits)
    st.markdown(f"**{t('train.optimisation_group')}**")
    train_controls(limits)
actions.show_message()
training_panel(status)
if (shown := tasks.opened()) is not None and not status.active:  # a text or labels run's results, once it ended
    with shielded("the text and labels results"):
        tasks.results(shown)

"""Train: choose the cell and its hyperparameters, then Start, Pause/Resume, Step, Stop and watch."""

import dataclasses

import streamlit as st

from ui import actions
from ui.controls import device_note, model_controls, train_controls
from ui.data_panels import size
from ui.i18n import t
from ui.state import lab, server_limits
from ui.training_panel import training_panel

session = lab()
limits = server_limits()
st.title(t("train.title"))
if session.dataset is not None:
    st.caption(t("train.data_line", name=session.dataset.name, size=size(session.dataset),
                 lookback=session.config.window.lookback, horizon=session.config.window.horizon))
else:
    st.caption(t("train.default_data", source=session.config.data.source))

status = session.status()
with st.expander(t("train.settings"), expanded=not status.active, icon=":material/tune:"):
    st.markdown(f"**{t('train.model_group')}**")
    model = model_controls(session.config.model, limits)
    st.markdown(f"**{t('train.optimisation_group')}**")
    train = train_controls(session.config.train, limits)
session.config = dataclasses.replace(session.config, model=model, train=train)  # the next run's settings
device_note(session.config)
if (running_on := session.next_differs()) is not None:
    st.info(t("train.next_run_differs", data=running_on), icon=":material/info:")

can = session.controls()
buttons = st.columns(4)
buttons[0].button(t("train.start"), key="b.start", on_click=actions.start, disabled=not can.start, type="primary",
                  icon=":material/play_arrow:", width="stretch")
buttons[1].button(t("train.resume") if can.resume else t("train.pause"), key="b.pause",
                  on_click=actions.pause_or_resume,
                  disabled=not (can.pause or can.resume), icon=":material/pause:", width="stretch")
buttons[2].button(t("train.step"), key="b.step", on_click=actions.step, disabled=not can.step,
                  icon=":material/skip_next:", width="stretch", help=t("train.step_help"))
buttons[3].button(t("train.stop"), key="b.stop", on_click=actions.stop, disabled=not can.stop,
                  icon=":material/stop:", width="stretch")
st.caption(t("train.limits", parameters=f"{limits.max_parameters:,}", seconds=f"{limits.max_seconds:g}",
             running=limits.max_concurrent))
actions.show_message()
training_panel(status)

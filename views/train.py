"""Train: choose the cell and its hyperparameters, then Start, Pause/Resume, Step, Stop and watch."""

import dataclasses

import streamlit as st

from ui import actions
from ui.controls import model_controls, train_controls
from ui.i18n import explain_error, t
from ui.state import lab, server_limits
from ui.training_panel import training_panel

session = lab()
st.title(t("train.title"))
if session.dataset is not None:
    st.caption(t("train.data_line", name=session.dataset.name, rows=len(session.dataset.frame),
                 lookback=session.config.window.lookback, horizon=session.config.window.horizon))
else:
    st.caption(t("train.default_data", source=session.config.data.source))

status = session.status()
running = status in ("queued", "running", "paused")
with st.expander(t("train.settings"), expanded=not running, icon=":material/tune:"):
    st.markdown(f"**{t('train.model_group')}**")
    model = model_controls(session.config.model, server_limits())
    st.markdown(f"**{t('train.optimisation_group')}**")
    train = train_controls(session.config.train, server_limits())
if not running:
    session.config = dataclasses.replace(session.config, model=model, train=train)

buttons = st.columns(4)
buttons[0].button(t("train.start"), on_click=actions.start, disabled=running, type="primary",
                  icon=":material/play_arrow:", width="stretch")
pause_label = t("train.resume") if status == "paused" else t("train.pause")
buttons[1].button(pause_label, on_click=actions.pause_or_resume, disabled=status not in ("running", "paused"),
                  icon=":material/pause:", width="stretch")
buttons[2].button(t("train.step"), on_click=actions.step, disabled=status in ("queued", "running"),
                  icon=":material/skip_next:", width="stretch", help=t("train.step_help"))
buttons[3].button(t("train.stop"), on_click=actions.stop, disabled=not running, icon=":material/stop:",
                  width="stretch")
limits = server_limits()
st.caption(t("train.limits", parameters=f"{limits.max_parameters:,}", seconds=f"{limits.max_seconds:g}",
             running=limits.max_concurrent))
actions.show_message()
if session.series_error:
    st.error(explain_error(session.series_error), icon=":material/error:")
training_panel(status)

"""Sweep: Optuna searches the settings within their declared ranges; watch its trials and figures live."""

import streamlit as st

from rnncore.training.task import OBJECTIVES
from ui import actions, links, sweep
from ui.errors import shielded
from ui.fragments import fragment
from ui.i18n import explain_error, language, t
from ui.state import SWEEP_SECONDS, lab, server_limits, sweep_desk, sweep_storage

# (no Lab or SweepDesk in this module's globals: a live fragment keeps the page's frame, and a closed session's
# objects with it, until its next run)
config, data_name = sweep.target()
st.title(t("sweep.title"))
if config.data.task == "forecast":
    st.caption(t("sweep.intro", data=data_name, lookback=config.window.lookback))
else:  # a text or labelled set: scored by its task's metric
    st.caption(t("sweep.intro_task", task=t(f"sweep.task.{config.data.task}"), data=data_name,
                 metric=t(f"sweep.metric.{OBJECTIVES[config.data.task][0]}")))
actions.show_message()
_, down = sweep_storage()
if down is not None:
    st.warning(t("sweep.needs_store", error=explain_error(down, field=True)), icon=":material/database:")
    st.stop()
running, looking = sweep_desk().running, sweep_desk().job is not None
with st.expander(t("sweep.settings"), expanded=not looking, icon=":material/tune:"):
    sweep.space_controls()
    st.divider()
    sweep.budget_controls(config.train.epochs, config.train.seed)
buttons = st.columns(2)
buttons[0].button(t("sweep.start"), key="b.sweep.start", on_click=sweep.start, disabled=running, type="primary",
                  icon=":material/travel_explore:", width="stretch")
buttons[1].button(t("sweep.stop"), key="b.sweep.stop", on_click=sweep.stop, icon=":material/stop:", width="stretch",
                  disabled=not running or sweep_desk().job.stopping)
limits = server_limits()
st.caption(t("sweep.limits", parameters=f"{limits.max_parameters:,}", seconds=f"{limits.max_seconds:g}",
             running=limits.max_concurrent))
if stored := sweep.studies():
    with st.expander(t("sweep.stored", count=len(stored)), icon=":material/history:"):
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        c1.selectbox(t("sweep.pick_study"), stored[::-1], key=sweep.OPEN)
        c2.button(t("sweep.open"), key="b.sweep.open", on_click=sweep.open_study, disabled=running,
                  icon=":material/folder_open:", width="stretch")


@fragment(run_every=SWEEP_SECONDS if running else None)
def live(was_running: bool) -> None:
    with shielded("the sweep"):
        show(was_running)


def show(was_running: bool) -> None:
    job = sweep_desk().job
    if job is None:
        st.info(t("sweep.none_yet"), icon=":material/travel_explore:")
        return
    if job.running != was_running:  # it ended (or another began): the buttons follow
        st.rerun()
    outcomes, figures = sweep.read(job)
    if outcomes is None:
        return
    sweep.status_line(job, outcomes)
    best = job.sweep.best()
    if best is not None:
        config = job.sweep.config_of(best)
        st.success(sweep.best_said(best, job.sweep.objective[0]), icon=":material/emoji_events:")
        c1, c2 = st.columns([1, 3], vertical_alignment="center")
        if c1.button(t("sweep.train_best"), key="b.sweep.best", icon=":material/play_arrow:", disabled=lab().busy,
                     help=t("sweep.train_best_help")) and (page := sweep.train(config)):
            st.switch_page(page)
        c2.code(links.link_of(config, language(), lab().dataset), language=None, wrap_lines=True)
    if figures:
        metric = job.sweep.objective[0]
        for tab, name in zip(st.tabs([sweep.figure_title(name, metric) for name in figures]), figures, strict=True):
            tab.plotly_chart(sweep.figure(name, figures[name], job.sweep.plan.space, metric), key=f"sweep.fig.{name}")
            if note := sweep.figure_note(name, sum(o.state == "complete" for o in outcomes)):
                tab.caption(note)
    st.subheader(t("sweep.trials_heading"))
    st.dataframe(sweep.trials_frame(outcomes), hide_index=True, width="stretch")
    st.download_button(t("sweep.download"), sweep.trials_csv(outcomes), f"{job.name}.csv", "text/csv",
                       icon=":material/download:", key="b.sweep.csv")
    runs = [o.run for o in outcomes if o.run is not None and lab().run(o.run) is not None]
    if runs:
        c1, c2, c3, c4 = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
        names = {n: sweep.run_name(n) for n in runs}
        picked = c1.selectbox(t("sweep.pick_run"), runs, format_func=names.get, key="w.sweep.run")
        for where, page in ((c2, "inside"), (c3, "evaluate"), (c4, "compare")):
            if where.button(t(f"sweep.open_in.{page}"), key=f"b.sweep.{page}", width="stretch"):
                sweep.open_runs(page, picked, runs)
                st.switch_page(f"views/{page}.py")
    if not was_running:  # as the page's top read it (a sweep that ends meanwhile: on the next redraw)
        sweep.resume_controls(job, outcomes)


live(running)

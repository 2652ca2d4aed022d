"""Compare: overlay runs' loss curves, their metrics next to baselines, what differs between them."""

import streamlit as st

from rnncore.viz import plots
from ui import actions, compare, state
from ui.errors import shielded
from ui.fragments import fragment
from ui.i18n import t, table
from ui.runs import no_runs
from ui.state import lab

session = lab()
st.title(t("compare.title"))
st.caption(t("compare.intro"))
st.button(t("compare.sweep"), key="b.sweep", icon=":material/stacked_line_chart:",
          disabled=not session.controls().start, help=t("compare.sweep_help"), on_click=actions.sweep_cells)
actions.show_message()
with st.expander(t("compare.import"), icon=":material/upload_file:"):
    actions.import_panel()


@fragment(run_every=state.PANEL_SECONDS if session.status().moving else None)
def comparison(drawn: str) -> None:
    with shielded("the comparison"):
        compare_runs(drawn)


def compare_runs(drawn: str) -> None:
    if lab().status() != drawn:  # the runs moved on (ended, say): the whole page follows
        st.rerun()
    runs = compare.entries()
    if not runs:
        no_runs("compare.no_runs")
        return
    if training := compare.training_now(runs):
        st.caption(t("compare.training_now", runs=", ".join(training)))
    chosen = compare.picker(runs)
    if not chosen:
        return
    if others := compare.on_other_data(runs, chosen):
        st.info(t("compare.other_data", runs=", ".join(others)), icon=":material/dataset:")
    c1, c2 = st.columns(2)
    log_y = c1.toggle(t("train.log_scale"), value=True, key="w.compare.log")
    smoothing = c2.slider(t("compare.smoothing"), 0.0, 0.95, 0.0, 0.05, key="w.compare.smoothing")
    drawn, units, left_out = compare.curves(runs, chosen)
    labels = {**table("fig.compare"), "y": t(f"compare.y_{units}")}
    st.plotly_chart(plots.compare_loss_figure(drawn, log_y, smoothing, labels=labels,
                                              partials=compare.partials(runs, chosen) if units == "scaled" else {},
                                              reference=compare.mean_level(runs, chosen, units)),
                    key="compare.loss")
    st.caption(t(f"compare.units_{units}"))
    if left_out:
        st.caption(t("compare.left_out", runs=", ".join(left_out)))
    for said in compare.endings(runs, chosen):
        st.warning(said, icon=":material/warning:")
    st.subheader(t("compare.metrics"))
    st.caption(t("compare.metrics_caption"))
    st.dataframe(compare.metrics_frame(runs, chosen), width="stretch")
    st.subheader(t("compare.diff"))
    diff = compare.differences(runs, chosen)
    if diff is None:
        st.caption(t("compare.same_config"))
    else:
        st.dataframe(diff, width="stretch")


comparison(session.status())

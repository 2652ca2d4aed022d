"""Compare: overlay runs' loss curves, their metrics next to baselines, what differs between them."""

import pandas as pd
import streamlit as st

from rnncore.lab.comparison import cell_sweep, config_diff
from rnncore.training.progress import ENDED
from rnncore.viz import plots
from ui import actions
from ui.i18n import t, table
from ui.state import lab
from ui.training_panel import training_panel

session = lab()
session.collect()
status = session.status()
st.title(t("compare.title"))
st.caption(t("compare.intro"))

busy = status not in (*ENDED, "idle")
if st.button(t("compare.sweep"), icon=":material/stacked_line_chart:", disabled=busy,
             help=t("compare.sweep_help")):
    actions.guarded(session.start_series, cell_sweep(session.config))
    st.rerun()
actions.show_message()
if busy:
    with st.expander(t("compare.running"), expanded=True):
        training_panel(status)

with st.expander(t("compare.import"), icon=":material/upload_file:"):
    actions.import_panel()

runs = {r.label: r for r in session.runs}
if not runs:
    st.info(t("compare.no_runs"), icon=":material/info:")
    st.stop()
chosen = st.multiselect(t("compare.runs"), list(runs), default=list(runs)[-4:], key="w.compare.runs")
if not chosen:
    st.stop()
c1, c2 = st.columns(2)
log_y = c1.toggle(t("train.log_scale"), value=True, key="w.compare.log")
smoothing = c2.slider(t("compare.smoothing"), 0.0, 0.95, 0.0, 0.05, key="w.compare.smoothing")
histories = {label: [{"epoch": r.epoch, "train_loss": r.train_loss, "val_loss": r.val_loss}
                     for r in runs[label].history] for label in chosen}
st.plotly_chart(plots.compare_loss_figure(histories, log_y, smoothing, labels=table("fig.compare")),
                key="compare.loss")

rows = []
for label in chosen:
    record = runs[label]
    row = {t("compare.run"): label, t("compare.status"): t(f"status.{record.status}"),
           t("compare.parameters"): record.parameters, t("compare.epochs"): len(record.history)}
    if record.metrics:
        row[t("compare.test_rmse")] = record.metrics["test"]["rmse"]
        for name, by_split in record.baselines.items():
            row[t(f"baseline.{name}")] = by_split["test"]["rmse"]
    rows.append(row)
st.subheader(t("compare.metrics"))
st.caption(t("compare.metrics_caption"))
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

st.subheader(t("compare.diff"))
diff = config_diff({label: runs[label].config for label in chosen})
if diff:
    st.dataframe(pd.DataFrame(diff).T.astype(str), width="stretch")
else:
    st.caption(t("compare.same_config"))

"""Evaluate: predictions against the truth on test, every baseline, forecasts, downloads; a text or labels run's
scores next to its baselines, what it writes or its confusion matrix."""

import streamlit as st

from rnncore.io.bundle import export_run
from rnncore.io.model_files import history_frame
from rnncore.viz import plots
from ui import actions, evaluate
from ui.i18n import explain_note, t, table
from ui.runs import no_runs

st.title(t("evaluate.title"))
actions.show_message()
actions.show_notice()
record = evaluate.run_picker()
if record is None:
    no_runs("evaluate.no_runs")
    st.stop()
if record.config.data.task != "forecast":
    evaluate.task_run(record)
    st.stop()
shown = evaluate.evaluated(record)
if shown is None:
    st.warning(evaluate.needs_data(record), icon=":material/upload_file:")
    st.stop()
st.caption(evaluate.said(record))
if shown.result is None:
    st.warning(evaluate.needs_data(record), icon=":material/upload_file:")

split = st.radio(t("evaluate.split"), shown.splits, format_func=lambda s: t(f"split.{s}"), horizontal=True,
                 key="w.evaluate.split")
st.dataframe(evaluate.metrics_table(shown, split), width="stretch")
for note in evaluate.metric_notes(shown, split):
    st.caption(note)
for name, note in shown.notes.items():
    st.caption(f"{t(f'baseline.{name}')}: {explain_note(note, 'baselinenote')}")
evaluate.differencing_advice(shown)  # a trend the model never saw: why it fails, and one click to try the fix
scores = {t("metrics.model"): shown.metrics[split],
          **{t(f"baseline.{n}"): m[split] for n, m in shown.baselines.items()}}
st.plotly_chart(plots.metrics_bar_figure(scores, "rmse", model=t("metrics.model"), labels=table("fig.bars")),
                key="evaluate.bars")

frame = shown.predictions[split]
predictions = {t("metrics.model") if c == "model" else t(f"baseline.{c}"): frame[c].to_numpy()
               for c in frame.columns if c != "truth"}
st.plotly_chart(plots.prediction_figure(frame.index, frame["truth"].to_numpy(), predictions,
                                        labels=table("fig.pred"), dates=table("dates")), key="evaluate.pred")
st.plotly_chart(plots.residual_figure(frame.index, (frame["truth"] - frame["model"]).to_numpy(),
                                      labels=table("fig.resid"), dates=table("dates")), key="evaluate.resid")

result = shown.result
if result is not None and record.index is not None:
    st.subheader(t("evaluate.forecast"))
    steps = int(st.number_input(t("evaluate.forecast_steps"), 1, 500, 24, key="w.evaluate.steps"))
    futures, notes = evaluate.forecasts(result, steps)
    for note in notes:
        st.caption(note)
    tail = max(0, len(record.index) - 5 * steps)
    figure = plots.forecast_figure(record.index[tail:], result.windows.target_values[tail:],
                                   evaluate.future_index(record.index, steps), futures, labels=table("fig.forecast"),
                                   dates=table("dates"))
    st.plotly_chart(figure, key="evaluate.forecast")

st.subheader(t("evaluate.downloads"))
c0 = c1 = c2 = c3 = c4 = st.container(horizontal=True)  # side by side, on two lines where the page is narrow
if result is not None:
    c0.download_button(t("evaluate.download_run"), lambda: export_run(result, record.history),
                       f"rnnlab_run_{record.id}.zip", "application/zip", icon=":material/folder_zip:",
                       help=t("evaluate.download_run_help"))
    c1.download_button(t("evaluate.download_predictions"), result.predictions[split].to_csv().encode(),
                       f"predictions_{split}.csv", "text/csv", icon=":material/download:")
c2.download_button(t("evaluate.download_history"), history_frame(record.history).to_csv(index=False).encode(),
                   "history.csv", "text/csv", icon=":material/download:")
if c3.button(t("evaluate.continue"), key="b.continue", icon=":material/replay:", help=t("evaluate.continue_help"),
             disabled=result is None):
    if actions.continue_run(record):
        st.switch_page("views/train.py")
    actions.show_message()
c4.button(t("evaluate.delete"), key="b.delete", icon=":material/delete:", help=t("evaluate.delete_help"),
          on_click=actions.delete_run, args=(record,))

"""The live training panel of the session's run, whatever its task: a fragment that polls the current run about
once a second.

Each refresh reads the Lab's current run once and draws everything from that run (its progress,
its data, its windows, its live weights): another run starting meanwhile, or other data loaded for
the next run, never mixes into the picture. Figures are rebuilt only when the run's version
changed; an unchanged figure is sent again as the same spec, which the browser neither remounts
nor redraws. While a run goes on, the progress line and the loss chart follow every refresh; the
prediction chart and the metrics every few seconds, since redrawing them takes the browser CPU
that, on a laptop or a small server, the training would use (docs/PERFORMANCE.md). Beside the loss, a forecast
shows its predictions against the truth, a text model what it writes after each epoch (ui.tasks.live_text), and
a classifier says that its confusion matrix will show below once it ends (the Train page draws a text or labels
run's results under the panel: ui.tasks.results).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnncore.training.progress import WENT_WRONG, Status
from rnncore.training.slots import QUEUED, QUEUED_WORKSPACE
from rnncore.viz import plots
from ui import state
from ui.errors import shielded
from ui.fragments import fragment
from ui.i18n import explain, language, t, table, text
from ui.runs import run_label
from ui.state import held, lab, memo


def training_panel(status: str) -> None:
    """Progress, loss and predictions of the current run; polls while it is queued or running.

    ``status`` is the one the page drew its buttons for: when the run's status moves on from it,
    the whole page is drawn again, so the buttons always match the run (and a text or labels run's results,
    which the page shows below the panel once it has ended, appear).
    """
    run = lab().current
    drawn = (status, run.id if run is not None else None)
    fragment(run_every=state.PANEL_SECONDS if lab().status().moving else None)(_panel)(drawn)


def _panel(drawn: tuple) -> None:
    with shielded("the training panel"):  # it reruns on its own: the page's shield does not cover it
        _draw(drawn)


def _draw(drawn: tuple) -> None:
    session = lab()
    run = session.current  # read once: everything below is drawn from this run
    if run is None:
        latest = session.runs[-1] if session.runs else None
        if latest is None:
            st.info(t("train.none_yet"), icon=":material/play_circle:")
        else:
            ended_run(latest)
        return
    progress = run.progress()
    if (session.status(), run.id) != drawn:  # a new status, or the next run of a series: the page follows
        st.rerun()
    status_line(progress)
    frame = held("live.frame", run.id, run.frame(), state.DETAIL_SECONDS if progress.status.moving else 0.0)
    left, right = st.columns(2)
    with left:
        log_y = st.toggle(t("train.log_scale"), key="live.log_y", value=True)
        st.plotly_chart(memo("loss", (run.id, progress.version, log_y, language()),
                             lambda: loss_figure(run, progress, log_y)), key="live.loss")
    with right:
        if run.task == "charlm" and progress.status.active:
            from ui.tasks import live_text  # (torch and the text views load only once a text model trains)

            live_text(run)
        elif run.task != "forecast":
            if progress.status.active:
                st.caption(t("tasks.results_below"))
        elif frame is None:
            st.caption(t("train.waiting_first_epoch"))
        elif run.windows.is_sequences:
            st.caption(t("train.sequences_no_series"))
        else:
            st.plotly_chart(memo("pred", (run.id, frame.version, language()),
                                 lambda: prediction_figure(run, frame)), key="live.pred")
    if frame is not None and run.task == "forecast":
        metrics_table(run, frame)


def ended_run(record) -> None:
    """The workspace's latest run, where this tab started none (after a reload the server could not keep
    through, or in a new tab): how it ended and its loss; the rest is on Evaluate."""
    said = explain(record.reason, record.details, record.message)
    st.caption(t("train.latest_run", run=run_label(record)))
    if record.status in WENT_WRONG:
        st.error(f"**{t(f'status.{record.status}').capitalize()}** · {said}", icon=":material/error:")
    else:
        st.success(f"**{t(f'status.{record.status}').capitalize()}** · {said}", icon=":material/check_circle:")
    history = [{"epoch": r.epoch, "train_loss": r.train_loss, "val_loss": r.val_loss} for r in record.history]
    st.plotly_chart(memo("latest.loss", (record.id, len(history), language()), lambda: plots.loss_figure(
        history, record.config.train.epochs, log_y=True, labels=table("fig.loss"))), key="live.latest")


def status_line(progress) -> None:
    done = len(progress.history)
    fraction = min(done / max(progress.epochs, 1), 1.0)
    eta = t("train.eta_sooner" if progress.eta_sooner else "train.eta", seconds=f"{progress.eta:.0f}") \
        if progress.eta is not None else ""
    st.progress(fraction, text=t("train.progress", epoch=done, epochs=progress.epochs,
                                 elapsed=f"{progress.elapsed:.1f}", eta=eta))
    said = explain(progress.reason, progress.details, progress.message)
    message = f"**{t(f'status.{progress.status}').capitalize()}** · {said}"
    if progress.status == Status.QUEUED and progress.reason in (QUEUED, QUEUED_WORKSPACE):  # waiting, not only starting
        st.info(t(f"train.{progress.reason}", **progress.details), icon=":material/hourglass_top:")
    elif progress.status in WENT_WRONG:
        st.error(message, icon=":material/error:")
    elif progress.status.ended:
        st.success(message, icon=":material/check_circle:")
    else:
        st.caption(message)


def loss_figure(run, progress, log_y: bool):
    """The run's loss by epoch: a forecast's in its config's loss (a memory task's next to always predicting the
    mean), a text or labels task's in cross-entropy."""
    forecast = run.task == "forecast"
    sequences = run.dataset.sequences if forecast else None
    history = [{"epoch": r.epoch, "train_loss": r.train_loss, "val_loss": r.val_loss} for r in progress.history]
    partial = progress.partial_epoch.points() if progress.partial_epoch is not None else None
    labels = table("fig.loss") if forecast else {**table("fig.loss"), "title": text("tasks.loss"),
                                                  "y": text("tasks.loss_y")}
    return plots.loss_figure(history, progress.epochs, log_y=log_y,
                             reference=sequences.baseline_mse if sequences is not None else None,
                             reference_name=t("train.mean_line"), labels=labels, partial=partial)


def prediction_figure(run, frame):
    """The model's one-step predictions over the whole series against the truth, from the run's own data."""
    windows, index = run.windows, run.dataset.frame.index
    model = np.full(len(index), np.nan, dtype=np.float32)
    for positions, values in run.predictions(frame).values():
        model[positions] = values
    bounds = [index[min(b, len(index) - 1)] for b in windows.bounds]
    return plots.prediction_figure(index, windows.target_values, {t("metrics.model"): model},
                                   bounds=bounds, labels=table("fig.pred"), dates=table("dates"))


def _metrics_rows(run, frame) -> list[dict]:
    return [{t("metrics.name"): t(f"baseline.{name}") if name != "model" else t("metrics.model"),
             "RMSE": m["rmse"], "MAE": m["mae"], "R²": m["r2"]} for name, m in run.metrics(frame).items()]


def metrics_table(run, frame) -> None:
    rows = memo("metrics", (run.id, frame.version, language()), lambda: _metrics_rows(run, frame))
    st.caption(t("train.metrics_caption", epoch=frame.epoch, split=t(f"split.{run.metrics_split()}"),
                 parameters=f"{run.parameters:,}", seconds=f"{state.DETAIL_SECONDS:g}"))
    st.dataframe(rows, hide_index=True, width="stretch")

"""The live training panel: a fragment that polls the Trainer's snapshot about once a second.

Figures are rebuilt only when the snapshot's version changed; an unchanged figure is sent
again as the same spec, which the browser neither remounts nor redraws (no flicker, no cost).
While a run goes on, the progress line and the loss chart follow every refresh; the
prediction chart and the metrics every few seconds, since redrawing them takes the browser
CPU that, on a laptop or a small server, the training would use (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnncore.training.progress import ENDED
from rnncore.viz import plots
from ui.i18n import explain, language, t, table
from ui.state import held, lab, memo

ACTIVE = ("queued", "running")
REFRESH_SECONDS = 1.0  # the progress line and the loss chart
DETAIL_SECONDS = 3.0  # the prediction chart and the metrics: each redraw costs the browser ~0.1 s of CPU


def training_panel(status: str) -> None:
    """Progress, loss and predictions; polls while a run is queued or running.

    ``status`` is the one the page drew its buttons for: when the run's status moves on from
    it, the whole page is drawn again, so the buttons always match the run.
    """
    drawn = (status, id(lab().trainer))
    st.fragment(run_every=REFRESH_SECONDS if status in ACTIVE else None)(_panel)(drawn)


def _panel(drawn: tuple[str, int]) -> None:
    session = lab()
    trainer = session.trainer
    if trainer is None:
        st.info(t("train.none_yet"), icon=":material/play_circle:")
        return
    progress = trainer.snapshot()
    if (progress.status, id(trainer)) != drawn:  # a new status or the next run of a series:
        session.collect()  # the buttons and lists around the panel must follow
        st.rerun()
    _status_line(progress)
    frame = session.live.latest() if session.live is not None else None
    frame = held("live.frame", id(trainer), frame, DETAIL_SECONDS if progress.status in ACTIVE else 0.0)
    version = (id(trainer), progress.version)
    left, right = st.columns(2)
    with left:
        log_y = st.toggle(t("train.log_scale"), key="live.log_y", value=True)
        reference = session.dataset.sequences.baseline_mse if session.dataset.sequences is not None else None
        history = [{"epoch": r.epoch, "train_loss": r.train_loss, "val_loss": r.val_loss}
                   for r in progress.history]
        fig = memo("loss", (*version, log_y, language()), lambda: plots.loss_figure(
            history, progress.epochs, log_y=log_y, reference=reference,
            reference_name=t("train.mean_line"), labels=table("fig.loss")))
        st.plotly_chart(fig, key="live.loss")
    with right:
        if frame is None:
            st.caption(t("train.waiting_first_epoch"))
        elif not trainer.windows.is_sequences:
            fig = memo("pred", (id(trainer), frame.version, language()),
                                lambda: _prediction_figure(session, frame))
            st.plotly_chart(fig, key="live.pred")
        else:
            st.caption(t("train.sequences_no_series"))
    if frame is not None:
        _metrics_table(session, frame)


def _status_line(progress) -> None:
    done = len(progress.history)
    fraction = min(done / max(progress.epochs, 1), 1.0)
    eta = t("train.eta", seconds=f"{progress.eta:.0f}") if progress.eta is not None else ""
    st.progress(fraction, text=t("train.progress", epoch=done, epochs=progress.epochs,
                                 elapsed=f"{progress.elapsed:.1f}", eta=eta))
    said = explain(progress.reason, progress.details, progress.message)
    message = f"**{t(f'status.{progress.status}').capitalize()}** · {said}"
    if progress.status == "queued":
        st.info(t("train.queued"), icon=":material/hourglass_top:")
    elif progress.status in ("diverged", "failed"):
        st.error(message, icon=":material/error:")
    elif progress.status in ENDED:
        st.success(message, icon=":material/check_circle:")
    else:
        st.caption(message)


def _prediction_figure(session, frame):
    """The model's one-step predictions over the whole series against the truth."""
    windows = session.live.windows
    index = session.dataset.frame.index
    model = np.full(len(index), np.nan, dtype=np.float32)
    for positions, values in session.live.predictions(frame).values():
        model[positions] = values
    bounds = [index[min(b, len(index) - 1)] for b in windows.bounds]
    return plots.prediction_figure(index, windows.target_values, {t("metrics.model"): model},
                                   bounds=bounds, labels=table("fig.pred"))


def _metrics_rows(session, frame) -> list[dict]:
    return [{t("metrics.name"): t(f"baseline.{name}") if name != "model" else t("metrics.model"),
             "RMSE": m["rmse"], "MAE": m["mae"], "R²": m["r2"]} for name, m in session.live.metrics(frame).items()]


def _metrics_table(session, frame) -> None:
    rows = memo("metrics", (id(session.trainer), frame.version, language()), lambda: _metrics_rows(session, frame))
    split = t("split.val") if len(session.live.windows.val.x) else t("split.train")
    parameters = f"{session.trainer.model.num_parameters():,}"
    st.caption(t("train.metrics_caption", epoch=frame.epoch, split=split, parameters=parameters))
    st.dataframe(rows, hide_index=True, width="stretch")

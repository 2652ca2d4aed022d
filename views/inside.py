"""Inside the cell: gates, states, saturation, gradients through time, weights, the PCA path."""

import streamlit as st

from rnncore.training.progress import Status
from rnncore.viz import cell_plots, inspection
from ui import inside, state, tasks
from ui.errors import shielded
from ui.fragments import fragment
from ui.i18n import t, table
from ui.runs import no_runs
from ui.state import lab, memo

st.title(t("inside.title"))
st.caption(t("inside.intro"))


@fragment(run_every=state.INSIDE_SECONDS if lab().status() == Status.RUNNING else None)
def inside_view() -> None:
    with shielded("the Inside page"):
        draw_inside()


def draw_inside() -> None:
    subject = inside.subject()
    if subject is None:
        no_runs("inside.no_model")
        return
    run, view = subject  # read once: the run's own windows and the weights of one moment
    if run.config.data.task != "forecast":  # a text or labels run: its text coloured by a unit, or a sequence
        tasks.inside(run.result)
        return
    model, windows, config, progress = view.model, run.windows, view.model.config, run.progress()
    st.caption(t("inside.showing", epoch=len(progress.history), status=t(f"status.{progress.status}")))
    splits = [s for s in ("test", "val", "train") if len(getattr(windows, s).x)]
    c1, c2, c3 = st.columns([1, 3, 1])
    split = c1.selectbox(t("inside.split"), splits, format_func=lambda s: t(f"split.{s}"), key="w.inside.split")
    count = len(getattr(windows, split).x)
    inside.keep_within("w.inside.window", count - 1)  # a window or layer picked for another run
    inside.keep_within("w.inside.layer", config.num_layers - 1)
    index = c2.slider(t("inside.window"), 0, count - 1, 0, key="w.inside.window") if count > 1 else 0
    layer = c3.selectbox(t("inside.layer"), range(config.num_layers), key="w.inside.layer")
    key = (*view.version, split, index, layer)

    trace = memo("inside.trace", key, lambda: inspection.trace_window(model, windows, split, index, layer))
    st.plotly_chart(memo("inside.heat", key, lambda: inside.heatmaps(trace, config.cell, config.activation,
                                                                   windows.features)),
                    key="inside.heatmaps")
    left, right = st.columns(2)
    with left:
        saturation = memo("inside.sat", (*view.version, split, layer),
                          lambda: inside.saturation(model, windows, split, layer, live=view.live))
        if saturation is None:
            st.info(t("inside.no_gates"))
        else:
            st.plotly_chart(saturation, key="inside.saturation")
    with right:
        st.plotly_chart(memo("inside.pca", key, lambda: inside.trajectory(trace)), key="inside.pca")

    left, right = st.columns(2)
    with left:
        grad = progress.grad_through_time
        if grad is None:
            st.info(t("inside.no_grad_yet"))
        else:
            figure = cell_plots.grad_through_time_figure(grad, labels=table("fig.gtt"))
            st.plotly_chart(figure, key="inside.gtt")
            st.caption(t("inside.gtt_caption", epoch=progress.grad_through_time_epoch))
    with right:
        weights, grads = memo("inside.hist", view.version, lambda: inside.histograms(model, view.gradients))
        tabs = st.tabs([t("inside.weights"), t("inside.gradients")])
        tabs[0].plotly_chart(weights, key="inside.weights")
        if grads is not None:
            tabs[1].plotly_chart(grads, key="inside.grads")
        else:
            tabs[1].info(t("inside.no_grads"))


inside_view()

"""Inside the cell: gates, states, saturation, gradients through time, weights, the PCA path."""

import streamlit as st

from rnncore.viz import cell_plots, inspection
from ui import inside
from ui.i18n import t, table
from ui.state import lab, memo

st.title(t("inside.title"))
st.caption(t("inside.intro"))


@st.fragment(run_every=3.0 if lab().status() == "running" else None)  # heavier than the Train page
def inside_view() -> None:
    subject = inside.subject()
    if subject is None:
        st.info(t("inside.no_model"), icon=":material/info:")
        return
    model, windows, config = subject.model, subject.windows, subject.model.config
    st.caption(t("inside.showing", epoch=len(subject.progress.history), status=t(f"status.{subject.progress.status}")))
    splits = [s for s in ("test", "val", "train") if len(getattr(windows, s).x)]
    c1, c2, c3 = st.columns([1, 3, 1])
    split = c1.selectbox(t("inside.split"), splits, format_func=lambda s: t(f"split.{s}"), key="w.inside.split")
    count = len(getattr(windows, split).x)
    index = c2.slider(t("inside.window"), 0, count - 1, 0, key="w.inside.window") if count > 1 else 0
    layer = c3.selectbox(t("inside.layer"), range(config.num_layers), key="w.inside.layer")
    key = (*subject.version, split, index, layer)

    trace = memo("inside.trace", key, lambda: inspection.trace_window(model, windows, split, index, layer))
    st.plotly_chart(memo("inside.heat", key, lambda: inside.heatmaps(trace, config.cell, config.activation)),
                    key="inside.heatmaps")
    left, right = st.columns(2)
    with left:
        saturation = memo("inside.sat", (*subject.version, split, layer),
                          lambda: inside.saturation(model, windows, split, layer, live=subject.live))
        if saturation is None:
            st.info(t("inside.no_gates"))
        else:
            st.plotly_chart(saturation, key="inside.saturation")
    with right:
        st.plotly_chart(memo("inside.pca", key, lambda: inside.trajectory(trace)), key="inside.pca")

    left, right = st.columns(2)
    with left:
        grad = subject.progress.grad_through_time
        if grad is None:
            st.info(t("inside.no_grad_yet"))
        else:
            figure = cell_plots.grad_through_time_figure(grad, labels=table("fig.gtt"))
            st.plotly_chart(figure, key="inside.gtt")
            st.caption(t("inside.gtt_caption", epoch=subject.progress.grad_through_time_epoch))
    with right:
        weights, grads = memo("inside.hist", subject.version, lambda: inside.histograms(model, subject.gradients))
        tabs = st.tabs([t("inside.weights"), t("inside.gradients")])
        tabs[0].plotly_chart(weights, key="inside.weights")
        if grads is not None:
            tabs[1].plotly_chart(grads, key="inside.grads")
        else:
            tabs[1].info(t("inside.no_grads"))


inside_view()

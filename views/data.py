"""Data: upload a CSV, pick a real data set or generate one; then choose windows and split."""

import dataclasses

import streamlit as st

from rnncore.config import DataConfig
from rnncore.data import DataError, load_csv
from rnncore.data.windows import make_windows
from rnncore.viz import plots
from ui.controls import window_controls
from ui.data_panels import description, generator_panel, sample_picker, upload_panel
from ui.i18n import explain_error, explain_note, plain, t, table
from ui.state import lab, server_limits

session = lab()
st.title(t("data.title"))

sample_tab, upload_tab, generate_tab = st.tabs([t("data.tab_sample"), t("data.tab_upload"),
                                               t("data.tab_generate")])
with sample_tab:
    if (name := sample_picker()) is not None:
        session.load(f"sample:{name}")
with upload_tab:
    if (upload := upload_panel()) is not None:
        file_name, content = upload
        try:
            session.use_dataset(load_csv(content, name=file_name), DataConfig(source=file_name))
        except DataError as exc:
            st.session_state["data.upload_error"] = t("data.upload_failed", name=file_name,
                                                          error=explain_error(exc, field=True))
        else:
            st.session_state.pop("data.upload_error", None)
    if message := st.session_state.get("data.upload_error"):
        st.error(message, icon=":material/error:")
        if session.dataset is not None:
            st.caption(t("data.kept_previous", name=session.dataset.name))
with generate_tab:
    if (generated := generator_panel()) is not None:
        name, params = generated
        try:
            session.load(f"synthetic:{name}", params)
        except (DataError, ValueError) as exc:
            st.error(explain_error(exc), icon=":material/error:")

try:
    dataset = session.ensure_dataset()
except DataError as exc:
    st.info(explain_error(exc))
    st.stop()

st.header(plain(dataset.name))
if dataset.description:
    st.caption(description(dataset, session.config.data.source))
if not session.config.data.source.startswith(("sample:", "synthetic:")):
    st.caption(t("data.link_note"))
if dataset.notes:
    with st.expander(t("data.notes", count=len(dataset.notes)), expanded=False):
        for note in dataset.notes:
            st.markdown(explain_note(note))

st.subheader(t("data.windows"))
config = session.config
target, features, window = window_controls(config.window, [str(c) for c in dataset.frame.columns],
                                           config.data.target, config.data.features, server_limits(),
                                           sequences=dataset.sequences is not None)
session.config = dataclasses.replace(config, window=window,
                                     data=dataclasses.replace(config.data, target=target, features=features))
try:
    windows = make_windows(dataset, window, target, features)
except DataError as exc:
    st.warning(explain_error(exc), icon=":material/warning:")
    windows = None
else:
    st.caption(t("data.window_counts", train=len(windows.train.x), val=len(windows.val.x),
                 test=len(windows.test.x)))

bounds = windows.bounds if windows is not None and dataset.sequences is None else None
if dataset.sequences is not None:
    st.caption(t("data.sequences", count=len(dataset.sequences.inputs)))
figure = plots.series_figure(dataset.frame, None, bounds, labels=table("fig.series"))
st.plotly_chart(figure, key="data.series")
st.dataframe(dataset.frame.head(12), width="stretch")

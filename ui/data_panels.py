"""The three ways to get data, each a widget group that returns what the user asked for."""

from __future__ import annotations

import streamlit as st

from rnncore.data import list_samples, sample_description
from rnncore.generators import describe_generator, generator_bounds, generator_params, list_generators
from ui.i18n import t

INTEGER_PARAMS = ("length", "steps", "samples", "substeps")


def sample_picker() -> str | None:
    """A bundled real data set: its name when the user asks to load it."""
    name = st.selectbox(t("data.sample"), list_samples(), format_func=lambda n: t(f"sample.{n}"),
                        key="w.sample")
    st.caption(sample_description(name))
    return name if st.button(t("data.use_sample"), icon=":material/download:") else None


def upload_panel() -> tuple[str, bytes] | None:
    """A CSV file from the user: (file name, bytes) once per new upload."""
    limit = st.get_option("server.maxUploadSize")
    upload = st.file_uploader(t("data.upload", limit=limit), type=["csv", "txt", "tsv"],
                              help=t("data.upload_help", limit=limit), key="w.upload")
    if upload is None or st.session_state.get("data.upload_id") == upload.file_id:
        return None
    st.session_state["data.upload_id"] = upload.file_id
    return upload.name, upload.getvalue()


def generator_panel() -> tuple[str, dict] | None:
    """A synthetic sequence: (generator name, parameters) when the user asks for it."""
    name = st.selectbox(t("data.generator"), list_generators(), format_func=lambda n: t(f"generator.{n}"),
                        key="w.generator")
    st.caption(describe_generator(name))
    defaults, bounds = generator_params(name), generator_bounds(name)
    params = {}
    columns = st.columns(4)
    for i, (key, default) in enumerate(defaults.items()):
        low, high = bounds[key]
        whole = key in INTEGER_PARAMS
        params[key] = columns[i % 4].number_input(
            key, min_value=int(low) if whole else float(low), max_value=int(high) if whole else float(high),
            value=int(default) if whole else float(default), step=1 if whole else None,
            key=f"w.gen.{name}.{key}")
    seed = st.number_input(t("data.generator_seed"), 0, 2**31 - 1, 0, key="w.gen.seed")
    if st.button(t("data.generate"), icon=":material/auto_awesome:"):
        return name, {**params, "seed": int(seed)}
    return None

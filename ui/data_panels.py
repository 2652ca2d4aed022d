"""The three ways to get data, each a widget group that returns what the user asked for."""

from __future__ import annotations

import streamlit as st

from rnncore.data import list_samples, sample_description
from rnncore.data.generators import describe_generator, generator_bounds, generator_params, list_generators
from ui.i18n import plain, t
from ui.state import UPLOAD_DONE

INTEGER_PARAMS = ("length", "steps", "samples", "substeps")


def sample_picker() -> str | None:
    """A bundled real data set: its name when the user asks to load it."""
    name = st.selectbox(t("data.sample"), list_samples(), format_func=lambda n: t(f"sample.{n}"),
                        key="w.sample")
    st.caption(t(f"sample_about.{name}"))
    return name if st.button(t("data.use_sample"), key="b.use_sample", icon=":material/download:") else None


def description(dataset, source: str) -> str:
    """The data set's one-line description, Markdown-safe: in the reader's language when it is a
    sample's or a generator's (a generator's settings after it are names and numbers)."""
    kind, _, name = source.partition(":")
    known = {"sample": ("sample_about", list_samples(), sample_description),
             "synthetic": ("generator_about", list_generators(), describe_generator)}
    if kind in known and name in known[kind][1]:
        prefix, _, english = known[kind]
        if dataset.description.startswith(english(name)):
            return t(f"{prefix}.{name}") + plain(dataset.description.removeprefix(english(name)))
    return plain(dataset.description)


def upload_panel() -> tuple[str, bytes] | None:
    """A CSV file from the user: (file name, bytes) once per new upload."""
    limit = st.get_option("server.maxUploadSize")
    upload = st.file_uploader(t("data.upload", limit=limit), type=["csv", "txt", "tsv"],
                              help=t("data.upload_help", limit=limit), key="w.upload")
    if upload is None or st.session_state.get(UPLOAD_DONE) == upload.file_id:
        return None
    st.session_state[UPLOAD_DONE] = upload.file_id
    return upload.name, upload.getvalue()


def generator_panel() -> tuple[str, dict] | None:
    """A synthetic sequence: (generator name, parameters) when the user asks for it."""
    name = st.selectbox(t("data.generator"), list_generators(), format_func=lambda n: t(f"generator.{n}"),
                        key="w.generator")
    st.caption(t(f"generator_about.{name}"))
    defaults, bounds = generator_params(name), generator_bounds(name)
    params = {}
    columns = st.columns(4)
    for i, (key, default) in enumerate(defaults.items()):
        low, high = bounds[key]
        whole = key in INTEGER_PARAMS
        params[key] = columns[i % 4].number_input(  # the key stays English: it is the link's p.KEY
            t(f"genparam.{key}"), min_value=int(low) if whole else float(low),
            max_value=int(high) if whole else float(high),
            value=int(default) if whole else float(default), step=1 if whole else None,
            key=f"w.gen.{name}.{key}")
    seed = st.number_input(t("data.generator_seed"), 0, 2**31 - 1, 0, key="w.gen.seed")
    if st.button(t("data.generate"), key="b.generate", icon=":material/auto_awesome:"):
        return name, {**params, "seed": int(seed)}
    return None

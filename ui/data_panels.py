"""The three ways to get data, each a widget group whose button (or upload) loads it for the next run.

They load in a widget callback, before the page is drawn again: the sidebar, the column choices and
the charts of that run already show the new data.
"""

from __future__ import annotations

import streamlit as st

from rnncore.data import list_samples, sample_description
from rnncore.data.generators import (
    check_generator,
    describe_generator,
    generator_bounds,
    generator_params,
    list_generators,
)
from rnncore.data.windows import outside_training
from rnncore.errors import KeyedError
from ui import actions
from ui.i18n import explain_error, plain, t, text
from ui.state import WIDGET_PREFIX

UPLOAD, SAMPLE = WIDGET_PREFIX + "upload", WIDGET_PREFIX + "sample"

INTEGER_PARAMS = ("length", "steps", "samples", "substeps")


def sample_picker() -> None:
    """A bundled real data set, loaded when the user asks."""
    name = st.selectbox(t("data.sample"), list_samples(), format_func=lambda n: t(f"sample.{n}"), key=SAMPLE)
    st.caption(t(f"sample_about.{name}"))
    st.button(t("data.use_sample"), key="b.use_sample", icon=":material/download:", on_click=actions.load_sample,
              args=(SAMPLE,))


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


def upload_panel() -> None:
    """A CSV file from the user, loaded as it arrives."""
    limit = st.get_option("server.maxUploadSize")
    st.file_uploader(t("data.upload", limit=limit), type=["csv", "txt", "tsv"], key=UPLOAD,
                     help=t("data.upload_help", limit=limit), on_change=actions.load_upload, args=(UPLOAD,))
    st.caption(t("data.upload_limit", limit=limit, bytes=f"{limit * 1_000_000:,}"))


def generator_panel() -> None:
    """A synthetic sequence with the parameters set here, generated when the user asks."""
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
    st.number_input(t("data.generator_seed"), 0, 2**31 - 1, 0, key="w.gen.seed")
    try:  # each value is in its range; together they may still make more than the server generates
        check_generator(name, params)
        too_big = False
    except KeyedError as exc:
        st.warning(explain_error(exc), icon=":material/warning:")
        too_big = True
    st.button(t("data.generate"), key="b.generate", icon=":material/auto_awesome:", on_click=actions.generate,
              args=(name, {key: f"w.gen.{name}.{key}" for key in params}, "w.gen.seed"), disabled=too_big)


def size(dataset) -> str:
    """How big the data is, as people count it: "144 rows", "3,000 sequences of 50 steps" (a memory task, a
    labelled set) or "197,408 characters". Plain text: a field for t()."""
    from rnncore.data.labelled import LabelledSet
    from rnncore.data.text import Text

    if isinstance(dataset, Text):
        return text("data.size_characters", count=f"{len(dataset):,}")
    if isinstance(dataset, LabelledSet):
        return text("data.size_sequences", count=f"{len(dataset):,}", steps=dataset.x.shape[1])
    if dataset.sequences is not None:
        count, steps, _ = dataset.sequences.inputs.shape
        return text("data.size_sequences", count=f"{count:,}", steps=steps)
    return text("data.size_rows", rows=f"{len(dataset.frame):,}")


def recommended_said(config, name: str) -> str:
    """The settings the bundled sample ``name`` of ``config``'s task recommends, as ``config`` holds them and the
    widgets label them: "Cell: GRU · Hidden units: 17 · ..." (plain text: a field for t())."""
    from rnncore.config import SETTINGS
    from rnncore.tasks.build import recommendations

    parts = []
    for section, values in (recommendations(config.data.task, name) or {}).items():
        for setting in values:
            declared, value = SETTINGS[setting], getattr(getattr(config, section), setting)
            shown = text(f"{declared.labels}.{value}") if declared.labels else f"{value:g}"
            parts.append(f"{text(f'setting.{setting}')}: {shown}")
    return " · ".join(parts)


FEW_WINDOWS = 50  # fewer training windows than this is little to learn from: say so


def data_warnings(windows, window) -> list[str]:
    """What about these windows will surprise: a test part outside the training range, few windows."""
    said = []
    if (outside := outside_training(windows)) is not None and window.difference == "none":
        said.append(t(f"data.outside_{outside['side']}", test=f"{outside['test']:.4g}",
                      train=f"{outside['train']:.4g}"))
    if len(windows.train.x) < FEW_WINDOWS and not windows.is_sequences:
        said.append(t("data.few_windows", count=len(windows.train.x), lookback=window.lookback))
    return said


def layout_offer(session, dataset) -> None:
    """A grid of years by months (or quarters) is offered as one series; an unstacked one, back as a table."""
    from rnncore.data.layouts import wide_layout

    if session.config.data.layout == "unstack":
        st.button(t("data.as_table"), key="b.as_table", on_click=actions.reshape, args=("table",))
    elif (kind := wide_layout(dataset)) is not None:
        st.info(t(f"data.wide_{kind}", rows=len(dataset.frame), columns=dataset.frame.shape[1]),
                icon=":material/table_rows:")
        st.button(t(f"data.unstack_{kind}"), key="b.unstack", type="primary", on_click=actions.reshape,
                  args=("unstack",))

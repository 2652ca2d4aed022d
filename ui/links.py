"""The whole experiment in the URL, as TensorFlow Playground does: restore once, then publish."""

from __future__ import annotations

import dataclasses

import streamlit as st

from rnncore.config import ConfigError, ExperimentConfig
from rnncore.data import DataError
from ui.controls import forget_widgets, within_ranges
from ui.i18n import LANGUAGES, explain_error, t
from ui.state import lab, server_limits

RESTORED = "links.restored"


def restore() -> None:
    """On a session's first run, read the experiment from the query parameters, if any."""
    if st.session_state.get(RESTORED):
        return
    st.session_state[RESTORED] = True
    query = {key: st.query_params.get_all(key) for key in st.query_params}
    lang = (query.pop("lang", None) or ["en"])[-1]
    if lang in LANGUAGES:
        st.session_state["lang"] = lang
    if not query:
        return
    unusable: list[ConfigError] = []
    config = ExperimentConfig.from_query(query, unusable)
    problems = [explain_error(problem) for problem in unusable]  # they quote the link: shown as text
    session = lab()
    source = config.data.source
    if source.startswith(("sample:", "synthetic:")):
        try:
            session.load(source, config.data.params)
        except (DataError, ValueError) as exc:
            problems.append(t("links.bad_source", source=source, error=explain_error(exc, field=True)))
            config = dataclasses.replace(config, data=session.config.data)
    else:
        problems.append(t("links.no_upload", source=source))
        config = dataclasses.replace(config, data=session.config.data)
    config, out_of_range = within_ranges(dataclasses.replace(config, data=session.config.data), server_limits())
    session.config = config
    problems += out_of_range
    forget_widgets()
    st.session_state["links.problems"] = problems


def problems() -> list[str]:
    """What a link asked for that could not be used (shown once by the sidebar)."""
    return st.session_state.pop("links.problems", [])


def query_for(config: ExperimentConfig, lang: str) -> dict[str, str]:
    query = config.to_query()
    if not config.data.source.startswith(("sample:", "synthetic:")):
        query.pop("source", None)  # uploaded data cannot travel in a link
    if lang != "en":
        query["lang"] = lang
    return query


def publish(_page_path: str) -> None:
    """Write the current experiment into the URL when it changed."""
    from ui.i18n import language

    wanted = query_for(lab().config, language())
    current = {key: st.query_params.get(key) for key in st.query_params}
    if current != wanted:
        st.query_params.from_dict(wanted)

"""The whole experiment in the URL, as TensorFlow Playground does: restore once, then publish.

Reading a link is lenient: a value outside its setting's declared range, or above this server's
cap, is named and the default used instead; everything else the link asked for is kept.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from rnncore.config import ConfigError, ExperimentConfig
from rnncore.errors import KeyedError
from ui.controls import forget_widgets
from ui.i18n import LANGUAGES, explain_error, language, source_name, t
from ui.state import LANG, LINK_PROBLEMS, LINK_RESTORED, lab, server_limits
from ui.workspace import PARAM

ROWS = "rows"  # a link made on an uploaded file says how many rows it had


def within_limits(config: ExperimentConfig) -> tuple[ExperimentConfig, list[str]]:
    """The config with every setting above this server's cap set back to its default, and what was, said."""
    config, over = server_limits().run_limits().within(config)
    return config, [explain_error(problem) for problem in over]


def browser_language() -> str:
    """The language of the reader's browser (``navigator.language``): Chinese for zh-*, else English."""
    return "zh" if (st.context.locale or "").lower().startswith("zh") else "en"


def restore() -> None:
    """On a session's first run, read the experiment from the query parameters, if any, and the language: the
    link's, else the browser's."""
    if st.session_state.get(LINK_RESTORED):
        return
    st.session_state[LINK_RESTORED] = True
    query = {key: st.query_params.get_all(key) for key in st.query_params}
    lang = (query.pop("lang", None) or [browser_language()])[-1]
    st.session_state[LANG] = lang if lang in LANGUAGES else browser_language()
    rows = (query.pop(ROWS, None) or [""])[-1]  # how long the uploaded file was (a link's own word)
    query.pop(PARAM, None)  # the workspace link's key: ui.workspace reads it, it is not a setting
    query.pop("teacher", None)  # the teacher link's key: ui.classroom reads it
    if not query:
        return
    unusable: list[ConfigError] = []
    config = ExperimentConfig.from_query(query, unusable)
    problems = [explain_error(problem) for problem in unusable]  # they quote the link: shown as text
    session = lab()
    data = config.data
    if data.kind == "file" and not _has_file(session, data):
        # never other data in its place: the next run waits for that file
        problems.append(t("links.upload_needed", source=data.source, rows=rows or "?"))
    if data.kind != "file":
        try:
            session.load(data.source, data.params, task=data.task, label=data.label)  # all or nothing
        except KeyedError as exc:
            problems.append(t("links.bad_source", source=source_name(data.source),
                              error=explain_error(exc, field=True)))
            config = dataclasses.replace(config, data=session.config.data)
    config, over = within_limits(config)
    session.config = config
    forget_widgets()
    st.session_state[LINK_PROBLEMS] = problems + over


def _has_file(session, data) -> bool:
    """Whether the file ``data`` names is the next run's data now, or is kept in the workspace and is loaded now (a
    reload of a page made on an upload, a class's challenge file): only a file the workspace never had is asked
    for."""
    if session.dataset is not None and session.config.data.source == data.source \
            and session.config.data.task == data.task:
        return True
    try:
        return session.load_kept(data.source, data.task, data.label) is not None
    except KeyedError:
        return False


def problems() -> list[str]:
    """What a link asked for that could not be used (shown once by the sidebar)."""
    return st.session_state.pop(LINK_PROBLEMS, [])


def query_for(config: ExperimentConfig, lang: str, dataset=None) -> dict[str, str]:
    """The link's query: the experiment and the language (whoever opens it, or reloads the page, reads what the
    link's maker read, whatever their browser's language); for uploaded data, the file's name and rows (not the
    file)."""
    query = config.to_query()
    forecast = config.data.task == "forecast"
    if config.data.kind == "file" and dataset is not None and not (forecast and dataset.sequences is not None):
        query[ROWS] = str(len(dataset.frame) if forecast else len(dataset))  # a text's characters, a set's sequences
    query["lang"] = lang
    return query


def link_of(config: ExperimentConfig, lang: str, dataset=None, page: str = "train") -> str:
    """The experiment's link on this server: what a teacher pins for the class (by default the Train page)."""
    from urllib.parse import urlencode, urlsplit

    here = urlsplit(st.context.url or "")
    return f"{here.scheme}://{here.netloc}/{page}?{urlencode(query_for(config, lang, dataset))}"


def publish() -> None:
    """Write the current experiment into the URL when it changed."""

    session = lab()
    wanted = query_for(session.config, language(), session.dataset)
    current = {key: st.query_params.get(key) for key in st.query_params}
    if current != wanted:
        st.query_params.from_dict(wanted)

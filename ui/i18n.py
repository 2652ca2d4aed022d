"""Every string a user sees goes through t(): one table per language, checked to match."""

from __future__ import annotations

import re

import streamlit as st

from rnncore.config import SETTINGS
from rnncore.errors import ConfigError
from ui.lang import en, zh
from ui.state import LANG

LANGUAGES = {"en": "English", "zh": "简体中文"}
TABLES = {"en": en.STRINGS, "zh": zh.STRINGS}


def language() -> str:
    lang = st.session_state.get(LANG, "en")
    return lang if lang in TABLES else "en"


# rnncore's messages name no page or button; for these the app adds where to click
WHERE = {"dataerror.no_data": "where.data", "dataerror.load_run_data": "where.data",
         "configerror.model_gone": "where.export", "bundleerror.empty": "where.export",
         "bundleerror.not_zip": "where.export", "bundleerror.no_manifest": "where.export",
         "bundleerror.wrong_format": "where.export", "bundleerror.a_forecast": "where.compare_import",
         "bundleerror.a_task": "where.tasks_import", "bundleerror.needs_upload": "where.tasks_data",
         "configerror.not_forecast": "where.tasks"}

_MARKUP = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=^&])")
# Streamlit's Markdown turns an address in plain text into a link after escapes are read ("www\.x\.org" too):
# an invisible word joiner where such an address starts ("www.", "://", "@") keeps it text
_AUTOLINK = re.compile(r"(?i)(?<=www)(?=\.)|(?<=:)(?=//)|(?=@)")
WORD_JOINER = "\u2060"


def plain(value) -> str:
    """``value`` as text that Streamlit's Markdown shows as written: no links (not even an address it would
    link on its own), images, HTML, emphasis, colours or LaTeX from a file name, a column name or an error
    message."""
    return _MARKUP.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, str(value)))


def t(key: str, **values) -> str:
    """The text for ``key`` in the session's language, with ``{name}`` fields filled in.

    Field values are shown as plain text (``plain``): they may come from users' files.
    """
    text = TABLES[language()].get(key) or en.STRINGS.get(key, key)
    return text.format(**{k: plain(v) for k, v in values.items()}) if values else text


def text(key: str, **values) -> str:
    """Like ``t`` but not Markdown-escaped: for widget options and figure labels, which show text as it is."""
    template = TABLES[language()].get(key) or en.STRINGS.get(key, key)
    return template.format(**values) if values else template


def table(prefix: str) -> dict[str, str]:
    """All texts under ``prefix.`` as {rest-of-key: text}: labels for a figure builder."""
    strings = TABLES[language()]
    return {k[len(prefix) + 1:]: v for k, v in strings.items() if k.startswith(prefix + ".")}


def explain(reason: str, details: dict, message: str) -> str:
    """What a run says about itself, in the session's language (its English message otherwise)."""
    key = f"reason.{reason}"
    return t(key, **details) if key in en.STRINGS else plain(message)


def _error_key(exc: Exception) -> str:
    """The language-table key of a DataError, ConfigError or BundleError (their ``prefix``.``key``)."""
    return f"{getattr(exc, 'prefix', 'dataerror')}.{getattr(exc, 'key', None)}"


# a link's problems and a zip's config name settings as the text did: "Hidden units (hidden_size)"
LINK_WRAPPERS = ("ignored", "default_used", "defaults_used", "bad_config")


def _details(exc: Exception, in_link: bool = False) -> dict:
    """The error's details for its template: a setting's name becomes its widget label (with the link's
    own word after it, for a problem of a link); a detail that is itself such an error (the config inside
    a zip, the problem in a link) becomes its text in the session's language."""
    def said(key: str, value):
        if isinstance(value, Exception):
            return _error_text(value, in_link=getattr(exc, "key", None) in LINK_WRAPPERS)
        if key == "name" and isinstance(exc, ConfigError) and value in SETTINGS:
            return f"{text(f'setting.{value}')} ({value})" if in_link else text(f"setting.{value}")
        return value

    return {key: said(key, value) for key, value in exc.details.items()}


def _error_text(exc: Exception, in_link: bool = False) -> str:
    """``exc`` in the session's language as plain (unescaped) text."""
    key = _error_key(exc)
    if key not in en.STRINGS:
        return str(exc)
    return (TABLES[language()].get(key) or en.STRINGS[key]).format(**_details(exc, in_link))


def explain_error(exc: Exception, field: bool = False) -> str:
    """A DataError, ConfigError or BundleError (or any error) in the session's language: its ``key``
    and ``details`` when the text exists, else its English message. Markdown-safe, or with
    ``field=True`` unescaped text to pass as a field of t() (which escapes it once)."""
    if field:
        return _error_text(exc)
    key = _error_key(exc)
    said = t(key, **_details(exc)) if key in en.STRINGS else plain(exc)
    return text("where.join").format(message=said, hint=t(WHERE[key])) if key in WHERE else said


def where_to(exc: Exception) -> str:
    """Where in the app to go about ``exc`` ("Open the Data page."), or "" when nowhere in particular."""
    key = _error_key(exc)
    return t(WHERE[key]) if key in WHERE else ""


def explain_note(note, family: str = "datanote") -> str:
    """A Note (rnncore.errors) in the session's language, Markdown-safe: a cleaning note of Dataset.notes,
    or with ``family="baselinenote"`` why a baseline is missing."""
    name = f"{family}.{note.key}"
    return t(name, **note.details) if note.key and name in en.STRINGS else plain(note)

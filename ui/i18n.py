"""Every string a user sees goes through t(): one table per language, checked to match."""

from __future__ import annotations

import re

import streamlit as st

from rnncore.config import SETTINGS, source_kind
from rnncore.errors import DataError, Several
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
         "bundleerror.wrong_format": "where.export"}

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


# rnncore's messages name settings as the config does ("train_fraction 0.7"); the page says the label it shows
# ("Training part 0.7"), except where the name is something to type (hidden_size=4:64, "e.g. hidden_size,lr")
NAMED_SETTINGS = ("dataerror", "datanote", "configerror", "bundleerror", "classerror", "sweeperror", "reason",
                  "baselinenote")
_SETTING_WORD = re.compile(r"(?<![\w{=,])(" + "|".join(sorted((n for n in SETTINGS if "_" in n), key=len, reverse=True))
                           + r")(?![\w}=:]|,\w)")


def _template(key: str, lang: str | None = None) -> str:
    """The template of ``key`` in the session's language (or ``lang``; English where it has none), a setting
    named in a message by its label."""
    strings = TABLES[lang or language()]
    template = strings.get(key) or en.STRINGS.get(key, key)
    if key.partition(".")[0] in NAMED_SETTINGS:
        template = _SETTING_WORD.sub(lambda m: strings.get(f"setting.{m[1]}") or m[1], template)
    return template


def t(key: str, **values) -> str:
    """The text for ``key`` in the session's language, with ``{name}`` fields filled in.

    Field values are shown as plain text (``plain``): they may come from users' files.
    """
    text = _template(key)
    return text.format(**{k: plain(v) for k, v in values.items()}) if values else text


def text(key: str, **values) -> str:
    """Like ``t`` but not Markdown-escaped: for widget options and figure labels, which show text as it is."""
    template = _template(key)
    return template.format(**values) if values else template


def source_name(source: str) -> str:
    """The name people read for a data source (``DataConfig.source``), plain text: a sample's title, a
    generator's name, in the session's language; an uploaded file's name as it is."""
    if source_kind(source) == "file":
        return source
    kind, _, name = source.partition(":")
    keys = (f"sample.{name}", f"tasks.sample.{name}") if kind == "sample" else (f"generator.{name}",)
    found = next((key for key in (*keys, f"tasks.sample.{source}") if key in en.STRINGS), None)
    return text(found) if found else name


def table(prefix: str) -> dict[str, str]:
    """All texts under ``prefix.`` as {rest-of-key: text}: labels for a figure builder."""
    strings = TABLES[language()]
    return {k[len(prefix) + 1:]: v for k, v in strings.items() if k.startswith(prefix + ".")}


def explain(reason: str, details: dict, message: str) -> str:
    """What a run says about itself, in the session's language (its English message otherwise)."""
    key = f"reason.{reason}"
    return t(key, **{k: said(k, v) for k, v in details.items()}) if key in en.STRINGS else plain(message)


NAMELESS = re.compile(r"'column (\d+)'")  # how rnncore names a column without a name in the file (its number)
SETTING_DETAILS = ("name", "setting")  # the details of an error that may hold a setting's name


def said(key: str, value):
    """A detail of a message or a note as people read it: a column without a name by its number and "(no name)",
    a data source by its name (``source_name``)."""
    if not isinstance(value, str):
        return value
    if key in ("column", "columns"):
        return NAMELESS.sub(lambda m: text("data.nameless_column", number=m[1]), value)
    if key == "source":
        return source_name(value)
    return value


def _error_key(exc: Exception) -> str:
    """The language-table key of a DataError, ConfigError or BundleError (their ``prefix``.``key``)."""
    return f"{getattr(exc, 'prefix', 'dataerror')}.{getattr(exc, 'key', None)}"


# a link's problems and a zip's config name settings as the text did: "Hidden units (hidden_size)"
LINK_WRAPPERS = ("ignored", "default_used", "defaults_used", "bad_config")


def _details(exc: Exception, in_link: bool = False) -> dict:
    """The error's details for its template: a setting's name becomes its widget label (with the link's
    own word after it, for a problem of a link); a detail that is itself such an error (the config inside
    a zip, the problem in a link, ``Several`` of them) becomes its text in the session's language; the rest as
    ``said``."""
    def shown(key: str, value):
        if isinstance(value, Exception):
            return _error_text(value, in_link=getattr(exc, "key", None) in LINK_WRAPPERS)
        if isinstance(value, Several):
            return text("list.errors").join(_error_text(each) for each in value)
        if key in SETTING_DETAILS and value in SETTINGS and not isinstance(exc, DataError):
            return f"{text(f'setting.{value}')} ({value})" if in_link else text(f"setting.{value}")
        return said(key, value)

    return {key: shown(key, value) for key, value in exc.details.items()}


def _error_text(exc: Exception, in_link: bool = False, lang: str | None = None) -> str:
    """``exc`` in the session's language (or in ``lang``) as plain (unescaped) text."""
    key = _error_key(exc)
    if key not in en.STRINGS:
        return str(exc)
    return _template(key, lang).format(**_details(exc, in_link))


def explain_error(exc: Exception, field: bool = False) -> str:
    """A DataError, ConfigError or BundleError (or any error) in the session's language: its ``key``
    and ``details`` when the text exists, else its English message. Markdown-safe, or with
    ``field=True`` unescaped text to pass as a field of t() (which escapes it once)."""
    if field:
        return _error_text(exc)
    key = _error_key(exc)
    said = t(key, **_details(exc)) if key in en.STRINGS else plain(exc)
    return text("where.join").format(message=said, hint=t(WHERE[key])) if key in WHERE else said


def in_every_language(key: str, exc: Exception) -> str:
    """The text ``key`` followed by ``exc``, once in each language (a paragraph each), Markdown-safe: for a page
    shown before its reader could choose one."""
    return "\n\n".join(f"{TABLES[lang][key]} {plain(_error_text(exc, lang=lang))}" for lang in LANGUAGES)


def where_to(exc: Exception) -> str:
    """Where in the app to go about ``exc`` ("Open the Data page."), or "" when nowhere in particular."""
    key = _error_key(exc)
    return t(WHERE[key]) if key in WHERE else ""


def explain_note(note, family: str = "datanote") -> str:
    """A Note (rnncore.errors) in the session's language, Markdown-safe: a cleaning note of Dataset.notes,
    or with ``family="baselinenote"`` why a baseline is missing."""
    name = f"{family}.{note.key}"
    return t(name, **{k: said(k, v) for k, v in note.details.items()}) if note.key and name in en.STRINGS \
        else plain(note)

"""The errors a user can cause, and the notes the data layer leaves: each a key with details.

``str(e)`` (or ``str(note)``) is the English template of ``key`` in rnncore.messages filled with
``details``; a page says the same in its reader's language from ``prefix + "." + key``
(ui.i18n.explain_error). A detail may itself be a KeyedError (a config inside a zip, a problem in
a link), or ``Several`` of them: its own text is filled in, translated the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from rnncore.messages import (
    BUNDLE_MESSAGES,
    CLASS_MESSAGES,
    CONFIG_MESSAGES,
    DATA_MESSAGES,
    DATA_NOTES,
    SETTINGS_MESSAGES,
    STORE_MESSAGES,
    SWEEP_MESSAGES,
)


class KeyedError(ValueError):
    """An error whose English message is ``messages[key]`` filled with ``details`` (or a free text, key None)."""

    prefix = ""  # the key family in the language tables, e.g. "configerror"
    messages: Mapping[str, str] = MappingProxyType({})

    def __init__(self, message: str, key: str | None = None, **details):
        super().__init__(message)
        self.key, self.details = key, details

    @classmethod
    def keyed(cls, key: str, **details) -> KeyedError:
        """The error for ``key``: its English template filled with ``details``."""
        return cls(cls.messages[key].format(**details), key, **details)


class DataError(KeyedError):
    """The data cannot be used; str(e) says what is wrong and what to do."""

    prefix, messages = "dataerror", DATA_MESSAGES


class ConfigError(KeyedError):
    """A setting is out of range; str(e) names the setting and what to do."""

    prefix, messages = "configerror", CONFIG_MESSAGES


class BundleError(KeyedError):
    """A run zip cannot be imported; str(e) says what is wrong and what to do."""

    prefix, messages = "bundleerror", BUNDLE_MESSAGES


class StoreError(KeyedError):
    """The run store cannot do what was asked (down, corrupt, full, a key or quota); nothing stored changed."""

    prefix, messages = "storeerror", STORE_MESSAGES


class SettingsError(KeyedError):
    """rnnlab.toml or an RNNLAB_* variable cannot be used; str(e) names the file and line (or the variable) and
    what to write. The app and the command line start nothing until it is fixed."""

    prefix, messages = "settingserror", SETTINGS_MESSAGES


class ClassError(KeyedError):
    """A class, a challenge or a submission refused; str(e) says which limit or what to do."""

    prefix, messages = "classerror", CLASS_MESSAGES


class SweepError(KeyedError):
    """A sweep cannot start or go on (a search space, a budget, its storage, a study); an existing study is
    left as it was."""

    prefix, messages = "sweeperror", SWEEP_MESSAGES


class Several(tuple):
    """A detail that holds several KeyedErrors (every limit a run breaks): in English their texts, joined by "; "."""

    def __str__(self) -> str:
        return "; ".join(map(str, self))


def data_error(key: str, **details) -> DataError:
    return DataError.keyed(key, **details)


def config_error(key: str, **details) -> ConfigError:
    return ConfigError.keyed(key, **details)


class Note(str):
    """One cleaning step load_csv (or a generator) applied: English text, with ``key`` and ``details``.

    A Note is a ``str`` (the English sentence), so ``Dataset.notes`` stays a list of sentences; a
    note without a key (a free text) has ``key == ""``.
    """

    key: str
    details: dict

    def __new__(cls, text: str, key: str = "", details: Mapping | None = None) -> Note:
        note = super().__new__(cls, text)
        note.key, note.details = key, dict(details or {})
        return note

    @classmethod
    def keyed(cls, key: str, table: Mapping[str, str] = DATA_NOTES, **details) -> Note:
        """The note for ``key`` of ``table`` (the cleaning notes by default): its template filled in."""
        return cls(table[key].format(**details), key, details)

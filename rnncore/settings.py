"""One declaration per setting: its type, default, valid values, how a widget shows it, its flag.

A config field is declared with ``setting(default, ...)``; everything else is derived from that
declaration: the checks of a config section (``check``), reading a value from a command line or a
link (``parse``), the command line's flags (rnncore.__main__), the app's widgets, their labels and
help (ui.controls: ``setting.NAME`` and ``setting.NAME.help`` in ui/lang), the Learn page's list, a
server's caps (``limit``) and the search ranges of a sweep (``log``). As TensorFlow Playground's one
table of properties drives its URL, and scikit-learn declares valid values once.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rnncore.errors import ConfigError, config_error

WIDGETS = ("number", "slider", "log_slider", "select", "none")  # how the app draws a setting


@dataclass(frozen=True)
class Setting:
    """What one config field may hold and how it is shown; see ``setting``."""

    name: str
    section: str
    default: Any
    kind: type  # int, float, str, tuple (of str), dict (generator parameters)
    low: float | None = None  # the valid range [low, high]; None: no bound on that side
    high: float | None = None
    choices: tuple[str, ...] | None = None  # the valid values of a choice
    optional: bool = False  # None is valid too (e.g. target: None means the first column)
    log: bool = False  # a value that reads on a log scale (learning rate, hidden size)
    step: float | None = None  # the widget's step
    widget: str = "number"  # one of WIDGETS
    flag: str = ""  # the command-line flag without "--"; "" means the name with dashes
    labels: str = ""  # choices are labelled by the language key LABELS.VALUE (e.g. cell.lstm); "": as written
    limit: str = ""  # the server limit (rnncore.training.limits.RunLimits field) that caps ``high``

    @property
    def cli_flag(self) -> str:
        return "--" + (self.flag or self.name.replace("_", "-"))

    @property
    def whole(self) -> bool:
        return self.kind is int

    def describe(self) -> str:
        """The valid values in words, for the command line's help: "1 to 1024 (default 32)"."""
        if self.choices:
            valid = " | ".join(self.choices)
        elif self.low is not None or self.high is not None:
            valid = f"{_text(self.low) if self.low is not None else '...'} to " \
                    f"{_text(self.high) if self.high is not None else '...'}"
        else:
            valid = {dict: "KEY=VALUE ...", tuple: "COL,COL,..."}.get(self.kind, "text")
        return f"{self.section}.{self.name}: {valid} (default {self.default!r})"

    # checking --------------------------------------------------------------------------
    def check(self, value: Any) -> Any:
        """``value`` if it is valid for this setting (a whole float becomes float), else ConfigError."""
        if value is None and self.optional:
            return None
        value = self._typed(value)
        if self.choices is not None and value not in self.choices:
            raise config_error("choice", name=self.name, choices=", ".join(self.choices), value=repr(value))
        if self.kind in (int, float):
            low, high = self.low, self.high
            if (low is not None and value < low) or (high is not None and value > high):
                if high is None:
                    raise config_error("at_least", name=self.name, low=_text(low), value=_text(value))
                raise config_error("between", name=self.name, low=_text(low), high=_text(high), value=_text(value))
        return value

    def _typed(self, value: Any) -> Any:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if self.kind is int and not (number and isinstance(value, int)):
            raise config_error("whole_number", name=self.name, value=repr(value))
        if self.kind is float:
            if not number:
                raise config_error("number", name=self.name, value=repr(value))
            if not math.isfinite(value):
                raise config_error("finite", name=self.name, value=repr(value))
            return float(value)
        if self.kind is str and not isinstance(value, str):
            raise config_error("text", name=self.name, value=repr(value))
        if self.kind is tuple:
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise config_error("text_list", name=self.name, value=repr(value))
            return tuple(value)
        if self.kind is dict and not isinstance(value, Mapping):
            raise config_error("params", name=self.name)
        return value

    # reading text (a command line, a link) ---------------------------------------------
    def parse(self, text: Any) -> Any:
        """A value from text (or from JSON), as this setting's type; ConfigError if it cannot be one."""
        try:
            if self.optional and text in (None, ""):
                return None
            if self.kind in (int, float) and not isinstance(text, bool):
                number = float(text)  # "1e3" is a whole number too
                if self.kind is int and math.isfinite(number) and number == int(number):
                    return self.check(int(number))
                return self.check(number)
            if self.kind is tuple:
                parts = text.split(",") if isinstance(text, str) else text
                return self.check(tuple(part.strip() for part in parts if part.strip()))
            if self.kind is dict and isinstance(text, Mapping):
                return self.check(dict(text))
            if self.kind is str and isinstance(text, str):
                return self.check(text)
        except (TypeError, ValueError, OverflowError) as exc:
            if isinstance(exc, ConfigError):
                raise
        raise config_error("unusable_value", name=self.name, value=repr(text)[:80])

    def grid(self) -> list[float]:
        """The values a log slider offers: 1, 2 and 5 times each power of ten from ``low`` to ``high``."""
        low, high = math.floor(math.log10(self.low)), math.ceil(math.log10(self.high))
        values = [round(m * 10.0**e, 12) for e in range(low, high + 1) for m in (1, 2, 5)]
        return [v for v in values if self.low <= v <= self.high]


def _text(value: float | None) -> str:
    """A bound or value as people write it: 1024, 0.001, 1e-06."""
    if value is None:
        return ""
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def setting(default: Any, kind: type | None = None, **declared) -> dataclasses.Field:
    """A dataclass field with its Setting (name and section are filled in by ``declare``)."""
    kind = kind or type(default)
    extra = {"default_factory": dict} if kind is dict else {"default": default}
    return dataclasses.field(metadata={"setting": {"kind": kind, "default": default, **declared}}, **extra)


def declare(cls: type) -> type:
    """A class decorator: each field's ``setting(...)`` becomes a Setting in ``cls.SETTINGS`` (name ->
    Setting); the section is the class name without "Config" (ModelConfig: "model")."""
    section = cls.__name__.removesuffix("Config").lower()
    cls.SETTINGS = {f.name: Setting(name=f.name, section=section, **f.metadata["setting"])
                    for f in dataclasses.fields(cls)}
    return cls


def check_all(obj: Any) -> None:
    """Check (and normalise: ints to float, lists to tuples) every field of a frozen config section."""
    for name, declared in obj.SETTINGS.items():
        object.__setattr__(obj, name, declared.check(getattr(obj, name)))

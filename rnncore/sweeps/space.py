"""What a sweep searches: each setting's range, derived from the setting's one declaration.

A setting's kind (a whole number, a number, a choice), its valid range, whether it reads on a log scale
and its step come from its ``Setting`` (rnncore/settings.py, declared in rnncore/config.py); a sweep
only adds which settings it searches and, within the declared range, where it looks. ``SEARCH_DEFAULTS``
narrows the declared ranges to where a search is worth its trials (a learning rate of 10 or a lookback
of 10,000 are valid but never worth a trial); a test checks that each lies inside its declaration.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rnncore.config import SETTINGS, ExperimentConfig
from rnncore.errors import SweepError
from rnncore.settings import Setting

# The settings a sweep may search, in the order a trial draws them, with the range a search looks in by
# default (a choice: every declared choice).
SEARCH_DEFAULTS: dict[str, tuple[float, float] | None] = {
    "cell": None,
    "hidden_size": (4, 128),
    "num_layers": (1, 3),
    "lr": (1e-4, 1e-1),
    "lookback": (4, 64),
    "batch_size": (8, 128),
    "dropout": (0.0, 0.5),
    "weight_decay": (0.0, 0.01),
    "clip_norm": (0.0, 10.0),
    "forget_bias": (-1.0, 3.0),
}
SEARCHABLE = tuple(SEARCH_DEFAULTS)
DEFAULT_SEARCH = ("cell", "hidden_size", "num_layers", "lr")  # what a sweep searches when not told


def _text(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Dimension:
    """One searched setting: its declaration, and the range (or the choices) searched."""

    setting: Setting
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None

    @property
    def name(self) -> str:
        return self.setting.name

    @property
    def log(self) -> bool:
        return self.setting.log

    @property
    def step(self) -> float | None:
        """The declared widget step, where the range holds a whole number of them (a float setting off a log
        scale); None: any value in the range."""
        declared = self.setting
        if declared.kind is not float or declared.log or not declared.step or self.choices is not None:
            return None
        count = (self.high - self.low) / declared.step
        return declared.step if abs(count - round(count)) < 1e-9 else None

    @classmethod
    def of(cls, name: str, bounds: Any = None) -> Dimension:
        """The dimension of setting ``name``: ``bounds`` None (the default range), (low, high), or the
        choices searched; SweepError when it is not a range the declaration allows."""
        if name not in SEARCH_DEFAULTS:
            raise SweepError.keyed("unknown_setting", name=repr(name), choices=", ".join(SEARCHABLE))
        declared = SETTINGS[name]
        if declared.choices is not None:
            choices = declared.choices if bounds is None else _choices(declared, bounds)
            return cls(declared, choices=choices)
        low, high = SEARCH_DEFAULTS[name] if bounds is None else _bounds(declared, bounds)
        shown = {"name": name, "low": _text(low), "high": _text(high)}
        if low > high:
            raise SweepError.keyed("inverted_range", **shown)
        if low == high:
            raise SweepError.keyed("empty_range", **shown)
        if (declared.low is not None and low < declared.low) or (declared.high is not None and high > declared.high):
            raise SweepError.keyed("outside", **shown, valid=_valid(declared))
        return cls(declared, low, high)

    def to_dict(self) -> dict:
        if self.choices is not None:
            return {"choices": list(self.choices)}
        return {"low": self.low, "high": self.high, "log": self.log, "step": self.step}

    def describe(self) -> str:
        if self.choices is not None:
            return f"{self.name} in {'|'.join(self.choices)}"
        return f"{self.name} {_text(self.low)} to {_text(self.high)}" + (" (log)" if self.log else "")

    def suggest(self, trial) -> Any:
        """This setting's value for an Optuna trial."""
        if self.choices is not None:
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.setting.kind is int:
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        value = trial.suggest_float(self.name, float(self.low), float(self.high), log=self.log, step=self.step)
        return float(f"{value:.12g}")  # a step's float noise (0.15000000000000002) is not part of the value


def _valid(declared: Setting) -> str:
    """The declared range in words: "1 to 1,024", "0 to ..."."""
    return declared.describe().split(": ", 1)[1].rsplit(" (default", 1)[0]


def _choices(declared: Setting, given: Any) -> tuple[str, ...]:
    if isinstance(given, str) or not isinstance(given, Iterable):
        raise SweepError.keyed("choices_only", name=declared.name, example="|".join(declared.choices[:2]))
    chosen = tuple(dict.fromkeys(str(c).strip() for c in given if str(c).strip()))
    if not chosen:
        raise SweepError.keyed("empty_choices", name=declared.name, choices=", ".join(declared.choices))
    for value in chosen:
        if value not in declared.choices:
            raise SweepError.keyed("unknown_choice", name=declared.name, value=repr(value),
                                   choices=", ".join(declared.choices))
    if len(chosen) == 1:
        raise SweepError.keyed("empty_range", name=declared.name, low=chosen[0], high=chosen[0])
    return tuple(c for c in declared.choices if c in chosen)  # in the declared order: one space, one spelling


def _bounds(declared: Setting, given: Any) -> tuple[float, float]:
    """(low, high) as numbers of the setting's kind (a whole number for an int setting)."""
    try:
        low, high = given
    except (TypeError, ValueError):
        raise SweepError.keyed("bad_range", name=declared.name, text=repr(given)) from None
    out = []
    for bound in (low, high):
        try:
            number = float(bound)
        except (TypeError, ValueError):
            raise SweepError.keyed("bad_range", name=declared.name, text=repr(given)) from None
        if isinstance(bound, bool) or not math.isfinite(number) or (declared.kind is int and number != int(number)):
            raise SweepError.keyed("bad_range", name=declared.name, text=repr(given))
        out.append(int(number) if declared.kind is int else number)
    return out[0], out[1]


class SearchSpace:
    """The settings a sweep searches, each with its range: ``SearchSpace({"hidden_size": (4, 64),
    "cell": ("lstm", "gru"), "lr": None})`` (None: the default range). SweepError for an unknown
    setting, an empty or inverted range, or one outside the declared range."""

    def __init__(self, ranges: Mapping[str, Any] | Iterable[str] = DEFAULT_SEARCH):
        items = ranges.items() if isinstance(ranges, Mapping) else [(name, None) for name in ranges]
        found: dict[str, Dimension] = {}
        for name, bounds in items:
            if name in found:
                raise SweepError.keyed("twice", name=name)
            found[name] = Dimension.of(name, bounds)
        if not found:
            raise SweepError.keyed("nothing_to_search")
        self.dimensions = tuple(found[name] for name in SEARCHABLE if name in found)  # drawn in one order

    @classmethod
    def parse(cls, text: str) -> SearchSpace:
        """From the command line's ``--search``: ``cell=lstm|gru,hidden_size=4:64,lr`` (a name alone: the
        default range; choices split by | or /)."""
        ranges: list[tuple[str, Any]] = []
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            name, sep, given = (s.strip() for s in item.partition("="))
            if not sep:
                ranges.append((name, None))
                continue
            declared = SETTINGS.get(name)
            if name not in SEARCH_DEFAULTS or declared is None:
                raise SweepError.keyed("unknown_setting", name=repr(name), choices=", ".join(SEARCHABLE))
            if declared.choices is not None:
                ranges.append((name, re.split(r"[|/]", given)))
                continue
            low, colon, high = given.partition(":")
            if not colon or not low.strip() or not high.strip():
                raise SweepError.keyed("bad_range", name=name, text=repr(given))
            ranges.append((name, (low.strip(), high.strip())))
        names = [name for name, _ in ranges]
        if len(set(names)) < len(names):
            raise SweepError.keyed("twice", name=next(n for n in names if names.count(n) > 1))
        return cls(dict(ranges))

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping]) -> SearchSpace:
        """``to_dict``'s dictionary read back (a study's stored space)."""
        return cls({name: d["choices"] if "choices" in d else (d["low"], d["high"]) for name, d in data.items()})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dimensions)

    def __getitem__(self, name: str) -> Dimension:
        return next(d for d in self.dimensions if d.name == name)

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SearchSpace) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(self.describe())

    def __repr__(self) -> str:
        return f"SearchSpace({self.describe()})"

    def to_dict(self) -> dict[str, dict]:
        return {d.name: d.to_dict() for d in self.dimensions}

    def describe(self) -> str:
        """In words: "cell in lstm|gru, hidden_size 4 to 64 (log)"."""
        return ", ".join(d.describe() for d in self.dimensions)

    def suggest(self, trial) -> dict[str, Any]:
        """Each searched setting's value for an Optuna trial (name -> value)."""
        return {d.name: d.suggest(trial) for d in self.dimensions}

    def configure(self, base: ExperimentConfig, values: Mapping[str, Any]) -> ExperimentConfig:
        """``base`` with the searched settings set to ``values`` (ConfigError for a combination that is not
        valid, e.g. a GRU with relu)."""
        sections: dict[str, dict] = {}
        for name, value in values.items():
            sections.setdefault(SETTINGS[name].section, {})[name] = value
        return base.replace(**sections)

    def corners(self) -> list[dict[str, Any]]:
        """Values at the edges of the space: each choice with every number at its low, then at its high."""
        choices = [d for d in self.dimensions if d.choices is not None]
        numbers = [d for d in self.dimensions if d.choices is None]
        combos: list[dict[str, Any]] = [{}]
        for d in choices:
            combos = [{**c, d.name: choice} for c in combos for choice in d.choices]
        return [{**c, **{d.name: getattr(d, edge) for d in numbers}} for c in combos for edge in ("low", "high")]

"""The configuration of one experiment: four frozen dataclasses, validated on creation.

Every setting is declared once, here, with ``setting(...)`` (rnncore.settings): its type, default,
valid values, widget, flag and server limit. The checks, the command line, the app's widgets and the
links are derived from these declarations. The whole experiment fits in JSON (``to_json``) and in a
URL's query string (``to_query``), as TensorFlow Playground does: a teacher can put a link on a slide.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rnncore.errors import ConfigError, config_error
from rnncore.settings import Setting, check_all, declare, setting

CONFIG_VERSION = 1

CELLS = ("rnn", "lstm", "gru", "article_lstm")
ACTIVATIONS = ("tanh", "relu")
SCALERS = ("none", "standard", "minmax")
DIFFERENCES = ("none", "first", "seasonal")  # model the values, their changes, or their changes over a season
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
LOSSES = ("mse", "mae", "huber")
SCHEDULERS = ("none", "plateau")
DEVICES = ("cpu", "cuda", "auto")
KEEPS = ("auto", "best", "last")  # the weights a run keeps: auto is best with early stopping, else last
LAYOUTS = ("table", "unstack")  # a table as it stands, or a grid of years by months read as one series
SOURCE_KINDS = ("sample", "synthetic", "file")  # a bundled data set, a generator, a CSV file
CLASS_WEIGHTS = ("none", "balanced")  # a classifier's loss: every sequence alike, or each class alike in all
INITIAL_STATES = ("zero", "carried")  # a window starts from zeros, or from the state the window before ended in
TASKS = ("forecast", "charlm", "classify")  # a series' next values, a text's next character, a sequence's label


def source_kind(source: str) -> str:
    """What a data source names: "sample" (sample:NAME), "synthetic" (synthetic:NAME) or "file"."""
    kind = source.partition(":")[0]
    return kind if kind in SOURCE_KINDS[:2] and ":" in source else "file"


def _check(ok: bool, key: str, **details) -> None:
    if not ok:
        raise config_error(key, **details)


@declare
@dataclass(frozen=True)
class DataConfig:
    """Where the data comes from, which columns are used, and what is learnt from it (the task)."""

    source: str = setting("sample:airline_passengers", flag="data", widget="none")  # sample:NAME, synthetic:NAME, file
    params: dict = setting({}, flag="param", widget="none")  # generator parameters, e.g. {"steps": 50}
    target: str | None = setting(None, str, optional=True, widget="none")  # None: the first column
    features: tuple[str, ...] = setting((), tuple, widget="none")  # input columns; empty: the target alone
    layout: str = setting("table", choices=LAYOUTS, widget="none", labels="layout")  # unstack: years x months
    label: str | None = setting(None, str, optional=True, widget="none")  # classify: the label column; None: found
    # classify: balanced: rare classes weigh more in the loss
    class_weights: str = setting("none", choices=CLASS_WEIGHTS, widget="select", labels="tasks.weights")
    vocabulary: int = setting(256, low=2, high=4_096)  # charlm: characters kept, unknown included
    task: str = setting("forecast", choices=TASKS, widget="none")  # what is learnt from the data (rnncore.tasks)

    def __post_init__(self) -> None:
        check_all(self)
        _check(self.source.strip() != "", "source")
        for key, value in self.params.items():
            _check(isinstance(key, str) and isinstance(value, (int, float, str, bool)),
                   "param_type", name=repr(key))
            _check(not isinstance(value, float) or math.isfinite(value), "param_finite", name=repr(key))
        object.__setattr__(self, "params", dict(self.params))

    @property
    def kind(self) -> str:
        """"sample", "synthetic" or "file" (see source_kind)."""
        return source_kind(self.source)


@declare
@dataclass(frozen=True)
class WindowConfig:
    """How the series is cut into (lookback -> horizon) windows and split in time."""

    lookback: int = setting(24, low=1, high=10_000, limit="max_lookback")  # past steps each window shows
    horizon: int = setting(1, low=1, high=1_000)  # future steps predicted at once
    stride: int = setting(1, low=1, high=1_000)  # steps between the starts of two windows
    train_fraction: float = setting(0.7, low=0.1, high=0.95, step=0.05, widget="slider")  # the first part in time
    val_fraction: float = setting(0.15, low=0.0, high=0.5, step=0.05, widget="slider")  # the next; test is the rest
    scaler: str = setting("standard", choices=SCALERS, widget="select", labels="scaler")  # fitted on train only
    difference: str = setting("none", choices=DIFFERENCES, widget="select", labels="difference")  # for trends
    # charlm: carried: the text read as batch_size streams side by side, a window of each per batch, in order, each
    # window starting from the state the one before ended in (truncated backpropagation through time)
    initial_state: str = setting("zero", choices=INITIAL_STATES, widget="select", labels="initial_state")

    def __post_init__(self) -> None:
        check_all(self)
        _check(self.train_fraction + self.val_fraction < 1, "fractions")


@declare
@dataclass(frozen=True)
class ModelConfig:
    """The recurrent network: cell type and size."""

    cell: str = setting("lstm", choices=CELLS, widget="select", labels="cell")
    hidden_size: int = setting(32, low=1, high=1_024, log=True, flag="hidden")  # units per layer
    num_layers: int = setting(1, low=1, high=8, flag="layers")  # recurrent layers stacked
    dropout: float = setting(0.0, low=0.0, high=0.9, step=0.05, widget="slider")  # between stacked layers
    activation: str = setting("tanh", choices=ACTIVATIONS, widget="select")  # relu: the article's Keras example
    forget_bias: float = setting(0.0, low=-5.0, high=5.0, step=0.5)  # initial forget-gate bias; 1.0 as Jozefowicz 2015
    embedding: int = setting(0, low=0, high=1_024)  # inputs through a learned map of this size first; 0: none

    def __post_init__(self) -> None:
        check_all(self)
        _check(not (self.cell == "gru" and self.activation != "tanh"), "gru_tanh")

    @property
    def fused(self) -> bool:
        """True when torch.nn.RNN/LSTM/GRU can train this model."""
        return self.cell in ("rnn", "gru") or (self.cell == "lstm" and self.activation == "tanh")


@declare
@dataclass(frozen=True)
class TrainConfig:
    """The optimisation: loop length, optimiser, loss, stopping rules, seed."""

    epochs: int = setting(50, low=1, high=100_000, limit="max_epochs")  # passes over the training windows
    batch_size: int = setting(32, low=1, high=4_096, log=True)  # windows per gradient step
    lr: float = setting(1e-3, low=1e-6, high=10.0, log=True, widget="log_slider")  # the optimiser's step size
    optimizer: str = setting("adam", choices=OPTIMIZERS, widget="select", labels="optimizer")  # sgd: momentum 0.9
    weight_decay: float = setting(0.0, low=0.0, high=1.0, step=1e-4)  # pulls weights towards zero
    clip_norm: float = setting(0.0, low=0.0, high=100.0, step=0.5)  # largest gradient norm; 0: no clipping
    loss: str = setting("mse", choices=LOSSES, widget="select", labels="loss")  # on scaled values
    patience: int = setting(0, low=0, high=10_000)  # early stopping on validation loss; 0: off
    keep: str = setting("auto", choices=KEEPS, widget="select", labels="keep")  # the weights evaluated and kept
    scheduler: str = setting("none", choices=SCHEDULERS, widget="select", labels="scheduler")  # plateau: halve lr
    seed: int = setting(0, low=0, high=2**32 - 1)  # the same seed gives the same run
    max_seconds: float = setting(0.0, low=0.0, high=86_400.0, step=10.0, limit="max_seconds")  # 0: no time limit
    device: str = setting("cpu", choices=DEVICES, widget="select")  # auto: a GPU where one is faster (devices.py)
    probe_every: int = setting(5, low=1, high=1_000)  # epochs between gradient-through-time probes

    def __post_init__(self) -> None:
        check_all(self)

    @property
    def keeps_best(self) -> bool:
        """Whether the run keeps its best epoch's weights (else its last epoch's)."""
        return self.keep == "best" or (self.keep == "auto" and self.patience > 0)


SECTIONS = {"data": DataConfig, "window": WindowConfig, "model": ModelConfig, "train": TrainConfig}
SETTINGS: dict[str, Setting] = {name: s for cls in SECTIONS.values() for name, s in cls.SETTINGS.items()}


def _build(cls: type, values: Mapping[str, Any], problems: list[ConfigError] | None, where: str) -> Any:
    """Build one section from JSON or link values; with ``problems`` given, skip bad values one by one
    and note them (the default stays)."""
    kept: dict[str, Any] = {}
    for key, raw in values.items():
        try:
            if key not in cls.SETTINGS:
                raise config_error("unknown_setting", setting=f"{where}.{key}")
            kept[key] = cls.SETTINGS[key].parse(raw)
        except ConfigError as exc:
            if problems is None:
                raise
            problems.append(config_error("ignored", problem=exc))
    try:
        return cls(**kept)
    except ConfigError:
        if problems is None:
            raise
    for key in list(kept):  # lenient: drop the values that are wrong on their own
        try:
            cls(**{key: kept[key]})
        except ConfigError as exc:
            problems.append(config_error("default_used", problem=exc))
            del kept[key]
    try:
        return cls(**kept)
    except ConfigError as exc:  # each valid alone, not together (train + val >= 1)
        problems.append(config_error("defaults_used", problem=exc, section=where))
        return cls()


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything needed to repeat a run: data, windows, model and training."""

    data: DataConfig = field(default_factory=DataConfig)
    window: WindowConfig = field(default_factory=WindowConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def replace(self, **sections: Mapping[str, Any]) -> ExperimentConfig:
        """A copy with some fields changed: ``cfg.replace(model={"cell": "gru"})``."""
        changed = {name: dataclasses.replace(getattr(self, name), **values)
                   for name, values in sections.items()}
        return dataclasses.replace(self, **changed)

    # JSON ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": CONFIG_VERSION}
        for name in SECTIONS:
            section = dataclasses.asdict(getattr(self, name))
            if "features" in section:
                section["features"] = list(section["features"])
            out[name] = section
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExperimentConfig:
        if not isinstance(data, Mapping):
            raise config_error("not_object")
        version = data.get("version", CONFIG_VERSION)
        if version != CONFIG_VERSION:
            raise config_error("config_version", version=version, supported=CONFIG_VERSION)
        unknown = set(data) - set(SECTIONS) - {"version"}
        if unknown:
            raise config_error("unknown_sections", sections=", ".join(sorted(unknown)))
        sections = {}
        for name, section_cls in SECTIONS.items():
            values = data.get(name, {})
            if not isinstance(values, Mapping):
                raise config_error("section_not_object", name=repr(name))
            sections[name] = _build(section_cls, values, None, name)
        return cls(**sections)

    @classmethod
    def from_json(cls, text: str | bytes) -> ExperimentConfig:
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise config_error("not_json", detail=str(exc)[:200]) from None
        except RecursionError:  # JSON nested thousands deep: no config looks like that
            raise config_error("not_json", detail="nested too deeply") from None
        return cls.from_dict(data)

    # URL query ----------------------------------------------------------------------
    def to_query(self) -> dict[str, str]:
        """Flat ``{name: text}`` pairs; generator parameters as ``p.NAME``."""
        query: dict[str, str] = {}
        for name in SECTIONS:
            for key, value in dataclasses.asdict(getattr(self, name)).items():
                if key == "params":
                    query.update({f"p.{k}": str(v) for k, v in value.items()})
                elif key == "features":
                    if value:
                        query[key] = ",".join(value)
                elif value is not None:
                    query[key] = repr(value) if isinstance(value, float) else str(value)
        return query

    @classmethod
    def from_query(cls, query: Mapping[str, Any], problems: list[ConfigError] | None = None) -> ExperimentConfig:
        """Read ``to_query``'s pairs back.

        Strict by default (ConfigError on the first bad value). Pass a list as ``problems``
        to ignore bad or unknown parameters one by one, using defaults and noting each as a
        ConfigError (``str(problem)`` says it; its key and details let a page translate it).
        """
        owners = {name: s.section for name, s in SETTINGS.items()}
        sections: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
        params: dict[str, Any] = {}
        for key, raw in query.items():
            # a repeated query parameter arrives as a list: the last one wins
            value = (raw[-1] if raw else "") if isinstance(raw, (list, tuple)) else raw
            if key.startswith("p.") and len(key) > 2:
                params[key[2:]] = _parse_param(value)
            elif key in owners and key != "params":
                sections[owners[key]][key] = value
            elif problems is not None:
                problems.append(config_error("unknown_link_parameter_ignored", name=key))
            else:
                raise config_error("unknown_link_parameter", name=key)
        if params:
            sections["data"]["params"] = params
        built = {name: _build(SECTIONS[name], values, problems, name) for name, values in sections.items()}
        return cls(**built)


def _parse_param(text: Any) -> Any:
    """Generator parameters from a URL: numbers where they look like numbers."""
    text = str(text)
    for kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            return text
        return value
    return text

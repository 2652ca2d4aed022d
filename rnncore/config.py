"""The configuration of one experiment: four frozen dataclasses, validated on creation.

The whole experiment fits in JSON (``to_json``) and in a URL's query string
(``to_query``), as TensorFlow Playground does: a teacher can put a link on a slide.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CONFIG_VERSION = 1

CELLS = ("rnn", "lstm", "gru", "article_lstm")
ACTIVATIONS = ("tanh", "relu")
SCALERS = ("none", "standard", "minmax")
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
LOSSES = ("mse", "mae", "huber")
SCHEDULERS = ("none", "plateau")
DEVICES = ("cpu", "cuda", "auto")


class ConfigError(ValueError):
    """A setting is out of range; str(e) names the setting and what to do."""


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


def _finite(value: float) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _check_types(obj: Any) -> None:
    """Reject wrong types with a ConfigError (not a TypeError deep in a comparison)."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.type == "int":
            _check(isinstance(value, int) and not isinstance(value, bool), f"{f.name} must be a whole number")
        elif f.type == "float":
            is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
            _check(is_number, f"{f.name} must be a number")
            object.__setattr__(obj, f.name, float(value))
        elif f.type == "str":
            _check(isinstance(value, str), f"{f.name} must be text")


def _choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    _check(value in choices, f"{name} must be one of {', '.join(choices)} (got {value!r})")


@dataclass(frozen=True)
class DataConfig:
    """Where the series comes from and which columns are used."""

    source: str = "sample:airline_passengers"  # "sample:NAME", "synthetic:NAME" or a file name
    params: dict = field(default_factory=dict)  # generator parameters, e.g. {"steps": 50}
    target: str | None = None  # None: the first column
    features: tuple[str, ...] = ()  # input columns; empty: the target alone

    def __post_init__(self) -> None:
        _check_types(self)
        _check(isinstance(self.source, str) and self.source.strip() != "",
               "source must name a sample (sample:NAME), a generator (synthetic:NAME) or a file")
        _check(isinstance(self.params, dict), "params must be a mapping of parameter names to values")
        for key, value in self.params.items():
            _check(isinstance(key, str) and isinstance(value, (int, float, str, bool)),
                   f"generator parameter {key!r} must be a number or a word")
            _check(not isinstance(value, float) or math.isfinite(value),
                   f"generator parameter {key!r} must be a finite number")
        object.__setattr__(self, "features", tuple(self.features))


@dataclass(frozen=True)
class WindowConfig:
    """How the series is cut into (lookback -> horizon) windows and split in time."""

    lookback: int = 24
    horizon: int = 1
    stride: int = 1
    train_fraction: float = 0.7
    val_fraction: float = 0.15  # test is the rest
    scaler: str = "standard"

    def __post_init__(self) -> None:
        _check_types(self)
        _check(self.lookback >= 1, "lookback must be at least 1 time step")
        _check(self.horizon >= 1, "horizon must be at least 1 time step")
        _check(self.stride >= 1, "stride must be at least 1")
        _check(_finite(self.train_fraction) and 0 < self.train_fraction < 1,
               "train_fraction must be between 0 and 1, e.g. 0.7")
        _check(_finite(self.val_fraction) and 0 <= self.val_fraction < 1,
               "val_fraction must be between 0 and 1, e.g. 0.15")
        _check(self.train_fraction + self.val_fraction < 1,
               "train_fraction + val_fraction must be below 1 so that a test part remains")
        _choice("scaler", self.scaler, SCALERS)


@dataclass(frozen=True)
class ModelConfig:
    """The recurrent network: cell type and size."""

    cell: str = "lstm"
    hidden_size: int = 32
    num_layers: int = 1
    dropout: float = 0.0  # between stacked layers
    activation: str = "tanh"  # relu: the article's Keras example; trains through explicit cells
    forget_bias: float = 0.0  # initial forget-gate bias; 1.0 as Jozefowicz et al. (2015)

    def __post_init__(self) -> None:
        _check_types(self)
        _choice("cell", self.cell, CELLS)
        _check(self.hidden_size > 0, "hidden_size must be greater than zero")
        _check(self.num_layers > 0, "num_layers must be greater than zero")
        _check(_finite(self.dropout) and 0 <= self.dropout < 1,
               "dropout must be at least 0 and below 1")
        _choice("activation", self.activation, ACTIVATIONS)
        _check(not (self.cell == "gru" and self.activation != "tanh"),
               "the GRU cell supports only the tanh activation; choose tanh or another cell")
        _check(_finite(self.forget_bias), "forget_bias must be a finite number")

    @property
    def fused(self) -> bool:
        """True when torch.nn.RNN/LSTM/GRU can train this model."""
        return self.cell in ("rnn", "gru") or (self.cell == "lstm" and self.activation == "tanh")


@dataclass(frozen=True)
class TrainConfig:
    """The optimisation: loop length, optimiser, loss, stopping rules, seed."""

    epochs: int = 50
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"
    weight_decay: float = 0.0
    clip_norm: float = 0.0  # 0: no clipping
    loss: str = "mse"
    patience: int = 0  # early stopping on validation loss; 0: off
    scheduler: str = "none"  # "plateau": reduce lr when validation loss stalls
    seed: int = 0
    max_seconds: float = 0.0  # 0: no time limit
    device: str = "cpu"
    probe_every: int = 5  # epochs between gradient-through-time probes

    def __post_init__(self) -> None:
        _check_types(self)
        _check(self.epochs >= 1, "epochs must be at least 1")
        _check(self.batch_size >= 1, "batch_size must be at least 1")
        _check(_finite(self.lr) and self.lr > 0, "lr (learning rate) must be greater than zero, e.g. 0.001")
        _check(self.lr <= 10, "lr (learning rate) must be at most 10; try 0.001")
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _check(_finite(self.weight_decay) and self.weight_decay >= 0, "weight_decay must be zero or positive")
        _check(_finite(self.clip_norm) and self.clip_norm >= 0, "clip_norm must be zero (off) or positive")
        _choice("loss", self.loss, LOSSES)
        _check(self.patience >= 0, "patience must be zero (off) or a positive number of epochs")
        _choice("scheduler", self.scheduler, SCHEDULERS)
        _check(0 <= self.seed < 2**63, "seed must be a non-negative integer")
        _check(_finite(self.max_seconds) and self.max_seconds >= 0,
               "max_seconds must be zero (no limit) or positive")
        _choice("device", self.device, DEVICES)
        _check(self.probe_every >= 1, "probe_every must be at least 1")


SECTIONS = {"data": DataConfig, "window": WindowConfig, "model": ModelConfig, "train": TrainConfig}


def _number(value: Any, whole: bool) -> float | int:
    if isinstance(value, bool):
        raise ValueError
    number = float(value)
    if not math.isfinite(number) or (whole and number != int(number)):
        raise ValueError
    return int(number) if whole else number


def _coerce(name: str, kind: str, value: Any) -> Any:
    """Turn a JSON or query-string value into the field's type (annotations are strings), or raise."""
    try:
        if kind in ("int", "float"):
            return _number(value, whole=kind == "int")
        if kind == "str" and isinstance(value, str):
            return value
        if kind == "str | None":
            return None if value in (None, "") else _coerce(name, "str", value)
        if kind == "tuple[str, ...]":
            parts = value.split(",") if isinstance(value, str) else value
            if isinstance(parts, (list, tuple)) and all(isinstance(v, str) for v in parts):
                return tuple(part for part in parts if part)
        if kind == "dict" and isinstance(value, dict):
            return dict(value)
    except (TypeError, ValueError, OverflowError):
        pass
    raise ConfigError(f"{name} has an unusable value {value!r}")


def _build(cls: type, values: Mapping[str, Any], problems: list[str] | None, where: str) -> Any:
    """Build one section; with ``problems`` given, skip bad values one by one and note them."""
    kinds = {f.name: f.type for f in dataclasses.fields(cls)}
    kept: dict[str, Any] = {}
    for key, raw in values.items():
        try:
            if key not in kinds:
                raise ConfigError(f"unknown setting '{where}.{key}'")
            kept[key] = _coerce(key, kinds[key], raw)
        except ConfigError as exc:
            if problems is None:
                raise
            problems.append(f"{exc}; ignored")
    try:
        return cls(**kept)
    except ConfigError:
        if problems is None:
            raise
    for key in list(kept):  # lenient: drop the values that are wrong on their own
        try:
            cls(**{key: kept[key]})
        except ConfigError as exc:
            problems.append(f"{exc}; the default was used")
            del kept[key]
    try:
        return cls(**kept)
    except ConfigError as exc:  # each valid alone, not together (train + val >= 1)
        problems.append(f"{exc}; the defaults for {where} were used")
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
            raise ConfigError("a config must be a JSON object with data, window, model and train")
        version = data.get("version", CONFIG_VERSION)
        if version != CONFIG_VERSION:
            raise ConfigError(f"this config was written by RNN Lab config version {version}; "
                              f"this version reads version {CONFIG_VERSION}")
        unknown = set(data) - set(SECTIONS) - {"version"}
        if unknown:
            raise ConfigError(f"unknown config section(s): {', '.join(sorted(unknown))}")
        sections = {}
        for name, section_cls in SECTIONS.items():
            values = data.get(name, {})
            if not isinstance(values, Mapping):
                raise ConfigError(f"config section {name!r} must be an object")
            sections[name] = _build(section_cls, values, None, name)
        return cls(**sections)

    @classmethod
    def from_json(cls, text: str | bytes) -> ExperimentConfig:
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ConfigError(f"the config is not valid JSON ({exc})") from None
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
    def from_query(cls, query: Mapping[str, Any], problems: list[str] | None = None) -> ExperimentConfig:
        """Read ``to_query``'s pairs back.

        Strict by default (ConfigError on the first bad value). Pass a list as ``problems``
        to ignore bad or unknown parameters one by one, using defaults and noting each.
        """
        owners = {f.name: name for name, sc in SECTIONS.items() for f in dataclasses.fields(sc)}
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
                problems.append(f"unknown link parameter '{key}' ignored")
            else:
                raise ConfigError(f"unknown link parameter '{key}'")
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

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

from rnncore.errors import ConfigError, config_error

CONFIG_VERSION = 1

CELLS = ("rnn", "lstm", "gru", "article_lstm")
ACTIVATIONS = ("tanh", "relu")
SCALERS = ("none", "standard", "minmax")
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
LOSSES = ("mse", "mae", "huber")
SCHEDULERS = ("none", "plateau")
DEVICES = ("cpu", "cuda", "auto")
SOURCE_KINDS = ("sample", "synthetic", "file")  # a bundled data set, a generator, a CSV file


def source_kind(source: str) -> str:
    """What a data source names: "sample" (sample:NAME), "synthetic" (synthetic:NAME) or "file"."""
    kind = source.partition(":")[0]
    return kind if kind in SOURCE_KINDS[:2] and ":" in source else "file"


def _check(ok: bool, key: str, **details) -> None:
    if not ok:
        raise config_error(key, **details)


def _finite(value: float) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _check_types(obj: Any) -> None:
    """Reject wrong types with a ConfigError (not a TypeError deep in a comparison)."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.type == "int":
            _check(isinstance(value, int) and not isinstance(value, bool), "whole_number", name=f.name)
        elif f.type == "float":
            is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
            _check(is_number, "number", name=f.name)
            object.__setattr__(obj, f.name, float(value))
        elif f.type == "str":
            _check(isinstance(value, str), "text", name=f.name)


def _choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    _check(value in choices, "choice", name=name, choices=", ".join(choices), value=repr(value))


@dataclass(frozen=True)
class DataConfig:
    """Where the series comes from and which columns are used."""

    source: str = "sample:airline_passengers"  # "sample:NAME", "synthetic:NAME" or a file name
    params: dict = field(default_factory=dict)  # generator parameters, e.g. {"steps": 50}
    target: str | None = None  # None: the first column
    features: tuple[str, ...] = ()  # input columns; empty: the target alone

    def __post_init__(self) -> None:
        _check_types(self)
        _check(isinstance(self.source, str) and self.source.strip() != "", "source")
        _check(isinstance(self.params, dict), "params")
        for key, value in self.params.items():
            _check(isinstance(key, str) and isinstance(value, (int, float, str, bool)),
                   "param_type", name=repr(key))
            _check(not isinstance(value, float) or math.isfinite(value), "param_finite", name=repr(key))
        object.__setattr__(self, "features", tuple(self.features))

    @property
    def kind(self) -> str:
        """"sample", "synthetic" or "file" (see source_kind)."""
        return source_kind(self.source)


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
        _check(self.lookback >= 1, "lookback")
        _check(self.horizon >= 1, "horizon")
        _check(self.stride >= 1, "stride")
        _check(_finite(self.train_fraction) and 0 < self.train_fraction < 1, "train_fraction")
        _check(_finite(self.val_fraction) and 0 <= self.val_fraction < 1, "val_fraction")
        _check(self.train_fraction + self.val_fraction < 1, "fractions")
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
        _check(self.hidden_size > 0, "hidden_size")
        _check(self.num_layers > 0, "num_layers")
        _check(_finite(self.dropout) and 0 <= self.dropout < 1, "dropout")
        _choice("activation", self.activation, ACTIVATIONS)
        _check(not (self.cell == "gru" and self.activation != "tanh"), "gru_tanh")
        _check(_finite(self.forget_bias), "forget_bias")

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
        _check(self.epochs >= 1, "epochs")
        _check(self.batch_size >= 1, "batch_size")
        _check(_finite(self.lr) and self.lr > 0, "lr")
        _check(self.lr <= 10, "lr_high")
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _check(_finite(self.weight_decay) and self.weight_decay >= 0, "weight_decay")
        _check(_finite(self.clip_norm) and self.clip_norm >= 0, "clip_norm")
        _choice("loss", self.loss, LOSSES)
        _check(self.patience >= 0, "patience")
        _choice("scheduler", self.scheduler, SCHEDULERS)
        _check(0 <= self.seed < 2**63, "seed")
        _check(_finite(self.max_seconds) and self.max_seconds >= 0, "max_seconds")
        _choice("device", self.device, DEVICES)
        _check(self.probe_every >= 1, "probe_every")


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
    raise config_error("unusable_value", name=name, value=repr(value))


def _build(cls: type, values: Mapping[str, Any], problems: list[ConfigError] | None, where: str) -> Any:
    """Build one section; with ``problems`` given, skip bad values one by one and note them."""
    kinds = {f.name: f.type for f in dataclasses.fields(cls)}
    kept: dict[str, Any] = {}
    for key, raw in values.items():
        try:
            if key not in kinds:
                raise config_error("unknown_setting", setting=f"{where}.{key}")
            kept[key] = _coerce(key, kinds[key], raw)
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
            raise config_error("not_json", detail=str(exc)) from None
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

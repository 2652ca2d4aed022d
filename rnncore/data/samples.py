"""The real data sets shipped in sample_data/ (sources and licences in sample_data/README.md; where it is:
rnncore.home)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from rnncore.config import SETTINGS, ExperimentConfig
from rnncore.data.dataset import Dataset
from rnncore.data.reading import load_csv
from rnncore.errors import data_error
from rnncore.home import sample_folder

# The settings a sample's recommended defaults set (samples.json ``defaults``, Bundled.defaults); loading a sample
# sets each of them, to its declared default where the sample names none. The rest are the person's own.
RECOMMENDED = ("lookback", "scaler", "difference", "cell", "hidden_size", "num_layers", "epochs", "batch_size", "lr",
               "patience")


@dataclass(frozen=True)
class Bundled:
    """A text or a labelled set shipped in sample_data/: its file, and the settings recommended for it by config
    section, ``{"model": {"hidden_size": 32}, "train": {...}}``, as samples.json records a series' ``defaults``."""

    file: str
    defaults: dict = field(default_factory=dict)


def _samples() -> dict:  # name: {"file", "period", "description", "defaults"}, in sample_data/samples.json
    return json.loads((sample_folder() / "samples.json").read_text(encoding="utf-8"))


def _sample(name: str) -> dict:
    if name not in (samples := _samples()):
        raise data_error("unknown_sample", name=repr(name), choices=", ".join(samples))
    return samples[name]


def list_samples() -> list[str]:
    return list(_samples())


def sample_description(name: str) -> str:
    return _sample(name)["description"]


def load_sample(name: str) -> Dataset:
    sample = _sample(name)
    dataset = load_csv(sample_folder() / sample["file"], name=name)
    dataset.description, dataset.period = sample["description"], sample["period"]
    return dataset


def sample_defaults(name: str) -> dict:
    """The settings recommended for the series sample ``name``, by config section (samples.json ``defaults``:
    chosen by a sweep within the class budget, sample_data/README.md)."""
    return _sample(name).get("defaults", {})


def with_defaults(config: ExperimentConfig, defaults: dict) -> ExperimentConfig:
    """``config`` with each RECOMMENDED setting at its value in ``defaults`` (by section), or at its declared
    default where ``defaults`` names none."""
    changes: dict[str, dict] = {}
    for name in RECOMMENDED:
        section = SETTINGS[name].section
        changes.setdefault(section, {})[name] = defaults.get(section, {}).get(name, SETTINGS[name].default)
    return config.replace(**changes)


def sample_unbeaten(name: str) -> list[str]:
    """The naive baselines a default run of the series sample ``name`` does not beat on test, said honestly
    (samples.json ``unbeaten``; why, in sample_data/README.md): e.g. persistence on a random walk."""
    return list(_sample(name).get("unbeaten", []))

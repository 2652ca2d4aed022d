"""The real data sets shipped in sample_data/ (sources and licences in sample_data/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

from rnncore.data.dataset import Dataset
from rnncore.data.reading import load_csv
from rnncore.errors import data_error

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"


def _samples() -> dict:  # name: {"file", "period", "description"}, in sample_data/samples.json
    return json.loads((SAMPLE_DIR / "samples.json").read_text(encoding="utf-8"))


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
    dataset = load_csv(SAMPLE_DIR / sample["file"], name=name)
    dataset.description, dataset.period = sample["description"], sample["period"]
    return dataset

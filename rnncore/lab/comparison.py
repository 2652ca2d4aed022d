"""Comparing runs: what differs between configs, and the cell sweep a class asks for first."""

from __future__ import annotations

from rnncore.config import CELLS, ExperimentConfig


def flat(config: ExperimentConfig) -> dict[str, object]:
    """``{"model.cell": "lstm", ...}``: every setting under its section's name."""
    out = {}
    for section, values in config.to_dict().items():
        if isinstance(values, dict):
            out.update({f"{section}.{key}": value for key, value in values.items()})
    return out


def config_diff(configs: dict[str, ExperimentConfig]) -> dict[str, dict[str, object]]:
    """Only the settings that differ: ``{setting: {run label: value}}``."""
    flats = {label: flat(cfg) for label, cfg in configs.items()}
    keys = dict.fromkeys(k for f in flats.values() for k in f)
    return {key: {label: f.get(key) for label, f in flats.items()}
            for key in keys if len({repr(f.get(key)) for f in flats.values()}) > 1}


def cell_sweep(config: ExperimentConfig, cells=CELLS) -> list[ExperimentConfig]:
    """The same data, seed and budget with each cell (tanh, as each cell's standard form)."""
    return [config.replace(model={"cell": cell, "activation": "tanh"}) for cell in cells]

"""Model and run files: safetensors weights next to the JSON config; never pickle.

A model directory holds ``model.safetensors`` (the state dict, with the input and output
sizes in its metadata) and ``config.json`` (the complete ExperimentConfig). ``write_run``
adds ``history.csv``, ``metrics.json`` and ``predictions.csv``.
"""

from __future__ import annotations

import json
import math
import os
import stat
import struct
from pathlib import Path

import pandas as pd
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from rnncore.config import ConfigError, ExperimentConfig
from rnncore.training.metrics import METRICS

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
HISTORY_COLUMNS = ("epoch", "train_loss", "val_loss", "seconds", "grad_norm", "lr")
MAX_CONFIG_BYTES = 1024 * 1024  # a config.json is a few KB


class ModelFileError(ValueError):
    """A model file cannot be used; str(e) says which file and what to do."""


def save_model(directory: str | os.PathLike, model: torch.nn.Module, cfg: ExperimentConfig) -> Path:
    """Write ``model.safetensors`` and ``config.json`` into ``directory`` (created if needed)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tensors, metadata = _tensors(model)
    save_file(tensors, directory / WEIGHTS, metadata=metadata)
    (directory / CONFIG).write_text(cfg.to_json() + "\n", encoding="utf-8")
    return directory


def _tensors(model: torch.nn.Module) -> tuple[dict, dict]:
    """The model's weights and the metadata that rebuilds it (its input and output sizes)."""
    tensors = {name: t.detach().cpu().contiguous() for name, t in model.state_dict().items()}
    input_size = tensors["rnn.weight_ih_l0"].shape[1]  # torch's names, for fused and explicit cells
    return tensors, {"format": "rnnlab", "input_size": str(input_size), "output_size": str(model.head.out_features)}


def model_bytes(model: torch.nn.Module) -> bytes:
    """The weights as the bytes of a model.safetensors file (what the run store keeps)."""
    return copy_bytes(_tensors(model))


def model_copy(model: torch.nn.Module) -> tuple[dict, dict]:
    """A copy of the weights that no later training step changes, with the metadata that rebuilds the model:
    quick to take in a training thread; ``copy_bytes`` makes the file's bytes of it later, in another."""
    tensors, metadata = _tensors(model)
    return {name: t.clone() for name, t in tensors.items()}, metadata


def copy_bytes(copy: tuple[dict, dict]) -> bytes:
    """The bytes of a model.safetensors file holding ``copy`` (tensors, metadata)."""
    from safetensors.torch import save

    tensors, metadata = copy
    return save(tensors, metadata=metadata)


def model_from_bytes(data: bytes, cfg: ExperimentConfig):
    """The SequenceModel of ``cfg`` holding the weights of model_bytes(...) (ModelFileError if they do not fit)."""
    from safetensors.torch import load

    from rnncore.nn.models import build_model

    try:
        state = load(bytes(data))
        meta = _metadata(data)
        input_size, output_size = int(meta["input_size"]), int(meta["output_size"])
    except (SafetensorError, KeyError, TypeError, ValueError) as exc:
        raise ModelFileError(f"the stored weights cannot be read ({exc}); train the run again") from None
    model = build_model(cfg.model, input_size, output_size, torch.Generator().manual_seed(0))
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError:
        raise ModelFileError(f"the stored weights do not fit the run's model ({cfg.model.cell}, hidden_size "
                             f"{cfg.model.hidden_size}); train the run again") from None
    model.eval()
    return model


def _metadata(data: bytes) -> dict:
    """The metadata of safetensors bytes (its JSON header's __metadata__)."""
    (length,) = struct.unpack("<Q", bytes(data[:8]))
    header = json.loads(bytes(data[8:8 + length]))
    return header.get("__metadata__") or {}


def _paths(path: str | os.PathLike, config_path: str | os.PathLike | None) -> tuple[Path, Path]:
    path = Path(path)
    weights = path / WEIGHTS if path.is_dir() else path
    config = Path(config_path) if config_path is not None else weights.parent / CONFIG
    for file in (weights, config):
        if not file.is_file():
            raise ModelFileError(f"{file} does not exist; give the folder a run was written to "
                                 f"(it holds {WEIGHTS} and {CONFIG})")
    return weights, config


def read_small_file(path: str | os.PathLike, limit: int = MAX_CONFIG_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; ModelFileError for anything else
    (a folder, a device such as /dev/zero, a pipe that would wait for ever, a file too large)."""
    path = Path(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise ModelFileError(f"{path} is not a regular file; give the path of a config.json")
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except OSError as exc:
        raise ModelFileError(f"{path} cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise ModelFileError(f"{path} is over {limit // 1024} KB; a config.json is far smaller")
    return data


def load_config(path: str | os.PathLike) -> ExperimentConfig:
    """Read an ExperimentConfig from a JSON file; ModelFileError when it cannot be used."""
    try:
        return ExperimentConfig.from_json(read_small_file(path))
    except ConfigError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    except OSError as exc:
        raise ModelFileError(f"{path} cannot be read ({exc.strerror or exc})") from None


def load_model(path: str | os.PathLike, config_path: str | os.PathLike | None = None):
    """Load (SequenceModel, ExperimentConfig) from a run folder or a ``model.safetensors`` path.

    The config is ``config_path`` or the ``config.json`` beside the weights. Raises
    ModelFileError (a ValueError) for a missing, corrupt or foreign file, an unknown cell,
    or weights whose names or shapes do not fit the config.
    """
    from rnncore.nn.models import build_model

    weights, config = _paths(path, config_path)
    cfg = load_config(config)
    try:
        state = load_file(weights)
        with safe_open(weights, "pt") as f:
            meta = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(f"{weights} is not a readable safetensors file ({exc}); "
                             "save the model again with save_model") from None
    try:
        input_size, output_size = int(meta["input_size"]), int(meta["output_size"])
    except (KeyError, TypeError, ValueError):
        raise ModelFileError(f"{weights} was not written by RNN Lab (no input_size/output_size in its "
                             "metadata); save the model with save_model") from None
    model = build_model(cfg.model, input_size, output_size, torch.Generator().manual_seed(0))
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        detail = " ".join(line.strip() for line in first[1:3]) or first[0]
        raise ModelFileError(f"{weights} does not fit the model in {config.name} "
                             f"({cfg.model.cell}, hidden_size {cfg.model.hidden_size}): {detail}") from None
    model.eval()
    return model, cfg


def _number(value):
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else value


def metrics_document(result) -> dict:
    """metrics.json: model metrics on test and val, baselines on test (None where unavailable)."""
    doc = {split: {k: _number(result.metrics[split][k]) for k in METRICS} for split in ("test", "val")}
    baselines = {}
    for name, by_split in result.baselines.items():
        baselines[name] = {k: _number(by_split["test"][k]) for k in METRICS}
    for name, note in result.baseline_notes.items():  # the note's key lets a reader say it in its language
        baselines[name] = {**dict.fromkeys(METRICS), "note": str(note), "note_key": note.key,
                           "note_details": note.details}
    doc["baselines"] = baselines
    if "per_step" in result.metrics:
        doc["per_step"] = result.metrics["per_step"]
    return doc


def history_frame(history) -> pd.DataFrame:
    return pd.DataFrame([[getattr(r, c) for c in HISTORY_COLUMNS] for r in history], columns=HISTORY_COLUMNS)


def write_run(directory: str | os.PathLike, result) -> Path:
    """Write a RunResult: config.json, model.safetensors, history.csv, metrics.json, predictions.csv."""
    directory = save_model(directory, result.model, result.config)
    history_frame(result.history).to_csv(directory / "history.csv", index=False, float_format="%.9g")
    (directory / "metrics.json").write_text(json.dumps(metrics_document(result), indent=2) + "\n",
                                            encoding="utf-8")
    frames = [frame.reset_index().assign(split=name) for name, frame in result.predictions.items()]
    table = pd.concat(frames, ignore_index=True)
    table = table[["split", *[c for c in table.columns if c != "split"]]]
    table.to_csv(directory / "predictions.csv", index=False, float_format="%.9g")
    return directory

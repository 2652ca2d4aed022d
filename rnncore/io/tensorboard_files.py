"""A run as TensorBoard event files (written with tensorboardX): its curve, one value per epoch of each of
``SCALARS``, and its settings as hyperparameters next to its test metrics (TensorBoard's HParams view), so
runs exported into one folder compare there (``tensorboard --logdir FOLDER``)."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path

SCALARS = {"train_loss": "loss/train", "val_loss": "loss/validation", "grad_norm": "grad_norm", "lr": "lr",
           "seconds": "seconds"}  # a history field (EpochRecord): its tag
METRIC_PREFIX = "test/"  # the tag of a test metric: test/rmse, test/bits_per_char, test/accuracy, ...


def hyperparameters(config: dict) -> dict:
    """A run's settings (ExperimentConfig.to_json as a dict) by setting name: strings, numbers and booleans as
    they are, lists and dicts as JSON text; unset ones (None) left out."""
    out = {}
    for section in config.values():
        if isinstance(section, dict):
            for name, value in section.items():
                if value is not None:
                    out[name] = value if isinstance(value, (str, bool, int, float)) else json.dumps(value)
    return out


def test_metrics(results: dict) -> dict:
    """The run's test metrics that are finite numbers, tagged ``test/NAME``."""
    test = (results.get("metrics") or {}).get("test") or {}
    return {METRIC_PREFIX + name: float(value) for name, value in test.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)}


def write_events(folder: Path, history: list, config: dict, results: dict, started: float) -> None:
    """Write one run's event files into ``folder`` (made; an empty one is taken): each SCALARS value of each
    epoch of ``history`` at step = its epoch and at the time it ended (``started`` plus the epochs' seconds),
    then the hyperparameters and the test metrics (at the last epoch). All or nothing: written in a folder
    beside it, moved into place when complete. OSError when it cannot be written."""
    from tensorboardX import SummaryWriter
    from tensorboardX.summary import hparams

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    aside = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        writer = SummaryWriter(logdir=str(aside))
        try:
            ended = started
            for record in history:
                ended += record.seconds
                for field, tag in SCALARS.items():
                    value = getattr(record, field)
                    if value is not None:
                        writer.add_scalar(tag, value, record.epoch, walltime=ended)
            metrics = test_metrics(results)
            for summary in hparams(hyperparameters(config), metrics):
                writer.file_writer.add_summary(summary, walltime=ended)
            last = history[-1].epoch if history else 0
            for tag, value in metrics.items():
                writer.add_scalar(tag, value, last, walltime=ended)
        finally:
            writer.close()
        if folder.is_dir():
            folder.rmdir()  # empty (OSError otherwise): its place is taken by the complete one
        aside.rename(folder)
    except BaseException:
        shutil.rmtree(aside, ignore_errors=True)
        raise

"""One run of any task as one zip file: export it for download, import it back, safely.

One format for every task: ``manifest.json`` names the task, the data's identity and the SHA-256 of each file.
A forecast's zip (``export_run``) holds what ``storage.write_run`` writes (config.json, model.safetensors,
history.csv, metrics.json, predictions.csv) and ``traces.safetensors`` (every gate and state of the probe
window); a text or labels run's (rnncore.tasks.files.task_zip) config.json, model.safetensors, history.csv,
metrics.json and, for a text model, vocabulary.json. A zip made before the manifest named its task still
reads: "rnnlab-run" as a forecast, "rnnlab-task-run" with its task.

``import_run`` reads any of them from bytes, in memory only: nothing is extracted and
nothing is written anywhere. It accepts exactly the files a bundle declares, checks sizes
before reading (and reads no more than the limit, whatever a header claims), checks every
checksum, and never unpickles: weights come through ``safetensors.torch.load``, the rest
through ``json`` and ``pandas.read_csv``. Anything else raises ``BundleError``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import struct
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from rnncore.config import SETTINGS, ExperimentConfig
from rnncore.data.reading import MAX_COLUMNS  # a run's inputs are a table's columns
from rnncore.errors import BundleError, ConfigError
from rnncore.io.model_files import CONFIG, HISTORY_COLUMNS, WEIGHTS, write_run
from rnncore.nn.models import parameter_count
from rnncore.training.limits import RunLimits
from rnncore.training.metrics import METRICS
from rnncore.training.progress import EpochRecord

FORMAT = "rnnlab-run"
TASK_FORMAT = "rnnlab-task-run"  # a text or labels run's zip from before one format held every task (still read)
VERSION = 1
MANIFEST = "manifest.json"
TRACES = "traces.safetensors"
VOCABULARY = "vocabulary.json"
FILES = (CONFIG, WEIGHTS, "history.csv", "metrics.json", "predictions.csv", TRACES)  # a forecast's
TASK_FILES = {"forecast": FILES, "charlm": (CONFIG, WEIGHTS, "history.csv", "metrics.json", VOCABULARY),
              "classify": (CONFIG, WEIGHTS, "history.csv", "metrics.json")}  # each task's zip
MAX_MEMBER_BYTES = 50 * 2**20
MAX_TOTAL_BYTES = 100 * 2**20
MAX_MEMBERS = 20
MAX_EPOCHS = int(SETTINGS["epochs"].high)  # the most rows history.csv can have
MAX_PREDICTION_ROWS = 3_000_000  # three splits of a series of the longest a CSV may be (1,000,000 rows)


def _refuse(key: str, **details) -> BundleError:
    return BundleError.keyed(key, **details)


@dataclass
class ImportedRun:
    """What ``import_run`` gives back; the data itself is not in a bundle (``config.data`` names it)."""

    config: ExperimentConfig
    model: torch.nn.Module              # SequenceModel with the exported weights, in eval mode
    history: list[EpochRecord]          # rebuilt from history.csv (no per-layer gradient norms)
    metrics: dict                       # metrics.json as written by storage.metrics_document
    predictions: pd.DataFrame           # predictions.csv: split, time/position, truth, model, baselines
    traces: dict[str, torch.Tensor]     # "layer0.forget", "layer0.h", ...: (1, lookback, hidden)
    data: dict = field(default_factory=dict)  # the data's identity: name, rows, sha256 (empty before it was kept)


@dataclass
class ImportedTask:
    """A text or labels run's zip read back: everything but the data (``data``: the identity of what it trained
    on); rnncore.tasks.files.rescore scores it again on its data."""

    config: ExperimentConfig
    model: torch.nn.Module  # SequenceModel with the exported weights
    history: list[EpochRecord]
    metrics: dict  # metrics.json as exported (shown while its data is not at hand)
    vocabulary: tuple[str, ...] | None  # charlm: the characters it reads, index 0 the unknown symbol
    data: dict
    kept_epoch: int | None = None  # whose weights they are (None: not said)


# export --------------------------------------------------------------------------------
def probe_traces(model, windows) -> dict[str, torch.Tensor]:
    """Gates and states of every layer for the probe window: the first validation window,
    else the first training window; float32 tensors named ``layer0.forget``, ``layer0.h``."""
    split = windows.val if len(windows.val.x) else windows.train
    trace = model.inspect(torch.from_numpy(split.x[:1].copy()))
    tensors = {}
    for layer, (gates, states) in enumerate(zip(trace.gates, trace.states, strict=True)):
        for name, values in {**gates, **states}.items():
            tensors[f"layer{layer}.{name}"] = values.detach().float().cpu().contiguous()
    return tensors


def export_run(result, history=None) -> bytes:
    """The run as the bytes of a zip file (see the module docstring for what it holds).

    ``history`` (a list of EpochRecord) replaces ``result.history`` when given. The files
    are written by ``storage.write_run`` into a temporary folder, removed before returning.
    """
    if history is not None:
        result = dataclasses.replace(result, history=list(history))
    was_training = result.model.training
    result.model.eval()
    try:
        traces = probe_traces(result.model, result.windows)
    finally:
        result.model.train(was_training)
    with tempfile.TemporaryDirectory(prefix="rnnlab-export-") as tmp:
        write_run(tmp, result)
        contents = {name: Path(tmp, name).read_bytes() for name in FILES if name != TRACES}
    contents[TRACES] = save_tensors(traces, metadata={"format": "rnnlab-traces"})
    return write_bundle(FORMAT, {name: contents[name] for name in FILES}, result.data, task="forecast")


# import --------------------------------------------------------------------------------
def _check_name(name: str) -> None:
    path = PurePosixPath(name)
    if ("\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":")
            or ".." in path.parts or name != path.name):
        raise _refuse("unsafe_path", name=repr(name))


def _members(zf: zipfile.ZipFile, expected: str) -> dict[str, zipfile.ZipInfo]:
    """Check names, count and declared sizes of every member, before reading any."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _refuse("too_many_files", count=len(infos), expected=expected)
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        _check_name(info.filename)
        if info.filename in members:
            raise _refuse("twice", name=repr(info.filename))
        if info.file_size > MAX_MEMBER_BYTES:
            raise _refuse("member_too_big", name=info.filename, size=f"{info.file_size / 2**20:.0f}",
                          limit=MAX_MEMBER_BYTES // 2**20)
        members[info.filename] = info
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_BYTES:
        raise _refuse("too_big", size=f"{total / 2**20:.0f}", limit=MAX_TOTAL_BYTES // 2**20)
    return members


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes: never more than its declared size (already checked against the
    limit) plus one, whatever the compressed stream holds."""
    try:
        with zf.open(info) as member:
            data = member.read(min(info.file_size, MAX_MEMBER_BYTES) + 1)
    # RuntimeError: an encrypted member, or a compression method zipfile does not support
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, RuntimeError) as exc:
        raise _refuse("damaged", name=info.filename, detail=str(exc)) from None
    if len(data) > MAX_MEMBER_BYTES or len(data) != info.file_size:
        raise _refuse("wrong_size", name=info.filename)
    return data


def _manifest(zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> dict:
    if MANIFEST not in members:
        raise _refuse("no_manifest")
    try:
        manifest = json.loads(_read(zf, members[MANIFEST]))
    except (ValueError, UnicodeDecodeError):
        raise _refuse("manifest_json") from None
    found = manifest.get("format") if isinstance(manifest, dict) else None
    if found not in (FORMAT, TASK_FORMAT):
        raise _refuse("wrong_format", found=repr(found), expected=repr(FORMAT))
    if manifest.get("version") != VERSION:
        raise _refuse("wrong_version", found=repr(manifest.get("version")), expected=VERSION)
    files = TASK_FILES[zip_task(manifest)]
    listed = manifest.get("files")
    if not isinstance(listed, dict) or set(listed) != set(files):
        raise _refuse("manifest_files", files=", ".join(files))
    for name in members:
        if name != MANIFEST and name not in listed:
            raise _refuse("extra_file", name=repr(name))
    missing = [name for name in files if name not in members]
    if missing:
        raise _refuse("missing", files=", ".join(missing))
    return manifest


def zip_task(manifest: dict) -> str:
    """The task of a run's zip: its manifest's ``task``; a forecast in a zip made before the manifest named it."""
    task = manifest.get("task", "forecast" if manifest.get("format") == FORMAT else None)
    if task not in TASK_FILES:
        raise _refuse("bad_document", name=MANIFEST, problem="a task: forecast, charlm or classify")
    return task


def _metadata(weights: bytes) -> dict:
    """The ``__metadata__`` of a safetensors file from its JSON header (8-byte length first); BundleError
    when the bytes are no safetensors file at all."""
    size = struct.unpack("<Q", weights[:8])[0] if len(weights) >= 8 else -1
    try:
        header = json.loads(weights[8:8 + size]) if 0 < size <= len(weights) - 8 else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        header = None
    if not isinstance(header, dict):
        raise _refuse("unreadable_tensors", name=WEIGHTS, detail="no safetensors header")
    meta = header.get("__metadata__")
    return meta if isinstance(meta, dict) else {}


def model_sizes(weights: bytes, most_inputs: int = MAX_COLUMNS,
                most_outputs: int = int(SETTINGS["horizon"].high)) -> tuple[int, int]:
    """The model's input and output sizes from the weights' metadata, checked against what a run can have (a
    forecast's by default: a table's columns in, the longest horizon out)."""
    meta = _metadata(weights)
    try:
        inputs, outputs = int(meta["input_size"]), int(meta["output_size"])
    except (KeyError, TypeError, ValueError):
        raise _refuse("foreign_weights", name=WEIGHTS) from None
    if not (1 <= inputs <= most_inputs and 1 <= outputs <= most_outputs):
        raise _refuse("bad_sizes", name=WEIGHTS, inputs=inputs, outputs=outputs, most_inputs=most_inputs,
                      most_outputs=most_outputs)
    return inputs, outputs


def bundled_model(cfg: ExperimentConfig, weights: bytes, sizes: tuple[int, int]):
    """The SequenceModel of ``cfg`` holding ``weights`` (safetensors bytes), in eval mode; BundleError when they
    cannot be read or do not fit."""
    from rnncore.nn.models import build_model

    try:
        state = load_tensors(weights)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise _refuse("unreadable_tensors", name=WEIGHTS, detail=str(exc)) from None
    try:
        model = build_model(cfg.model, *sizes, torch.Generator().manual_seed(0))
        model.load_state_dict(state, strict=True)
    except (RuntimeError, ValueError) as exc:
        lines = str(exc).strip().splitlines()
        detail = " ".join(line.strip() for line in lines[1:3]) or lines[0]
        raise _refuse("weights_mismatch", name=WEIGHTS, config=CONFIG, cell=cfg.model.cell,
                      hidden_size=cfg.model.hidden_size, layers=cfg.model.num_layers, detail=detail) from None
    return model.eval()


def _float(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _rows(name: str, text: bytes, limit: int) -> None:
    """Refuse a table with more rows than a run can have, before pandas reads it."""
    rows = text.count(b"\n") - 1  # lines after the header
    if rows > limit:
        raise _refuse("too_many_rows", name=name, rows=f"{rows:,}", limit=f"{limit:,}")


def bundled_history(text: bytes) -> list[EpochRecord]:
    """history.csv read back, checked: its columns, numbers, and epochs counting up from 1."""
    name = "history.csv"
    _rows(name, text, MAX_EPOCHS)
    frame = pd.read_csv(io.BytesIO(text))
    if list(frame.columns) != list(HISTORY_COLUMNS):
        raise _refuse("bad_document", name=name, problem=f"columns {', '.join(HISTORY_COLUMNS)}")
    required = frame[[c for c in HISTORY_COLUMNS if c != "val_loss"]]
    if not all(kind.kind in "iuf" for kind in frame.dtypes) or not np.isfinite(required.to_numpy(float)).all():
        raise _refuse("bad_document", name=name, problem="numbers in every column")
    epochs = frame["epoch"].to_numpy()
    if len(epochs) and ((epochs != np.round(epochs)).any() or (np.diff(epochs) <= 0).any() or epochs[0] < 1):
        raise _refuse("bad_document", name=name, problem="epochs counting up from 1")
    return [EpochRecord(epoch=int(row.epoch), train_loss=float(row.train_loss), val_loss=_float(row.val_loss),
                        seconds=float(row.seconds), grad_norm=float(row.grad_norm), layer_grad_norms={},
                        lr=float(row.lr))
            for row in frame.itertuples(index=False)]


def _metric_values(values, where: str) -> dict:
    """One predictor's metrics: each of METRICS a finite number or null (a note may say why); a zip
    written before MASE existed has no mase."""
    values = {"mase": None, **values} if isinstance(values, dict) else values
    if not isinstance(values, dict) or not set(METRICS) <= set(values):
        raise _refuse("bad_document", name="metrics.json", problem=where)
    for key in METRICS:
        value = values[key]
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if value is not None and not (number and math.isfinite(value)):
            raise _refuse("bad_document", name="metrics.json", problem=f"{where}.{key}")
    kept = {key: values[key] for key in METRICS}
    if isinstance(values.get("note"), str):
        kept["note"] = values["note"][:500]
        if isinstance(values.get("note_key"), str) and isinstance(values.get("note_details"), dict):
            kept["note_key"], kept["note_details"] = values["note_key"], values["note_details"]
    return kept


def _metrics(text: bytes) -> dict:
    """metrics.json, checked against what ``storage.metrics_document`` writes, before anything is kept."""
    try:
        doc = json.loads(text)
    except RecursionError:
        raise _refuse("bad_document", name="metrics.json", problem="nested too deeply") from None
    if not isinstance(doc, dict):
        raise _refuse("bad_document", name="metrics.json", problem="an object")
    out = {split: _metric_values(doc.get(split), split) for split in ("test", "val")}
    baselines = doc.get("baselines", {})
    if not isinstance(baselines, dict) or len(baselines) > 20:
        raise _refuse("bad_document", name="metrics.json", problem="baselines")
    out["baselines"] = {str(name)[:50]: _metric_values(values, f"baselines.{name}")
                        for name, values in baselines.items()}
    per_step = doc.get("per_step")
    if per_step is not None:
        if not isinstance(per_step, dict) or not all(isinstance(v, list) and len(v) <= SETTINGS["horizon"].high
                                                     for v in per_step.values()):
            raise _refuse("bad_document", name="metrics.json", problem="per_step")
        out["per_step"] = {split: [_metric_values(v, f"per_step.{split}") for v in steps]
                           for split, steps in per_step.items() if split in ("test", "val")}
    return out


def _predictions(text: bytes) -> pd.DataFrame:
    name = "predictions.csv"
    _rows(name, text, MAX_PREDICTION_ROWS)
    frame = pd.read_csv(io.BytesIO(text))
    if "split" not in frame.columns or not set(frame["split"].astype(str)) <= {"train", "val", "test"}:
        raise _refuse("bad_document", name=name, problem="a split column of train, val and test")
    return frame


def import_run(data: bytes, limits: RunLimits | None = None) -> ImportedRun | ImportedTask:
    """Read a run's zip of any task (``export_run``'s, ``task_zip``'s); BundleError for anything else (see the
    module docstring): a forecast's ImportedRun, a text or labels run's ImportedTask.

    Every file is checked before anything is built: the config against each setting's declared
    range and, with ``limits``, the server's limits (the model's size too); the tables against the
    most rows a run can have; metrics.json against what a run writes.
    """
    manifest, contents = read_bundle(data, expected="5 to 7")
    task = zip_task(manifest)
    if task != "forecast":
        return _imported_task(manifest, contents, task, limits)
    sizes = model_sizes(contents[WEIGHTS])
    cfg = _config(contents, sizes, limits)
    name = "history.csv"
    try:
        history = bundled_history(contents[name])
        name = "metrics.json"
        metrics = _metrics(contents[name])
        name = "predictions.csv"
        predictions = _predictions(contents[name])
    except (ValueError, UnicodeDecodeError, AttributeError, TypeError, pd.errors.ParserError) as exc:
        if isinstance(exc, BundleError):
            raise
        raise _refuse("unreadable_file", name=name, detail=str(exc)[:200]) from None
    try:
        traces = load_tensors(contents[TRACES])
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise _refuse("unreadable_tensors", name=TRACES, detail=str(exc)) from None
    model = bundled_model(cfg, contents[WEIGHTS], sizes)
    return ImportedRun(cfg, model, history, metrics, predictions, traces, bundled_identity(manifest.get("data")))


def _config(contents: dict[str, bytes], sizes: tuple[int, int], limits: RunLimits | None,
            task: str = "forecast") -> ExperimentConfig:
    """config.json read back, its task the zip's, within each setting's range and ``limits`` (the model's size
    from the weights too)."""
    try:
        cfg = ExperimentConfig.from_json(contents[CONFIG])
        if cfg.data.task != task:
            raise ConfigError(f"its task is {cfg.data.task}, the manifest's {task}")
        (limits or RunLimits()).check(cfg, parameter_count(cfg.model, *sizes))
    except ConfigError as exc:
        raise _refuse("bad_config", name=CONFIG, error=exc) from None
    return cfg


def _imported_task(manifest: dict, contents: dict[str, bytes], task: str, limits: RunLimits | None) -> ImportedTask:
    """A text or labels run's files, checked: its config, weights that fit it, its history, its metrics.json, a
    vocabulary that fits the weights."""
    from rnncore.data.labelled import MAX_CLASSES
    from rnncore.training.task import OBJECTIVES

    most = int(SETTINGS["vocabulary"].high)
    sizes = model_sizes(contents[WEIGHTS], *((most, most) if task == "charlm" else (MAX_COLUMNS, MAX_CLASSES)))
    cfg = _config(contents, sizes, limits, task)
    try:
        history = bundled_history(contents["history.csv"])
        metrics = json.loads(contents["metrics.json"])
        vocabulary = tuple(json.loads(contents[VOCABULARY])) if task == "charlm" else None
    except BundleError:
        raise
    except (ValueError, UnicodeDecodeError, TypeError, RecursionError) as exc:
        raise _refuse("unreadable_file", name="history.csv, metrics.json or vocabulary.json",
                      detail=str(exc)[:200]) from None
    metric = OBJECTIVES[task][0]
    test = metrics.get("test") if isinstance(metrics, dict) else None
    value = test.get(metric) if isinstance(test, dict) else None
    if metrics.get("task") != task or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _refuse("bad_document", name="metrics.json", problem=f"the {task} run's test {metric}")
    if vocabulary is not None and (len(vocabulary) != sizes[0] or not all(isinstance(c, str) for c in vocabulary)):
        raise _refuse("bad_document", name=VOCABULARY, problem=f"{sizes[0]} characters, as the model reads")
    model = bundled_model(cfg, contents[WEIGHTS], sizes)
    kept = manifest.get("kept_epoch")
    kept = kept if isinstance(kept, int) and not isinstance(kept, bool) and kept >= 0 else None
    return ImportedTask(cfg, model, history, metrics, vocabulary, bundled_identity(manifest.get("data")), kept)


def read_bundle(data: bytes, expected: str = "5 to 7") -> tuple[dict, dict[str, bytes]]:
    """(the manifest, {name: bytes}) of a run's zip holding exactly its task's files (TASK_FILES) and
    manifest.json: names, count and sizes checked before anything is read, never more read than declared, every
    checksum checked. BundleError for anything else. ``expected``: how many files such a zip holds, in words."""
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) == 0:
        raise _refuse("empty")
    try:
        with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
            members = _members(zf, expected)
            manifest = _manifest(zf, members)
            contents = {name: _read(zf, members[name]) for name in manifest["files"]}
    except BundleError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise _refuse("not_zip", detail=str(exc)) from None
    for name, content in contents.items():
        if hashlib.sha256(content).hexdigest() != manifest["files"][name]:
            raise _refuse("checksum", name=name)
    return manifest, contents


def write_bundle(fmt: str, contents: dict[str, bytes], data: dict, **more) -> bytes:
    """A zip of ``contents`` and a manifest.json naming ``fmt``, the data's identity, each file's SHA-256 (and
    ``more``)."""
    manifest = {"format": fmt, "version": VERSION, "created_by": "RNN Lab", "data": data, **more,
                "files": {name: hashlib.sha256(content).hexdigest() for name, content in contents.items()}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest, indent=2) + "\n")
        for name, content in contents.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def bundled_identity(data) -> dict:
    """The manifest's data identity, kept only as far as it is well formed."""
    if not isinstance(data, dict):
        return {}
    name, rows, sha = data.get("name"), data.get("rows"), data.get("sha256")
    ok = isinstance(name, str) and isinstance(rows, int) and (sha is None or isinstance(sha, str) and len(sha) <= 64)
    return {"name": name[:200], "rows": rows, "sha256": sha} if ok else {}

"""One run as one zip file: export it for download, import it back, safely.

``export_run`` writes the run with ``storage.write_run`` (config.json, model.safetensors,
history.csv, metrics.json, predictions.csv), adds ``traces.safetensors`` (every gate and
state of the probe window) and ``manifest.json`` (the SHA-256 of each file), and zips it.

``import_run`` reads such a zip from bytes, in memory only: nothing is extracted and
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
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from rnncore.config import ExperimentConfig
from rnncore.errors import BundleError, ConfigError
from rnncore.io.model_files import CONFIG, HISTORY_COLUMNS, WEIGHTS, write_run
from rnncore.training.progress import EpochRecord

FORMAT = "rnnlab-run"
VERSION = 1
MANIFEST = "manifest.json"
TRACES = "traces.safetensors"
FILES = (CONFIG, WEIGHTS, "history.csv", "metrics.json", "predictions.csv", TRACES)
MAX_MEMBER_BYTES = 50 * 2**20
MAX_TOTAL_BYTES = 100 * 2**20
MAX_MEMBERS = 20


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
    manifest = {"format": FORMAT, "version": VERSION, "created_by": "RNN Lab",
                "files": {name: hashlib.sha256(contents[name]).hexdigest() for name in FILES}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, json.dumps(manifest, indent=2) + "\n")
        for name in FILES:
            zf.writestr(name, contents[name])
    return buffer.getvalue()


# import --------------------------------------------------------------------------------
def _check_name(name: str) -> None:
    path = PurePosixPath(name)
    if ("\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":")
            or ".." in path.parts or name != path.name):
        raise _refuse("unsafe_path", name=repr(name))


def _members(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Check names, count and declared sizes of every member, before reading any."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _refuse("too_many_files", count=len(infos), expected=len(FILES) + 1)
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
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise _refuse("wrong_format", found=repr(found), expected=repr(FORMAT))
    if manifest.get("version") != VERSION:
        raise _refuse("wrong_version", found=repr(manifest.get("version")), expected=VERSION)
    files = manifest.get("files")
    if not isinstance(files, dict) or set(files) != set(FILES):
        raise _refuse("manifest_files", files=", ".join(FILES))
    for name in members:
        if name != MANIFEST and name not in files:
            raise _refuse("extra_file", name=repr(name))
    missing = [name for name in FILES if name not in members]
    if missing:
        raise _refuse("missing", files=", ".join(missing))
    return manifest


def _metadata(weights: bytes) -> dict:
    """The ``__metadata__`` of a safetensors file from its JSON header (8-byte length first)."""
    if len(weights) < 8:
        return {}
    (size,) = struct.unpack("<Q", weights[:8])
    try:
        header = json.loads(weights[8:8 + size]) if size <= len(weights) - 8 else {}
    except (ValueError, UnicodeDecodeError):
        return {}
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    return meta if isinstance(meta, dict) else {}


def _model(cfg: ExperimentConfig, weights: bytes):
    from rnncore.nn.models import build_model

    try:
        state = load_tensors(weights)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise _refuse("unreadable_tensors", name=WEIGHTS, detail=str(exc)) from None
    meta = _metadata(weights)
    try:
        input_size, output_size = int(meta["input_size"]), int(meta["output_size"])
    except (KeyError, TypeError, ValueError):
        raise _refuse("foreign_weights", name=WEIGHTS) from None
    try:
        model = build_model(cfg.model, input_size, output_size, torch.Generator().manual_seed(0))
        model.load_state_dict(state, strict=True)
    except (RuntimeError, ValueError) as exc:
        lines = str(exc).strip().splitlines()
        detail = " ".join(line.strip() for line in lines[1:3]) or lines[0]
        raise _refuse("weights_mismatch", name=WEIGHTS, config=CONFIG, cell=cfg.model.cell,
                      hidden_size=cfg.model.hidden_size, layers=cfg.model.num_layers, detail=detail) from None
    return model.eval()


def _float(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _history(text: bytes) -> list[EpochRecord]:
    frame = pd.read_csv(io.BytesIO(text))
    if list(frame.columns) != list(HISTORY_COLUMNS):
        raise ValueError(f"columns must be {', '.join(HISTORY_COLUMNS)}")
    return [EpochRecord(epoch=int(row.epoch), train_loss=float(row.train_loss), val_loss=_float(row.val_loss),
                        seconds=float(row.seconds), grad_norm=float(row.grad_norm), layer_grad_norms={},
                        lr=float(row.lr))
            for row in frame.itertuples(index=False)]


def import_run(data: bytes) -> ImportedRun:
    """Read a zip made by ``export_run``; BundleError for anything else (see the module docstring)."""
    if not isinstance(data, (bytes, bytearray, memoryview)) or len(data) == 0:
        raise _refuse("empty")
    try:
        with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
            members = _members(zf)
            manifest = _manifest(zf, members)
            contents = {name: _read(zf, members[name]) for name in FILES}
    except BundleError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise _refuse("not_zip", detail=str(exc)) from None
    for name in FILES:
        if hashlib.sha256(contents[name]).hexdigest() != manifest["files"][name]:
            raise _refuse("checksum", name=name)
    try:
        cfg = ExperimentConfig.from_json(contents[CONFIG])
    except ConfigError as exc:
        raise _refuse("bad_config", name=CONFIG, error=exc) from None
    model = _model(cfg, contents[WEIGHTS])
    try:
        traces = load_tensors(contents[TRACES])
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise _refuse("unreadable_tensors", name=TRACES, detail=str(exc)) from None
    name = "history.csv"
    try:
        history = _history(contents[name])
        name = "metrics.json"
        metrics = json.loads(contents[name])
        name = "predictions.csv"
        predictions = pd.read_csv(io.BytesIO(contents[name]))
    except (ValueError, UnicodeDecodeError, AttributeError, TypeError) as exc:
        raise _refuse("unreadable_file", name=name, detail=str(exc)) from None
    return ImportedRun(cfg, model, history, metrics, predictions, traces)

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
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pandas as pd
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from rnncore.config import ConfigError, ExperimentConfig
from rnncore.results import EpochRecord
from rnncore.storage import CONFIG, HISTORY_COLUMNS, WEIGHTS, write_run

FORMAT = "rnnlab-run"
VERSION = 1
MANIFEST = "manifest.json"
TRACES = "traces.safetensors"
FILES = (CONFIG, WEIGHTS, "history.csv", "metrics.json", "predictions.csv", TRACES)
MAX_MEMBER_BYTES = 50 * 2**20
MAX_TOTAL_BYTES = 100 * 2**20
MAX_MEMBERS = 20
ADVICE = "Export the run again with RNN Lab and upload that zip unchanged"


class BundleError(ValueError):
    """A run zip cannot be imported; str(e) says what is wrong and what to do."""


@dataclass
class ImportedRun:
    """What ``import_run`` gives back; the data itself is not in a bundle (``config.data`` names it)."""

    config: ExperimentConfig
    model: torch.nn.Module              # SequenceModel with the exported weights, in eval mode
    history: list[EpochRecord]          # rebuilt from history.csv (no per-layer gradient norms)
    metrics: dict                       # metrics.json as written by storage.metrics_document
    predictions: pd.DataFrame           # predictions.csv: split, time/position, truth, model, baselines
    traces: dict[str, torch.Tensor]     # "layer0.forget", "layer0.h", ...: (1, lookback, hidden)
    notes: list[str] = field(default_factory=list)


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
        raise BundleError(f"the zip holds a file with an unsafe path ({name!r}); a run zip holds only "
                          f"plain file names. {ADVICE}")


def _members(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Check names, count and declared sizes of every member, before reading any."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise BundleError(f"the zip holds {len(infos)} files; a run zip holds {len(FILES) + 1}. {ADVICE}")
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        _check_name(info.filename)
        if info.filename in members:
            raise BundleError(f"the zip holds {info.filename!r} twice. {ADVICE}")
        if info.file_size > MAX_MEMBER_BYTES:
            raise BundleError(f"{info.filename} would unpack to {info.file_size / 2**20:.0f} MB, above the "
                              f"limit of {MAX_MEMBER_BYTES // 2**20} MB per file; this is not a run zip "
                              "from RNN Lab (runs are far smaller)")
        members[info.filename] = info
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_BYTES:
        raise BundleError(f"the zip would unpack to {total / 2**20:.0f} MB, above the limit of "
                          f"{MAX_TOTAL_BYTES // 2**20} MB; this is not a run zip from RNN Lab")
    return members


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes: never more than its declared size (already checked against the
    limit) plus one, whatever the compressed stream holds."""
    try:
        with zf.open(info) as member:
            data = member.read(min(info.file_size, MAX_MEMBER_BYTES) + 1)
    # RuntimeError: an encrypted member, or a compression method zipfile does not support
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, RuntimeError) as exc:
        raise BundleError(f"{info.filename} in the zip is damaged ({exc}). {ADVICE}") from None
    if len(data) > MAX_MEMBER_BYTES or len(data) != info.file_size:
        raise BundleError(f"{info.filename} in the zip is not the size its header says. {ADVICE}")
    return data


def _manifest(zf: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> dict:
    if MANIFEST not in members:
        raise BundleError("this zip is not a run exported by RNN Lab (it has no manifest.json); "
                          "upload a zip made with 'Export run'")
    try:
        manifest = json.loads(_read(zf, members[MANIFEST]))
    except (ValueError, UnicodeDecodeError):
        raise BundleError(f"manifest.json in the zip is not valid JSON. {ADVICE}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise BundleError(f"this zip is not a run exported by RNN Lab (its manifest says format {found!r}, "
                          f"not {FORMAT!r}); upload a zip made with 'Export run'")
    if manifest.get("version") != VERSION:
        raise BundleError(f"this run zip has bundle version {manifest.get('version')!r}; this RNN Lab reads "
                          f"version {VERSION}. Open it with the RNN Lab that made it, or export the run again")
    files = manifest.get("files")
    if not isinstance(files, dict) or set(files) != set(FILES):
        raise BundleError(f"manifest.json does not list the files of a run ({', '.join(FILES)}). {ADVICE}")
    for name in members:
        if name != MANIFEST and name not in files:
            raise BundleError(f"the zip holds {name!r}, which is not part of a run; only the declared files "
                              "are accepted (pickles and other files are never loaded). Remove it, or "
                              "export the run again with RNN Lab")
    missing = [name for name in FILES if name not in members]
    if missing:
        raise BundleError(f"the zip lacks {', '.join(missing)}. {ADVICE}")
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
    from rnncore.models import build_model

    try:
        state = load_tensors(weights)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise BundleError(f"{WEIGHTS} is not a readable safetensors file ({exc}). {ADVICE}") from None
    meta = _metadata(weights)
    try:
        input_size, output_size = int(meta["input_size"]), int(meta["output_size"])
    except (KeyError, TypeError, ValueError):
        raise BundleError(f"{WEIGHTS} was not written by RNN Lab (no input_size/output_size in its "
                          f"metadata). {ADVICE}") from None
    try:
        model = build_model(cfg.model, input_size, output_size, torch.Generator().manual_seed(0))
        model.load_state_dict(state, strict=True)
    except (RuntimeError, ValueError) as exc:
        lines = str(exc).strip().splitlines()
        detail = " ".join(line.strip() for line in lines[1:3]) or lines[0]
        raise BundleError(f"{WEIGHTS} does not fit the model in {CONFIG} ({cfg.model.cell}, hidden_size "
                          f"{cfg.model.hidden_size}, {cfg.model.num_layers} layer(s)): {detail}. {ADVICE}") from None
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
        raise BundleError("the upload is empty or not a file; upload a run zip made with 'Export run'")
    try:
        with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
            members = _members(zf)
            manifest = _manifest(zf, members)
            contents = {name: _read(zf, members[name]) for name in FILES}
    except BundleError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise BundleError(f"this is not a zip file, or it is truncated or damaged ({exc}); "
                          "upload the whole zip made with 'Export run'") from None
    for name in FILES:
        if hashlib.sha256(contents[name]).hexdigest() != manifest["files"][name]:
            raise BundleError(f"{name} does not match its checksum in manifest.json: the zip was changed "
                              f"or damaged after export. {ADVICE}")
    try:
        cfg = ExperimentConfig.from_json(contents[CONFIG])
    except ConfigError as exc:
        raise BundleError(f"{CONFIG} in the zip cannot be used: {exc}") from None
    model = _model(cfg, contents[WEIGHTS])
    try:
        traces = load_tensors(contents[TRACES])
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise BundleError(f"{TRACES} is not a readable safetensors file ({exc}). {ADVICE}") from None
    name = "history.csv"
    try:
        history = _history(contents[name])
        name = "metrics.json"
        metrics = json.loads(contents[name])
        name = "predictions.csv"
        predictions = pd.read_csv(io.BytesIO(contents[name]))
    except (ValueError, UnicodeDecodeError, AttributeError, TypeError) as exc:
        raise BundleError(f"{name} in the zip cannot be read ({exc}). {ADVICE}") from None
    notes = [f"imported {cfg.model.cell} run: {len(history)} epoch(s), trained on {cfg.data.source}",
             "the data is not part of the zip: load it again to evaluate or retrain the model",
             "per-layer gradient norms are not stored in a run zip"]
    return ImportedRun(cfg, model, history, metrics, predictions, traces, notes)

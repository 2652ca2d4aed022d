"""Run zips: export/import round trip, every refusal with its message, nothing written, reproduction."""

import builtins
import dataclasses
import hashlib
import io
import json
import pickle
import subprocess
import sys
import tempfile
import tracemalloc
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from rnncore.data.samples import with_defaults
from rnncore.io.bundle import FILES, BundleError, export_run, import_run, probe_traces
from rnncore.io.model_files import history_frame, metrics_document
from rnncore.lab import Lab
from rnncore.nn.models import build_model

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def record():
    """A run made the way the app makes it."""
    lab = Lab()
    lab.load("sample:airline_passengers")
    lab.config = with_defaults(lab.config, {}).replace(train={"epochs": 3}, model={"hidden_size": 8})  # declared ones
    run = lab.start()
    run.join()
    return run.record


@pytest.fixture(scope="module")
def bundle(record):
    return export_run(record.result, record.history)


@pytest.fixture
def no_writes(tmp_path, monkeypatch):
    """Fail any attempt to open a file for writing or make a temporary file; watch the cwd and the temporary
    folder, both this test's own (under ``tmp_path``)."""
    real_open = builtins.open

    def guarded_open(file, mode="r", *args, **kwargs):
        if any(flag in mode for flag in "wax+"):
            raise AssertionError(f"import_run tried to write {file!r}")
        return real_open(file, mode, *args, **kwargs)

    def refuse(*args, **kwargs):
        raise AssertionError("import_run tried to make a temporary file")

    temporary = tmp_path / "temp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)
    for name in ("mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryDirectory", "TemporaryFile"):
        monkeypatch.setattr(tempfile, name, refuse)
    assert tempfile.gettempdir() == str(temporary)
    yield
    assert sorted(tmp_path.rglob("*")) == [temporary]


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def rebuild(data: bytes, fix_manifest: bool = True, **changes) -> bytes:
    """The bundle with members replaced (``**{"config.json": b"..."}``); the manifest's checksums
    updated unless ``fix_manifest`` is False, so that only the check under test can fail."""
    files = members(data)
    files.update(changes)
    if fix_manifest:
        manifest = json.loads(files["manifest.json"])
        manifest["files"] = {name: hashlib.sha256(files[name]).hexdigest() for name in FILES}
        files["manifest.json"] = json.dumps(manifest).encode()
    return zipped(files)


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, value in files.items():
            zf.writestr(name, value)
    return buffer.getvalue()


def test_round_trip(record, bundle, no_writes):
    result = record.result
    run = import_run(bundle)
    assert run.config == result.config
    original = result.model.state_dict()
    assert run.model.state_dict().keys() == original.keys()
    for name, tensor in run.model.state_dict().items():
        assert torch.equal(tensor, original[name].cpu()), name
    # history.csv keeps 9 significant digits (storage.write_run): equal to that precision
    assert len(run.history) == len(record.history) == 3
    for got, want in zip(run.history, record.history, strict=True):
        assert got.epoch == want.epoch and got.lr == want.lr
        for column in ("train_loss", "val_loss", "seconds", "grad_norm"):
            assert getattr(got, column) == pytest.approx(getattr(want, column), rel=5e-9, abs=0)
    assert run.metrics == json.loads(json.dumps(metrics_document(result)))
    assert set(run.metrics["baselines"]) == {"mean", "persistence", "seasonal_naive", "linear"}
    for split in ("train", "val", "test"):
        x = torch.from_numpy(getattr(result.windows, split).x.copy())
        result.model.eval()
        assert torch.equal(run.model(x), result.model(x)), split
    table = run.predictions
    assert list(table["split"].unique()) == ["train", "val", "test"]
    test = table[table["split"] == "test"]
    assert test["model"].to_numpy() == pytest.approx(result.predictions["test"]["model"].to_numpy(), rel=1e-8)
    assert run.traces.keys() == {f"layer0.{n}" for n in ("input", "forget", "candidate", "output", "h", "c")}
    expected = probe_traces(result.model, result.windows)
    trace = result.model.inspect(torch.from_numpy(result.windows.val.x[:1].copy()))
    assert torch.equal(expected["layer0.forget"], trace.gates[0]["forget"])
    for name, tensor in run.traces.items():
        assert tensor.dtype == torch.float32 and tensor.shape == (1, 24, 8)
        assert torch.equal(tensor, expected[name]), name


def test_manifest_lists_every_file_with_its_checksum(bundle):
    files = members(bundle)
    manifest = json.loads(files.pop("manifest.json"))
    assert manifest["format"] == "rnnlab-run" and manifest["version"] == 1
    assert manifest["created_by"] == "RNN Lab"
    assert manifest["files"] == {name: hashlib.sha256(value).hexdigest() for name, value in files.items()}
    assert pd.read_csv(io.BytesIO(files["history.csv"])).columns.tolist() == list(history_frame([]).columns)
    for name, value in files.items():  # no pickle anywhere: tensors in safetensors, the rest text
        if name.endswith(".safetensors"):
            assert load_tensors(value), name
        else:
            value.decode("utf-8")


def test_history_argument_replaces_the_results(record):
    run = import_run(export_run(record.result, record.history[:2]))
    assert [r.epoch for r in run.history] == [1, 2]


def refused(data, *words):
    with pytest.raises(BundleError) as info:
        import_run(data)
    message = str(info.value)
    assert all(word in message for word in words), message
    return message


def test_not_a_zip_and_truncated(bundle, no_writes):
    refused(b"", "empty")
    refused(b"name,value\n1,2\n", "not a zip file")
    refused(bundle[: len(bundle) // 2], "truncated")
    assert issubclass(BundleError, ValueError)


def test_zip_that_is_not_ours(bundle, no_writes):
    files = members(bundle)
    refused(zipped({"notes.txt": b"hello"}), "no manifest.json")
    manifest = json.loads(files["manifest.json"])
    refused(zipped({**files, "manifest.json": json.dumps({**manifest, "format": "other"}).encode()}),
            "not a run exported by RNN Lab", "'other'")
    refused(zipped({**files, "manifest.json": json.dumps({**manifest, "version": 2}).encode()}),
            "bundle version 2")
    del files["metrics.json"]
    refused(zipped(files), "metrics.json")


@pytest.mark.parametrize("name", ["model.pkl", "config.json.pkl", "weights.pt"])
def test_extra_member_such_as_a_pickle_is_refused(bundle, no_writes, name):
    files = members(bundle)
    files[name] = pickle.dumps({"harmless": [1, 2, 3]})
    refused(zipped(files), repr(name), "not part of a run")


@pytest.mark.parametrize("name", ["../evil.json", "/etc/passwd", "sub\\config.json", "C:config.json",
                                  "folder/config.json"])
def test_paths_that_escape_are_refused(bundle, no_writes, name):
    files = members(bundle)
    files[name] = b"{}"
    refused(zipped(files), "unsafe path", repr(name))


def test_too_many_members(no_writes):
    refused(zipped({f"file{k}.json": b"{}" for k in range(21)}), "21 files")


def zeros(sizes_mb: dict[str, int], start: bytes = b"") -> bytes:
    """A zip (appended to ``start``) whose members are ``size`` MB of zeros, written in chunks."""
    buffer = io.BytesIO(start)
    with zipfile.ZipFile(buffer, "a" if start else "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, size in sizes_mb.items():
            with zf.open(name, "w", force_zip64=True) as member:
                for _ in range(size):
                    member.write(bytes(2**20))
    return buffer.getvalue()


def test_zip_bomb_is_refused_before_reading(bundle, no_writes):
    data = zeros({"predictions.csv.bomb": 200}, start=bundle)
    assert len(data) < 2**20  # 200 MB of zeros in well under 1 MB
    refused(data, "predictions.csv.bomb", "200 MB", "limit of 50 MB per file")
    refused(zeros({"a.csv": 40, "b.csv": 40, "c.csv": 40}), "120 MB", "limit of 100 MB")


def test_lying_size_header_reads_no_more_than_it_says(bundle, no_writes):
    """A member whose central-directory size says 100 bytes but holds 60 MB of zeros."""
    files = members(bundle)
    files["predictions.csv"] = bytes(60 * 2**20)
    data = bytearray(rebuild(bundle, **{"predictions.csv": files["predictions.csv"]}))
    name = b"predictions.csv"
    at = data.find(b"PK\x01\x02")  # the central directory entries
    while data[at + 46:at + 46 + len(name)] != name:
        at = data.find(b"PK\x01\x02", at + 4)
    data[at + 24:at + 28] = (100).to_bytes(4, "little")  # uncompressed size
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("predictions.csv").file_size == 100
    tracemalloc.start()
    try:
        refused(bytes(data), "predictions.csv")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 * 2**20


def test_weights_that_do_not_fit_the_config(record, bundle, no_writes):
    cfg = record.result.config
    other = build_model(dataclasses.replace(cfg.model, hidden_size=5), 1, 1, torch.Generator().manual_seed(0))
    weights = save_tensors({k: v.contiguous() for k, v in other.state_dict().items()},
                           metadata={"format": "rnnlab", "input_size": "1", "output_size": "1"})
    refused(rebuild(bundle, **{"model.safetensors": weights}), "does not fit", "hidden_size 8", "size mismatch")
    refused(rebuild(bundle, **{"model.safetensors": b"\x80\x04not safetensors"}), "not a readable safetensors")


def test_config_that_cannot_be_used(bundle, no_writes):
    config = json.loads(members(bundle)["config.json"])
    config["model"]["cell"] = "transformer"
    refused(rebuild(bundle, **{"config.json": json.dumps(config).encode()}), "config.json", "cell", "transformer")
    config["model"]["cell"] = "lstm"
    config["version"] = 99
    refused(rebuild(bundle, **{"config.json": json.dumps(config).encode()}), "version 99")


def test_checksum_mismatch(bundle, no_writes):
    history = members(bundle)["history.csv"].replace(b"\n1,", b"\n7,", 1)
    refused(rebuild(bundle, fix_manifest=False, **{"history.csv": history}), "history.csv", "checksum")


def test_config_from_the_bundle_reproduces_the_run(record, bundle, tmp_path):
    files = members(bundle)
    (tmp_path / "config.json").write_bytes(files["config.json"])
    out = tmp_path / "again"
    done = subprocess.run([sys.executable, "-m", "rnncore", "train", "--config", str(tmp_path / "config.json"),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    columns = ["epoch", "train_loss", "val_loss"]
    again = pd.read_csv(out / "history.csv", dtype=str)[columns]
    exported = pd.read_csv(io.BytesIO(files["history.csv"]), dtype=str)[columns]
    assert len(exported) == 3
    pd.testing.assert_frame_equal(again, exported)  # the same text, so the same bits to 9 digits


# what the reliability audit found: every file of a zip is checked before anything is kept


def with_config(bundle: bytes, change) -> bytes:
    config = json.loads(members(bundle)["config.json"])
    change(config)
    return rebuild(bundle, **{"config.json": json.dumps(config).encode()})


@pytest.mark.parametrize("change, words", [
    (lambda c: c["model"].update(hidden_size=1e308), ("hidden_size",)),
    (lambda c: c["model"].update(hidden_size=12_000), ("hidden_size", "1,024")),
    (lambda c: c["model"].update(num_layers=20_000), ("num_layers", "8")),
    (lambda c: c["train"].update(lr="fast"), ("lr",)),
])
def test_a_config_outside_the_declared_settings_is_refused(bundle, change, words, no_writes):
    refused(with_config(bundle, change), "config.json", *words)


def test_a_config_nested_thousands_deep_is_refused(bundle, no_writes):
    deep = b"[" * 100_000 + b"]" * 100_000
    refused(rebuild(bundle, **{"config.json": deep}), "config.json", "nested too deeply")
    refused(rebuild(bundle, **{"metrics.json": deep}), "metrics.json", "nested too deeply")


def test_an_import_obeys_the_servers_limits(bundle, no_writes):
    from rnncore.training.limits import RunLimits

    refused_with = pytest.raises(BundleError, match="max_parameters=100")
    with refused_with:
        import_run(bundle, RunLimits(max_parameters=100))
    with pytest.raises(BundleError, match="max_epochs=2"):
        import_run(bundle, RunLimits(max_epochs=2))


@pytest.mark.parametrize("metrics, where", [
    ({"val": {}}, "test"),
    ([1, 2], "an object"),
    ({"test": {}, "val": {}}, "test"),
    ({"test": "good", "val": {}}, "test"),
    ("TEST", "baselines"),
    ("RMSE", "test.rmse"),
    ("BASELINE_LIST", "baselines"),
    ("BASELINE_BAD", "baselines.persistence.mae"),
])
def test_metrics_that_are_not_a_runs_metrics_are_refused(bundle, metrics, where, no_writes):
    good = json.loads(members(bundle)["metrics.json"])
    if metrics == "TEST":
        metrics = {**good, "baselines": "none"}
    elif metrics == "RMSE":
        metrics = {**good, "test": {**good["test"], "rmse": "small"}}
    elif metrics == "BASELINE_LIST":
        metrics = {**good, "baselines": [good["baselines"]["persistence"]]}
    elif metrics == "BASELINE_BAD":
        metrics = {**good, "baselines": {"persistence": {**good["baselines"]["persistence"], "mae": [1]}}}
    refused(rebuild(bundle, **{"metrics.json": json.dumps(metrics).encode()}), "metrics.json", where)


def test_a_history_longer_than_a_run_can_be_is_refused_before_it_is_read(bundle, no_writes):
    lines = "\n".join(f"{i},0.5,0.5,0.01,1.0,0.001" for i in range(1, 150_002))
    history = ("epoch,train_loss,val_loss,seconds,grad_norm,lr\n" + lines + "\n").encode()
    refused(rebuild(bundle, **{"history.csv": history}), "history.csv", "150,001 rows", "100,000")
    refused(rebuild(bundle, **{"history.csv": b"epoch,train_loss,val_loss,seconds,grad_norm,lr\n3,x,1,1,1,1\n"}),
            "history.csv", "numbers")


def test_a_refused_import_leaves_the_lab_as_it_was(bundle):
    lab = Lab()
    broken = rebuild(bundle, **{"metrics.json": b'{"test": {}}'})
    with pytest.raises(BundleError):
        lab.import_run(broken)
    assert lab.runs == []
    record = lab.import_run(bundle)
    assert lab.runs == [record] and record.metrics["test"]["rmse"] is not None

"""A text or classification run's zip: written with a manifest and read back as safely as a forecast's
(checksums, declared files only, no pickle, sizes before reading), its model scored again on its data to the same
metrics; a forecast's zip, a changed or foreign zip, and data that is not the run's are refused with a message."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from rnncore.config import ExperimentConfig
from rnncore.errors import BundleError
from rnncore.io.bundle import export_run, import_run
from rnncore.tasks.build import task_data, task_run
from rnncore.tasks.files import rescore, task_zip
from rnncore.training import run_experiment
from rnncore.training.limits import RunLimits

TEXT = "the cat sat on the mat. the dog sat on the log. " * 40


@pytest.fixture(scope="module")
def classifier():
    cfg = ExperimentConfig().replace(data={"task": "classify", "source": "synthetic:waveform",
                                           "params": {"samples": 120}},
                                     model={"cell": "gru", "hidden_size": 6}, train={"epochs": 3, "lr": 0.02})
    data = task_data(cfg)
    return run_experiment(cfg, task=task_run(cfg, data)), data


@pytest.fixture(scope="module")
def text_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("text") / "fable.txt"
    path.write_text(TEXT, encoding="utf-8")
    cfg = ExperimentConfig().replace(data={"task": "charlm", "source": str(path)}, model={"hidden_size": 8},
                                     window={"lookback": 6}, train={"epochs": 2, "batch_size": 64})
    data = task_data(cfg)
    return run_experiment(cfg, task=task_run(cfg, data)), data


def identity(data) -> dict:
    return {"source": "x", "name": "x", "rows": len(data), "sha256": None}


def rewritten(zipped: bytes, change) -> bytes:
    """The zip with ``change(files)`` applied to its {name: bytes}."""
    with zipfile.ZipFile(io.BytesIO(zipped)) as bundle:
        files = {name: bundle.read(name) for name in bundle.namelist()}
    change(files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, content in files.items():
            bundle.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize("which", ["classifier", "text_model"])
def test_a_task_zip_reads_back_and_its_model_scores_the_same_on_its_data(which, request):
    result, data = request.getfixturevalue(which)
    imported = import_run(task_zip(result, identity(data)))
    assert imported.config == result.config and len(imported.history) == len(result.history)
    assert imported.kept_epoch == result.kept_epoch and imported.data["rows"] == len(data)
    again = rescore(imported, data)
    assert again.status == "imported" and again.metrics == result.metrics  # the same weights on the same data
    assert again.baselines == result.baselines


def test_every_tasks_zip_is_one_format_and_reads_back_through_one_door(classifier):
    from rnncore.io.bundle import ImportedRun, ImportedTask
    from rnncore.training.trainer import Trainer

    result, data = classifier
    zipped = task_zip(result, identity(data))
    with zipfile.ZipFile(io.BytesIO(zipped)) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
    assert (manifest["format"], manifest["task"]) == ("rnnlab-run", "classify")
    assert isinstance(import_run(zipped), ImportedTask)
    forecast = export_run(Trainer(ExperimentConfig().replace(model={"hidden_size": 4}, train={"epochs": 1})).run())
    with zipfile.ZipFile(io.BytesIO(forecast)) as bundle:
        assert json.loads(bundle.read("manifest.json"))["task"] == "forecast"
    assert isinstance(import_run(forecast), ImportedRun)


def test_a_zip_written_before_the_manifest_named_every_task_still_reads(classifier):
    result, data = classifier

    def old_task_zip(files):  # the text and labels runs' own format, as it was written
        manifest = json.loads(files["manifest.json"])
        manifest["format"] = "rnnlab-task-run"
        files["manifest.json"] = json.dumps(manifest).encode()

    again = rescore(import_run(rewritten(task_zip(result, identity(data)), old_task_zip)), data)
    assert again.metrics == result.metrics


def bad_manifest_task(files):
    manifest = json.loads(files["manifest.json"])
    manifest["task"] = "poetry"
    files["manifest.json"] = json.dumps(manifest).encode()


@pytest.mark.parametrize(("change", "said"), [
    (lambda f: f.update({"metrics.json": f["metrics.json"] + b" "}), "does not match its checksum"),
    (lambda f: f.update({"evil.pkl": b"\x80\x04K\x01."}), "evil.pkl', which is not part of a run"),
    (lambda f: f.pop("history.csv"), "lacks history.csv"),
    (bad_manifest_task, "a task: forecast, charlm or classify"),
])
def test_a_changed_zip_is_refused_with_what_is_wrong(classifier, change, said):
    result, data = classifier
    with pytest.raises(BundleError, match=said):
        import_run(rewritten(task_zip(result, identity(data)), change))


def test_a_truncated_zip_a_model_over_the_limit_and_other_data_are_refused(text_model, classifier):
    result, data = text_model
    zipped = task_zip(result, identity(data))
    with pytest.raises(BundleError, match="not a zip file"):
        import_run(zipped[: len(zipped) // 2])
    with pytest.raises(BundleError, match="max_parameters"):
        import_run(zipped, RunLimits(max_parameters=10))
    imported = import_run(zipped)
    with pytest.raises(BundleError, match="its characters differ"):
        rescore(imported, "a quite different text, with other letters: xyzzy qwv! " * 30)
    classes, sequences = classifier  # three waveforms; the signs have two classes
    signs = task_data(classes.config.replace(data={"source": "synthetic:sign_memory", "params": {"samples": 60}}))
    with pytest.raises(BundleError, match="not the data the run was trained on .the model reads 1 and gives 3"):
        rescore(import_run(task_zip(classes, identity(sequences))), signs)

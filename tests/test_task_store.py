"""Text and classification runs in the run store: ``train --task charlm|classify --store`` records the
run as a forecast is (epochs, kept weights, results), ``runs`` lists, shows and exports it (the model scored
again on its data, the workspace's copy of a file included), and the forecasting pages leave it alone."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

from rnncore.__main__ import main
from rnncore.config import ExperimentConfig
from rnncore.lab.archive import StoreArchive
from rnncore.store import open_store
from tests.test_slots import wait_until

CLASSIFY = ["train", "--task", "classify", "--data", "synthetic:waveform", "--param", "samples=120", "--cell", "gru",
            "--hidden", "6", "--epochs", "3", "--lr", "0.02"]
TEXT = "the cat sat on the mat. the dog sat on the log. " * 40


@pytest.fixture
def store_url(tmp_path):
    return f"sqlite:///{tmp_path}/runs.sqlite3"


def workspace_of(out: str) -> str:
    return re.search(r"^workspace (\S+) \(new", out, re.M)[1]


def zipped(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        return {name: bundle.read(name) for name in bundle.namelist()}


def test_a_classifier_is_recorded_listed_shown_exported_and_repeated_from_its_config(store_url, tmp_path, capsys):
    assert main([*CLASSIFY, "--store", store_url]) == 0
    key = workspace_of(capsys.readouterr().out)
    (summary,) = open_store(store_url).list_runs(key)
    assert summary.task == "classify" and summary.status == "finished" and summary.epochs == 3 and summary.has_model
    stored = open_store(store_url).get_run(key, 1)
    assert len(stored.history) == 3 and stored.results["task"]["task"] == "classify"
    accuracy = stored.results["metrics"]["test"]["accuracy"]
    assert stored.results["baselines"]["majority"]["test"]["accuracy"] < accuracy

    assert main(["runs", "list", "--store", store_url, "--workspace", key]) == 0
    assert re.match(r"\s*1\s+classify\s+finished\s+3 epochs\s+gru", capsys.readouterr().out)
    assert main(["runs", "show", "1", "--store", store_url, "--workspace", key]) == 0
    assert f"accuracy {accuracy:.6g}" in capsys.readouterr().out

    out = tmp_path / "run1.zip"
    assert main(["runs", "export", "1", "--out", str(out), "--store", store_url, "--workspace", key]) == 0
    files = zipped(out.read_bytes())
    assert {"config.json", "model.safetensors", "history.csv", "metrics.json"} <= set(files)
    exported = json.loads(files["metrics.json"])
    assert exported["test"]["accuracy"] == pytest.approx(accuracy)  # the stored weights, scored again
    config = tmp_path / "config.json"
    config.write_bytes(files["config.json"])
    assert ExperimentConfig.from_json(files["config.json"]).data.task == "classify"
    assert main(["train", "--config", str(config), "--out", str(tmp_path / "again")]) == 0  # --config says the task
    again = json.loads((tmp_path / "again" / "metrics.json").read_text(encoding="utf-8"))
    assert again["test"]["accuracy"] == pytest.approx(accuracy)  # seeded: the same run


def test_a_text_file_is_kept_in_the_workspace_so_its_run_exports_after_the_file_is_gone(store_url, tmp_path, capsys):
    path = tmp_path / "fable.txt"
    path.write_text(TEXT, encoding="utf-8")
    assert main(["train", "--task", "charlm", "--data", str(path), "--cell", "lstm", "--hidden", "8", "--lookback", "6",
                 "--epochs", "2", "--batch-size", "64", "--store", store_url]) == 0
    key = workspace_of(capsys.readouterr().out)
    stored = open_store(store_url).get_run(key, 1)
    assert stored.task == "charlm" and stored.data["rows"] == len(TEXT) and stored.data["sha256"]
    bits = stored.results["metrics"]["test"]["bits_per_char"]
    assert set(stored.results["baselines"]) == {"unigram", "bigram"}
    path.unlink()
    out = tmp_path / "text.zip"
    assert main(["runs", "export", "1", "--out", str(out), "--store", store_url, "--workspace", key]) == 0
    files = zipped(out.read_bytes())
    assert json.loads(files["metrics.json"])["test"]["bits_per_char"] == pytest.approx(bits)
    assert "vocabulary.json" in files


def test_the_archive_reads_back_a_labels_run_beside_a_forecast_and_scores_it_again(store_url, capsys):
    assert main([*CLASSIFY, "--epochs", "1", "--store", store_url]) == 0
    key = workspace_of(capsys.readouterr().out)
    assert main(["train", "--data", "sample:airline_passengers", "--cell", "gru", "--hidden", "4", "--lookback", "12",
                 "--epochs", "1", "--store", store_url, "--workspace", key]) == 0
    archive = StoreArchive(open_store(store_url), key)
    labels, series = archive.records()
    assert [(labels.id, labels.config.data.task), (series.id, series.config.data.task)] == [(1, "classify"),
                                                                                            (2, "forecast")]
    from rnncore.lab import Lab

    result = Lab(archive=archive).result_of(labels)  # its data generated again, its stored weights scored
    assert result.task == "classify"
    assert result.metrics["test"]["accuracy"] == pytest.approx(labels.metrics["test"]["accuracy"])


def test_a_task_run_that_raises_is_stored_as_failed_with_its_epochs(store_url, monkeypatch, capsys):
    from rnncore.tasks.classify import ClassRun

    def broken(self, **ended):
        raise RuntimeError("a bug in scoring")

    monkeypatch.setattr(ClassRun, "result", broken)
    assert main([*CLASSIFY, "--epochs", "2", "--store", store_url]) == 1
    said = capsys.readouterr()
    assert "a bug in scoring" in said.err and "Traceback" not in said.err
    stored = open_store(store_url).get_run(workspace_of(said.out), 1)
    assert stored.status == "failed" and len(stored.history) == 2 and "a bug in scoring" in stored.message


def test_the_trainer_trains_every_task_with_pause_step_and_stop():
    """One run for every task: a text model in the Trainer's thread pauses after an epoch, steps one more, resumes
    and stops within its epoch, and its result is the task's, scored with the weights it kept."""
    from rnncore.data.text import Text
    from rnncore.tasks.build import task_run
    from rnncore.training.progress import Status
    from rnncore.training.trainer import Trainer

    cfg = ExperimentConfig().replace(data={"task": "charlm", "source": "fable.txt"}, window={"lookback": 6},
                                     model={"cell": "gru", "hidden_size": 6}, train={"epochs": 10_000, "batch_size": 8})
    trainer = Trainer(cfg, task=task_run(cfg, Text(TEXT, "fable")))
    trainer.step()  # from idle: one epoch, then paused

    def paused() -> bool:
        return trainer.snapshot().status == Status.PAUSED

    assert wait_until(paused, timeout=60) and len(trainer.snapshot().history) == 1
    trainer.step()  # (it reads "running" from the moment step() returns)
    assert wait_until(paused, timeout=60) and len(trainer.snapshot().history) == 2
    trainer.resume()
    trainer.stop()
    assert trainer.join(timeout=60)
    final = trainer.snapshot()
    assert final.status == Status.STOPPED and final.kept_epoch is not None
    result = trainer.result()
    assert result.task == "charlm" and set(result.baselines) == {"unigram", "bigram"}
    assert result.metrics["test"]["bits_per_char"] > 0

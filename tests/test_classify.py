"""Sequence classification (rnncore.tasks.classify): a GRU beats the majority class on a generated
set, the scores are scikit-learn's, class weights, and ``train --task classify`` writing the metrics
DESIGN.md names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from rnncore.config import ExperimentConfig
from rnncore.data.labelled import generate_labelled, load_labelled
from rnncore.tasks.build import task_run
from rnncore.tasks.classify import WeightedCrossEntropy, class_weights, scores
from rnncore.training import run_experiment

ROOT = Path(__file__).resolve().parents[1]


def test_scores_count_every_class_and_put_the_true_class_in_rows():
    got = scores(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 2, 0]), 4)  # class 3 is never seen
    assert got["accuracy"] == pytest.approx(4 / 6)
    assert got["confusion_matrix"] == [[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 2, 0], [0, 0, 0, 0]]
    f1 = [0.5, 2 / 3, 0.8, 0.0]  # per class: 2PR/(P+R); an absent class scores 0
    assert got["macro_f1"] == pytest.approx(sum(f1) / 4)


def test_balanced_class_weights_make_a_rare_class_count_as_much_as_a_common_one():
    labels = np.array([0] * 30 + [1] * 10)
    weights = class_weights(labels, 2, "balanced")
    assert weights.tolist() == pytest.approx([40 / (2 * 30), 40 / (2 * 10)])
    assert class_weights(labels, 2, "none") is None
    logits, target = torch.zeros(4, 2), torch.tensor([0, 0, 0, 1])
    logits[:, 0] = 1.0  # always leaning to class 0: the rare class's error weighs three times as much
    plain = WeightedCrossEntropy(None)(logits, target)
    weighted = WeightedCrossEntropy(np.array([1.0, 3.0]))(logits, target)
    assert weighted > plain


def test_a_gru_beats_the_majority_class_on_the_generated_waveforms():
    data = generate_labelled("waveform", seed=0, samples=600, steps=40)
    cfg = ExperimentConfig().replace(data={"task": "classify"}, model={"cell": "gru", "hidden_size": 16},
                                     train={"epochs": 10, "batch_size": 32, "lr": 0.01, "seed": 0})
    result = run_experiment(cfg, task=task_run(cfg, data))
    test, majority = result.metrics["test"], result.baselines["majority"]["test"]
    assert result.status == "finished" and len(result.history) == 10
    assert test["accuracy"] > 0.8 > majority["accuracy"] + 0.3, (test, majority)
    assert test["macro_f1"] > majority["macro_f1"] + 0.4
    matrix = np.array(test["confusion_matrix"])
    assert matrix.sum() == len(result.parts.test) and np.trace(matrix) == round(test["accuracy"] * matrix.sum())
    wrong = result.misclassified("test")
    assert len(wrong) == matrix.sum() - np.trace(matrix) and all(t != p for _, t, p in wrong)
    again = run_experiment(cfg, task=task_run(cfg, data))  # seeded: the same run again
    assert again.metrics == result.metrics


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rnncore", "train", "--task", "classify", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


def test_train_task_classify_writes_accuracy_and_macro_f1_next_to_the_majority_class(tmp_path):
    out = tmp_path / "run"
    done = run_cli("--data", "sample:italy_power_demand", "--cell", "gru", "--hidden", "8", "--epochs", "2",
                   "--lr", "0.01", "--class-weights", "balanced", "--out", str(out))
    assert done.returncode == 0, done.stderr
    doc = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert doc["task"] == "classify" and {"accuracy", "macro_f1", "confusion_matrix"} <= set(doc["test"])
    assert set(doc["baselines"]) == {"majority"} and doc["classes"] == ["apr_to_sep", "oct_to_mar"]
    assert doc["data"]["label"] == "season" and doc["sequences"]["steps"] == 24
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["data"]["class_weights"] == "balanced"
    assert (out / "model.safetensors").is_file() and "baseline majority" in done.stdout


def test_train_task_classify_takes_a_label_column_and_refuses_bad_input_in_one_line(tmp_path):
    table = tmp_path / "sequences.csv"
    rows = [f"s{s},{t},{np.sin(t / 3 + s)},{'lo' if s % 2 else 'hi'}" for s in range(30) for t in range(6)]
    table.write_text("case_id,step,reading,outcome\n" + "\n".join(rows) + "\n", encoding="utf-8")
    done = run_cli("--data", str(table), "--label", "outcome", "--hidden", "4", "--epochs", "1",
                   "--out", str(tmp_path / "run"))
    assert done.returncode == 0, done.stderr
    doc = json.loads((tmp_path / "run" / "metrics.json").read_text(encoding="utf-8"))
    assert doc["data"]["layout"] == "long" and doc["classes"] == ["hi", "lo"]
    refused = run_cli("--data", str(table), "--label", "result", "--out", str(tmp_path / "no"))
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "no label column 'result'" in refused.stderr
    assert "Traceback" not in refused.stderr and not (tmp_path / "no").exists()


def test_the_bundled_real_set_is_learnt_well_above_the_majority_class():
    data = load_labelled("sample:italy_power_demand")
    cfg = ExperimentConfig().replace(data={"task": "classify"}, model={"cell": "lstm", "hidden_size": 16},
                                     train={"epochs": 4, "batch_size": 32, "lr": 0.01, "seed": 0})
    result = run_experiment(cfg, task=task_run(cfg, data))
    assert result.metrics["test"]["accuracy"] > 0.85
    assert result.baselines["majority"]["test"]["accuracy"] < 0.6


def test_the_confusion_figure_shows_counts_and_shares_of_each_true_class():
    from rnncore.viz.class_plots import confusion_figure, misclassified_figure

    fig = confusion_figure([[8, 2], [1, 9]], ["cat", "dog"], labels={"title": "Matrix"})
    heat = fig.data[0]
    assert list(heat.x) == ["cat", "dog"] and list(heat.y) == ["cat", "dog"]
    assert heat.text[0][1] == "2<br>20%" and heat.z[1][1] == pytest.approx(0.9)  # each row's share
    assert fig.layout.title.text == "Matrix" and fig.layout.yaxis.autorange == "reversed"
    with pytest.raises(ValueError, match="must be 3 x 3"):
        confusion_figure([[1, 2], [3, 4]], ["a", "b", "c"])
    x = np.arange(30, dtype=np.float32).reshape(3, 10, 1)
    fig = misclassified_figure(x, [(2, "cat", "dog")])
    assert fig.layout.annotations[0].text == "#2: cat → dog" and list(fig.data[0].y) == list(range(20, 30))
    nine = misclassified_figure(np.zeros((12, 5)), [(i, "a", "b") for i in range(9)])
    assert len(nine.data) == 8 and nine.layout.annotations[7].text == "#7: a → b"  # the first eight, two a row
    empty = misclassified_figure(x, [])
    assert not empty.data and "no test sequence" in empty.layout.annotations[0].text


def test_a_runs_files_zip_holds_its_model_settings_history_and_metrics(tmp_path):
    import io
    import zipfile

    from rnncore.io.model_files import load_model
    from rnncore.tasks.files import task_zip

    data = generate_labelled("waveform", seed=0, samples=90, steps=12)
    cfg = ExperimentConfig().replace(data={"task": "classify", "source": "synthetic:waveform"},
                                     model={"cell": "gru", "hidden_size": 4}, train={"epochs": 1})
    result = run_experiment(cfg, task=task_run(cfg, data))
    bundle = zipfile.ZipFile(io.BytesIO(task_zip(result, {"source": "synthetic:waveform", "name": "waveform"})))
    assert sorted(bundle.namelist()) == ["config.json", "history.csv", "manifest.json", "metrics.json",
                                         "model.safetensors"]
    doc = json.loads(bundle.read("metrics.json"))
    assert doc["task"] == "classify" and doc["data"]["source"] == "synthetic:waveform"
    assert json.loads(bundle.read("config.json"))["data"]["source"] == "synthetic:waveform"
    bundle.extractall(tmp_path)
    model, config = load_model(tmp_path)  # the weights read back (safetensors, never pickle)
    assert config.model.cell == "gru" and sum(p.numel() for p in model.parameters()) == result.model.num_parameters()

"""Sweeps on the text and classification tasks: a classification study maximises the validation
accuracy (a language model's minimises the validation bits per character), its pruner watches that metric after
each epoch, each trial can be recorded as a run of its task, and a plan its data cannot train is refused first."""

from __future__ import annotations

import re

import optuna
import pytest

from rnncore.__main__ import main
from rnncore.config import ExperimentConfig
from rnncore.errors import SweepError
from rnncore.store import open_store
from rnncore.sweeps import SearchSpace, Sweep

WAVEFORM = ExperimentConfig().replace(
    data={"task": "classify", "source": "synthetic:waveform", "params": {"samples": 120}},
    model={"cell": "gru", "hidden_size": 4}, train={"epochs": 3, "lr": 0.02})


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path}/sweeps.sqlite3"


def test_a_classification_sweep_maximises_validation_accuracy_and_records_each_trial(url, capsys):
    code = main(["sweep", "--task", "classify", "--data", "synthetic:waveform", "--param", "samples=120", "--cell",
                 "gru", "--epochs", "3", "--lr", "0.02", "--trials", "3", "--search", "hidden_size=2:12",
                 "--pruner", "none", "--storage", url, "--study", "classes", "--workspace", "new"])
    out = capsys.readouterr().out
    assert code == 0, out
    study = optuna.load_study(study_name="classes", storage=url)
    assert study.direction == optuna.study.StudyDirection.MAXIMIZE
    trials = [line for line in out.splitlines() if line.startswith("trial ")]
    assert len(trials) == 3 and all(re.match(r"trial +\d+ +complete +accuracy +[0-9.]+ +3 epochs", t) for t in trials)
    values = [t.value for t in study.trials]
    assert all(0 <= v <= 1 for v in values)
    best = max(study.trials, key=lambda t: (t.value, -t.number))
    assert f"best: trial {best.number}, accuracy {best.value:.6g}" in out

    key = re.search(r"^workspace (\S+) \(new", out, re.M)[1]
    store = open_store(url)
    runs = store.list_runs(key)
    assert [r.task for r in runs] == ["classify"] * 3 and all(r.status == "finished" and r.has_model for r in runs)
    for trial in study.trials:  # each trial's value is its run's validation accuracy
        stored = store.get_run(key, trial.user_attrs["run"])
        assert stored.results["metrics"]["val"]["accuracy"] == pytest.approx(trial.value)


def test_best_follows_the_studys_direction(url):
    with Sweep.create(WAVEFORM, SearchSpace({"hidden_size": (2, 8)}), trials=3, pruner="none", storage=url) as sweep:
        assert sweep.objective == ("accuracy", "maximize")
        done = sweep.run()
        assert [o.metric for o in done] == ["accuracy"] * 3
        assert sweep.best().value == max(o.value for o in done if o.state == "complete")
        assert sweep.best().row()["accuracy"] == sweep.best().value


def test_a_language_model_sweep_minimises_bits_per_character_and_the_pruner_sees_them(url, tmp_path):
    path = tmp_path / "fable.txt"
    path.write_text("the cat sat on the mat. the dog sat on the log. " * 60, encoding="utf-8")
    base = ExperimentConfig().replace(data={"task": "charlm", "source": str(path)},
                                      model={"cell": "gru", "hidden_size": 8}, window={"lookback": 4},
                                      train={"epochs": 2, "batch_size": 64})
    with Sweep.create(base, SearchSpace({"lr": (0.001, 0.01)}), trials=2, pruner="none", storage=url) as sweep:
        assert sweep.objective == ("bits_per_char", "minimize")
        done = sweep.run()
        study = sweep.study
    assert study.direction == optuna.study.StudyDirection.MINIMIZE
    for outcome, trial in zip(done, study.trials, strict=True):
        assert outcome.state == "complete" and 0 < outcome.value < 8  # bits per character of English letters
        assert sorted(trial.intermediate_values) == [1, 2]  # the pruner's view: one value per epoch, in bits
        assert all(0 < v < 8 for v in trial.intermediate_values.values())


def test_a_task_plan_is_checked_before_any_study_is_made(url):
    from rnncore.sweeps import SweepStorage

    no_val = WAVEFORM.replace(window={"val_fraction": 0.0})
    with pytest.raises(SweepError, match="validation"):
        Sweep.create(no_val, SearchSpace({"hidden_size": (2, 8)}), trials=2, storage=url, study="none")
    from rnncore.training.limits import RunLimits

    with pytest.raises(SweepError, match="parameters"):
        Sweep.create(WAVEFORM, SearchSpace({"hidden_size": (2, 512)}), trials=2, storage=url, study="big",
                     limits=RunLimits(max_parameters=10_000))
    storage = SweepStorage(url)
    assert "none" not in storage.studies() and "big" not in storage.studies()
    storage.close()


def test_every_trial_of_a_sweep_on_a_text_file_records_the_file_so_its_runs_reopen_without_it(url, tmp_path, capsys):
    path = tmp_path / "fable.txt"
    path.write_text("the cat sat on the mat. the dog sat on the log. " * 60, encoding="utf-8")
    code = main(["sweep", "--task", "charlm", "--data", str(path), "--hidden", "8", "--lookback", "4", "--epochs", "1",
                 "--batch-size", "64", "--trials", "2", "--search", "lr=0.001:0.01", "--pruner", "none",
                 "--storage", url, "--workspace", "new"])
    out = capsys.readouterr().out
    assert code == 0, out
    key = re.search(r"^workspace (\S+) \(new", out, re.M)[1]
    store = open_store(url)
    stored = [store.get_run(key, s.number) for s in store.list_runs(key)]
    shas = {run.data["sha256"] for run in stored}
    assert len(stored) == 2 and len(shas) == 1 and None not in shas  # the second trial's run names the file too
    path.unlink()
    assert main(["runs", "export", "2", "--out", str(tmp_path / "two.zip"), "--store", url, "--workspace", key]) == 0

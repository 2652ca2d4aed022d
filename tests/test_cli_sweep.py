"""The command line's sweep: a line per trial and the best at the end; --join trains a study's trials until
its budget is spent (recorded as runs with --workspace); bad input exits 2 with one line on stderr."""

from __future__ import annotations

import re

import optuna
import pytest

from rnncore.__main__ import main
from rnncore.config import ExperimentConfig
from rnncore.store import open_store
from rnncore.sweeps import SearchSpace, Sweep

TINY = ["--data", "sample:airline_passengers", "--cell", "gru", "--hidden", "4", "--lookback", "12", "--epochs", "3",
        "--batch-size", "16"]


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path}/sweeps.sqlite3"


def test_a_sweep_prints_a_line_per_trial_and_the_best(url, capsys):
    code = main(["sweep", *TINY, "--trials", "3", "--search", "hidden_size=4:8,lr=0.001:0.1", "--pruner", "none",
                 "--storage", url, "--study", "cli"])
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("sweep cli in sqlite:///")
    assert "hidden_size 4 to 8 (log), lr 0.001 to 0.1 (log)" in lines[0]
    assert "3 trials of up to 3 epochs, pruner none, seed 0" in lines[0]
    assert "--join --study cli --storage sqlite:///" in lines[1]
    trials = [line for line in lines if line.startswith("trial ")]
    assert len(trials) == 3
    assert all(re.match(r"trial +\d+ +complete +val_loss +[0-9.e-]+ +3 epochs +hidden_size=\d lr=[0-9.e-]+$", t)
               for t in trials), trials
    assert "3 trial(s) here, 9 epochs; the study has 3 of 3 trials (3 complete, 0 pruned, 0 failed)" in out
    best = optuna.load_study(study_name="cli", storage=url).best_trial
    assert lines[-1].startswith(f"best: trial {best.number}, val_loss {best.value:.6g}, 3 epochs: hidden_size=")


def test_join_trains_the_studys_trials_until_its_budget_is_spent_and_records_them_as_runs(url, capsys):
    base = ExperimentConfig().replace(model={"cell": "gru", "hidden_size": 4}, window={"lookback": 12},
                                      train={"epochs": 3, "batch_size": 16})
    Sweep.create(base, SearchSpace({"hidden_size": (4, 8), "lr": None}), trials=2, storage=url, study="j").close()
    assert main(["sweep", "--join", "--study", "j", "--storage", url, "--workspace", "new"]) == 0
    out = capsys.readouterr().out
    key = re.search(r"^workspace (\S+) \(new", out, re.M)[1]
    assert "sweep j in" in out and "(worker 1)" in out
    assert len([line for line in out.splitlines() if line.startswith("trial ")]) == 2
    runs = open_store(url).list_runs(key)
    trials = optuna.load_study(study_name="j", storage=url).trials
    assert sorted(r.number for r in runs) == sorted(t.user_attrs["run"] for t in trials)
    assert main(["sweep", "--join", "--study", "j", "--storage", url]) == 0  # nothing left: says so, trains nothing
    out = capsys.readouterr().out
    assert "0 trial(s) here, 0 epochs; the study has 2 of 2 trials" in out and "best: trial" in out


@pytest.mark.parametrize("args, said", [
    (["--trials", "0"], "a sweep needs a budget of at least one trial (0 given)"),
    (["--trials", "2", "--search", "hidden_size=8:8"], "the search range of hidden_size is empty (8 to 8)"),
    (["--trials", "2", "--search", "lr=0.1:0.01"], "the search range of lr runs backwards (0.1 to 0.01)"),
    (["--trials", "2", "--search", "epochs=1:5"], "'epochs' cannot be searched"),
    (["--trials", "2", "--seconds", "-5"], "time budget must be 0 (none) or a positive number of seconds"),
    (["--trials", "2", "--storage", "postgresql+psycopg://nobody@127.0.0.1:9/x"],
     "the sweep's storage postgresql+psycopg://nobody@127.0.0.1:9/x cannot be reached"),
    (["--trials", "2", "--pruner", "sometimes"], "argument --pruner: invalid choice"),
    ([], "give --trials N"),
])
def test_bad_input_exits_2_with_one_line_before_anything_is_stored(url, tmp_path, capsys, args, said):
    given = ["--storage", url] if "--storage" not in args else []
    assert main(["sweep", *TINY, *given, *args]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and captured.err.startswith("rnncore: error: "), captured.err
    assert said in captured.err, captured.err
    assert not (tmp_path / "sweeps.sqlite3").exists()


def test_join_takes_the_studys_own_settings_and_a_study_that_exists(url, capsys):
    assert main(["sweep", "--join", "--storage", url]) == 2
    assert "--join needs the study's name" in capsys.readouterr().err
    assert main(["sweep", "--join", "--study", "nope", "--storage", url, "--trials", "3", "--hidden", "8"]) == 2
    assert "leave out --hidden, --trials" in capsys.readouterr().err
    assert main(["sweep", "--join", "--study", "nope", "--storage", url]) == 2
    assert "there is no study nope in sqlite:///" in capsys.readouterr().err


SERVER = {"RNNLAB_MAX_EPOCHS": "1000", "RNNLAB_MAX_LOOKBACK": "1000", "RNNLAB_MAX_PARAMETERS": "500000",
          "RNNLAB_MAX_SECONDS": "600"}  # rnnlab.toml's limits, whatever the machine's environment says


@pytest.mark.parametrize("args, said", [
    (["--epochs", "5000"], "epochs is 5000, above this server's limit max_epochs=1000; choose at most 1000"),
    (["--lookback", "5000"], "lookback is 5000, above this server's limit max_lookback=1000; choose at most 1000"),
    (["--max-seconds", "5000"], "max_seconds is 5000, above this server's limit max_seconds=600; choose at most 600"),
    (["--cell", "gru", "--hidden", "1024", "--layers", "2", "--search", "lr"],
     "the largest model of the search space (gru, hidden_size 1024, num_layers 2) has 9,453,569 parameters, above "
     "this server's limit max_parameters=500000"),
])
def test_a_sweep_recorded_in_a_workspace_obeys_every_limit_of_the_server(url, tmp_path, monkeypatch, capsys, args,
                                                                        said):
    for name, value in SERVER.items():
        monkeypatch.setenv(name, value)
    assert main(["sweep", *TINY, "--trials", "1", "--storage", url, "--workspace", "new", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and said in err, err
    assert not (tmp_path / "sweeps.sqlite3").exists()


def test_max_seconds_0_in_a_task_sweep_is_stopped_by_the_servers_limit(url, monkeypatch, capsys):
    monkeypatch.setenv("RNNLAB_MAX_SECONDS", "1")
    assert main(["sweep", "--task", "classify", "--data", "synthetic:waveform", "--param", "samples=120", "--cell",
                 "gru", "--hidden", "4", "--epochs", "1000", "--patience", "0", "--max-seconds", "0", "--trials", "1",
                 "--search", "lr", "--pruner", "none", "--storage", url, "--workspace", "new"]) == 0
    out = capsys.readouterr().out
    key = re.search(r"^workspace (\S+) \(new", out, re.M)[1]
    (run,) = open_store(url).list_runs(key)
    assert run.reason.startswith("time_limit") and run.epochs < 1000, (run.reason, run.epochs, out)
    assert run.config["train"]["max_seconds"] == 0

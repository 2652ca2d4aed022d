"""The command line and the run store: train --store records a run under every limit of the server, runs
list|show|export|delete read it back (a run that trains is not deleted), and a bad store or key exits 2 with
one line."""

from __future__ import annotations

import json
import re
import time

import pytest

from rnncore.__main__ import main
from rnncore.config import ExperimentConfig
from rnncore.io.bundle import import_run
from rnncore.store import open_store
from tests.test_cli import TINY, cli


@pytest.fixture
def store_url(tmp_path):
    return f"sqlite:///{tmp_path}/runs.sqlite3"


def recorded(store_url: str, *extra: str) -> str:
    """Train a tiny run into the store; the workspace key the command printed."""
    done = cli("train", "--data", "sample:airline_passengers", *TINY, "--store", store_url, *extra)
    assert done.returncode == 0, done.stderr
    found = re.search(r"^workspace (\S+) \(new", done.stdout, re.M)
    return found[1] if found else extra[extra.index("--workspace") + 1]


def test_train_records_the_run_and_runs_reads_it_back(store_url, tmp_path, capsys):
    key = recorded(store_url)
    recorded(store_url, "--workspace", key, "--cell", "lstm")
    assert main(["runs", "list", "--store", store_url, "--workspace", key]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and "finished" in lines[0] and "gru" in lines[0] and "lstm" in lines[1]
    assert re.match(r"\s*1\s+forecast\s+finished\s+2 epochs\s+gru\s+best val_loss [0-9.]+", lines[0]), lines[0]

    assert main(["runs", "list", "--json", "--store", store_url, "--workspace", key]) == 0
    objects = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [o["id"] for o in objects] == [1, 2]
    assert all(o["status"] == "finished" and o["epochs"] == 2 for o in objects)
    assert objects[0]["config"]["model"]["cell"] == "gru" and objects[1]["config"]["model"]["cell"] == "lstm"

    assert main(["runs", "show", "1", "--json", "--store", store_url, "--workspace", key]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert len(shown["history"]) == 2 and shown["results"]["metrics"]["test"]["rmse"] > 0

    out = tmp_path / "run1.zip"
    assert main(["runs", "export", "1", "--out", str(out), "--store", store_url, "--workspace", key]) == 0
    bundle = import_run(out.read_bytes())  # the same zip the app downloads, and imports
    assert bundle.config.model.cell == "gru" and len(bundle.history) == 2

    assert main(["runs", "delete", "1", "--store", store_url, "--workspace", key]) == 0
    assert [r.number for r in open_store(store_url).list_runs(key)] == [2]


def test_a_run_on_a_file_keeps_the_file_so_it_can_be_exported(store_url, tmp_path):
    csv = tmp_path / "mine.csv"
    csv.write_text("t,v\n" + "".join(f"{i},{(i * 5) % 11}\n" for i in range(120)))
    done = cli("train", "--data", str(csv), *TINY, "--store", store_url)
    assert done.returncode == 0, done.stderr
    key = re.search(r"^workspace (\S+)", done.stdout, re.M)[1]
    csv.unlink()  # the file is gone from the disk; the store kept it
    out = tmp_path / "r.zip"
    assert main(["runs", "export", "1", "--out", str(out), "--store", store_url, "--workspace", key]) == 0
    assert import_run(out.read_bytes()).data["rows"] == 120


@pytest.mark.parametrize(("args", "says"), [
    (["runs", "list", "--workspace", "not-a-key"], "is not a workspace key"),
    (["runs", "list", "--workspace", "A" * 40], "there is no workspace with the key"),
    (["runs", "list", "--store", "postgresql+psycopg://nobody@127.0.0.1:9/none", "--workspace", "A" * 40],
     "cannot be reached"),
    (["runs", "list", "--store", "mysql://x@localhost/db", "--workspace", "A" * 40], "cannot be used"),
    (["runs", "show", "--workspace", "A" * 40], "needs the run's number"),
    (["train", "--data", "sample:airline_passengers"], "give --out DIR"),
])
def test_bad_store_input_exits_2_with_one_line(args, says, store_url, capsys):
    if "--store" not in args and args[0] == "runs":
        args = [*args, "--store", store_url]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and len(err.splitlines()) == 1, err


def test_a_corrupt_store_file_is_refused_and_left_as_it_was(tmp_path, capsys):
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"definitely not sqlite " * 50)
    assert main(["runs", "list", "--store", f"sqlite:///{broken}", "--workspace", "A" * 40]) == 2
    err = capsys.readouterr().err
    assert "is not a database RNN Lab can read" in err and len(err.strip().splitlines()) == 1
    assert broken.read_bytes() == b"definitely not sqlite " * 50


def test_runs_delete_refuses_a_run_that_trains_until_it_stops(store_url, monkeypatch, capsys):
    monkeypatch.setenv("RNNLAB_STORE_HEARTBEAT_SECONDS", "0.2")  # the command's store: stale after 0.6 s
    store = open_store(store_url)
    key = store.create_workspace()
    (number,) = store.new_runs(key, [(ExperimentConfig(), {"name": "airline_passengers"}, 100)], owner="a tab")
    assert main(["runs", "delete", str(number), "--store", store_url, "--workspace", key]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"rnncore: error: run {number} is training (in a browser tab, or a train or sweep command); stop "
                   "it there first (Stop on its Train page, or Ctrl+C), then delete it"), err
    assert [r.status for r in store.list_runs(key)] == ["running"]
    deadline = time.monotonic() + 30
    while store.list_runs(key)[0].status == "running":  # the tab was closed: its beats stop
        assert time.monotonic() < deadline, "the run never read as interrupted"
        time.sleep(0.05)
    assert main(["runs", "delete", str(number), "--store", store_url, "--workspace", key]) == 0
    assert store.list_runs(key) == []
    store.close()


SERVER = {"RNNLAB_MAX_EPOCHS": "1000", "RNNLAB_MAX_LOOKBACK": "1000", "RNNLAB_MAX_PARAMETERS": "500000",
          "RNNLAB_MAX_SECONDS": "600"}  # rnnlab.toml's limits, whatever the machine's environment says


@pytest.mark.parametrize(("args", "says"), [
    (["--epochs", "5000"], "epochs is 5000, above this server's limit max_epochs=1000; choose at most 1000"),
    (["--lookback", "5000"], "lookback is 5000, above this server's limit max_lookback=1000; choose at most 1000"),
    (["--max-seconds", "5000"], "max_seconds is 5000, above this server's limit max_seconds=600; choose at most 600"),
    (["--cell", "gru", "--hidden", "1024", "--layers", "2", "--max-parameters", "0"],
     "the model's parameter count is 9.45357e+06, above this server's limit max_parameters=500000"),
    (["--cell", "gru", "--hidden", "1024", "--layers", "2", "--max-parameters", "20000000"],
     "the model's parameter count is 9.45357e+06, above this server's limit max_parameters=500000"),
])
def test_a_run_recorded_in_a_store_obeys_every_limit_of_the_server(args, says, tmp_path, monkeypatch, capsys):
    for name, value in SERVER.items():
        monkeypatch.setenv(name, value)
    url = f"sqlite:///{tmp_path}/runs.sqlite3"
    assert main(["train", "--data", "sample:airline_passengers", *TINY, *args, "--store", url]) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "runs.sqlite3").exists()  # refused before the store was opened: nothing stored


def test_max_seconds_0_asks_for_no_limit_of_its_own_and_the_servers_limit_stops_the_run(store_url, monkeypatch,
                                                                                       capsys):
    monkeypatch.setenv("RNNLAB_MAX_SECONDS", "1")
    # 1000 epochs of batch 4 without early stopping take far longer than one second on any machine
    assert main(["train", "--data", "sample:airline_passengers", *TINY, "--epochs", "1000", "--batch-size", "4",
                 "--patience", "0", "--max-seconds", "0", "--store", store_url]) == 0
    key = re.search(r"^workspace (\S+) \(new", capsys.readouterr().out, re.M)[1]
    (run,) = open_store(store_url).list_runs(key)
    assert run.reason.startswith("time_limit") and run.epochs < 1000, (run.reason, run.epochs)
    assert run.config["train"]["max_seconds"] == 0

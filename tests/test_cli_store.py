"""The command line and the run store: train --store records a run, runs list|show|export|delete read it
back, and a bad store or key exits 2 with one line."""

from __future__ import annotations

import json
import re

import pytest

from rnncore.__main__ import main
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

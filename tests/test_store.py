"""The run store (rnncore.store): what it keeps, gives back, refuses and never changes, on SQLite and on
PostgreSQL (a throwaway server, tests/postgres.py; each test gets its own database or file)."""

from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3
import subprocess
import time
from types import SimpleNamespace

import numpy as np
import pytest
import sqlalchemy
import torch
from safetensors.torch import load
from sqlalchemy import create_engine, func, inspect, select, text

from rnncore.config import ExperimentConfig
from rnncore.errors import StoreError
from rnncore.io.model_files import model_bytes, model_copy, model_from_bytes
from rnncore.nn.models import build_model
from rnncore.store import RunRecorder, StoreSettings, Usage, key_id, open_store, schema
from rnncore.store.runstore import MB
from rnncore.training.lineage import NOT_KNOWN
from rnncore.training.progress import EpochRecord
from tests import postgres
from tests.postgres import free_port

CFG = ExperimentConfig().replace(model={"hidden_size": 8}, train={"epochs": 3})
DATA = {"name": "airline", "rows": 144, "sha256": None}


# fixtures and helpers ---------------------------------------------------------------------------
def record(epoch: int, val: float | None = 0.5, **more) -> EpochRecord:
    values = {"train_loss": 1.0 / epoch + 0.125, "val_loss": val, "seconds": 0.01 * epoch, "grad_norm": 2.0 / epoch,
              "layer_grad_norms": {"rnn.l0": 0.5 / epoch, "head": 0.25}, "lr": 1e-3, **more}
    return EpochRecord(epoch=epoch, **values)


def a_model(seed: int = 0, hidden: int = 8):
    cfg = CFG.replace(model={"hidden_size": hidden})
    return build_model(cfg.model, 1, 1, torch.Generator().manual_seed(seed)), cfg


def started(n: int = 1, cfg=CFG):
    return [(cfg, DATA, 1000 + i) for i in range(n)]


def finish(store, key, number, weights=None, history=(), **more):
    ended = {"status": "finished", "reason": "finished", "message": "finished", "details": {"epochs": len(history)},
             "history": list(history), "kept_epoch": len(history) or None, "results": {}, "weights": weights, **more}
    return store.finish_run(key, number, **ended)


def refused(key: str, call, *args, **kwargs) -> StoreError:
    with pytest.raises(StoreError) as caught:
        call(*args, **kwargs)
    assert caught.value.key == key, caught.value
    return caught.value


# workspaces -------------------------------------------------------------------------------------
def test_workspaces_are_created_found_and_deleted_and_only_the_keys_hash_is_stored(backend, store):
    key, other = store.create_workspace(), store.create_workspace()
    assert key != other and len(key) >= 32
    assert store.has_workspace(key) and store.has_workspace(other)
    assert not store.has_workspace("A" * 32)
    assert store.usage(key) == Usage(0, 0, 0)
    store.new_runs(key, started(2), owner="tab-1")
    store.put_data(key, "a.csv", b"x,y\n1,2\n")

    ids = sorted(row[0] for row in backend.raw("SELECT id FROM workspaces"))
    assert ids == sorted([hashlib.sha256(key.encode()).hexdigest(), key_id(other)])
    stored = backend.raw("SELECT workspace FROM runs") + backend.raw("SELECT workspace FROM data_files")
    assert {row[0] for row in stored} == {key_id(key)}
    for table in schema.TABLES:  # nowhere in any text column
        for column in table.columns:
            if isinstance(column.type, sqlalchemy.String):
                found = backend.raw(f"SELECT count(*) FROM {table.name} WHERE {column.name} LIKE :k", k=f"%{key}%")
                assert found == [(0,)], f"{table.name}.{column.name}"
    if backend.path is not None:
        files = [p for p in backend.path.parent.iterdir() if p.name.startswith(backend.path.name)]
        assert files and not any(key.encode() in p.read_bytes() for p in files)  # file and WAL alike

    store.delete_workspace(key)
    assert not store.has_workspace(key) and store.has_workspace(other)
    assert backend.raw("SELECT count(*) FROM runs") == [(0,)]
    assert backend.raw("SELECT count(*) FROM data_files") == [(0,)]
    refused("no_workspace", store.delete_workspace, key)
    refused("no_workspace", store.list_runs, key)


BAD_KEYS = ["", "short", "A" * 31, "A" * 65, "has spaces in it and is long enough", "ä" * 40, "A" * 32 + "\n",
            "../../etc/passwd" + "A" * 20, None, 12345678901234567890123456789012]


def test_a_new_key_never_begins_with_a_dash_so_a_command_line_reads_it(store, monkeypatch):
    import secrets

    drawn = iter(["-" + "a" * 42, "-" + "b" * 42, "c" * 43])  # token_urlsafe gives a leading "-" one time in 64
    monkeypatch.setattr(secrets, "token_urlsafe", lambda _n: next(drawn))
    key = store.create_workspace()
    assert key == "c" * 43 and store.has_workspace(key)


def test_a_malformed_key_is_refused_by_every_call(store):
    calls = [(store.has_workspace, ()), (store.usage, ()), (store.new_runs, (started(),)), (store.list_runs, ()),
             (store.get_run, (1,)), (store.append_epochs, (1, [record(1)])), (store.beat, ([1],)),
             (store.delete_workspace, ()), (store.put_data, ("a", b"x")), (store.get_data, ("0" * 64,)),
             (store.weights, (1,)), (store.delete_run, (1,)), (store.save_checkpoint, (1, 1, b"w"))]
    for bad in BAD_KEYS:
        for call, args in calls:
            err = refused("bad_workspace_key", call, bad, *args)
            assert "workspace key" in str(err)


def test_an_unknown_key_opens_no_workspace(store):
    unknown = "Z" * 32
    assert not store.has_workspace(unknown)
    for call, args in [(store.usage, ()), (store.new_runs, (started(),)), (store.list_runs, ()),
                       (store.get_run, (1,)), (store.append_epochs, (1, [record(1)])), (store.beat, ([1],)),
                       (store.delete_workspace, ()), (store.put_data, ("a", b"x")), (store.weights, (1,)),
                       (store.save_checkpoint, (1, 1, b"w")), (store.delete_run, (1,))]:
        err = refused("no_workspace", call, unknown, *args)
        assert unknown not in str(err)  # the message shows only the key's start
    assert not store.has_workspace(unknown)  # nothing made it


# runs ---------------------------------------------------------------------------------------------
def test_runs_are_numbered_per_workspace_and_workspaces_are_kept_apart(store):
    a, b = store.create_workspace(), store.create_workspace()
    assert store.new_runs(a, started(3), owner="tab-a") == [1, 2, 3]
    assert store.new_runs(b, started(1)) == [1]
    assert store.new_runs(a, started(2)) == [4, 5]
    assert store.new_runs(a, []) == []
    store.append_epochs(a, 1, [record(1, 0.25)])

    listed = store.list_runs(a)
    assert [r.number for r in listed] == [1, 2, 3, 4, 5]
    first = listed[0]
    assert (first.status, first.reason, first.epochs, first.best_val, first.has_model, first.owner) == \
        ("running", "starting", 1, 0.25, False, "tab-a")
    assert first.config == json.loads(CFG.to_json()) and first.data == DATA and first.cell == "lstm"
    assert ExperimentConfig.from_json(json.dumps(first.config)) == CFG
    assert [r.parameters for r in listed] == [1000, 1001, 1002, 1000, 1001]

    (only,) = store.list_runs(b)
    assert (only.number, only.epochs, only.owner) == (1, 0, "")
    assert store.get_run(b, 1).history == []
    refused("no_run", store.get_run, b, 2)
    refused("no_run", store.append_epochs, b, 2, [record(1)])
    assert store.usage(a).runs == 5 and store.usage(b).runs == 1


def test_a_deleted_runs_number_is_never_given_again(store):
    key = store.create_workspace()
    assert store.new_runs(key, started(3)) == [1, 2, 3]
    for n in (1, 2, 3):
        finish(store, key, n)  # (a run still training cannot be deleted)
    store.delete_run(key, 3)
    store.delete_run(key, 2)
    assert store.new_runs(key, started()) == [4]  # links to runs 2 and 3 never show another run
    finish(store, key, 4)
    for n in (1, 4):
        store.delete_run(key, n)
    assert store.list_runs(key) == [] and store.new_runs(key, started(2)) == [5, 6]


def test_epochs_are_appended_and_read_back_exactly(store):
    key = store.create_workspace()
    (number,) = store.new_runs(key, started())
    first = [record(1, 0.7), record(2, None), record(3, 0.3125)]
    store.append_epochs(key, number, first)
    store.append_epochs(key, number, [])
    store.append_epochs(key, number, [record(4, 0.1 + 1e-12, lr=5e-4, layer_grad_norms={})])
    again = record(4, 0.2, seconds=1.5)  # an epoch written again is replaced, not doubled
    store.append_epochs(key, number, [again, record(5, 0.4)])
    run = store.get_run(key, number)
    assert run.history == [*first, again, record(5, 0.4)]
    assert isinstance(run.history[0], EpochRecord)
    assert (run.epochs, run.best_val, run.status) == (5, 0.2, "running")


def test_finish_run_replaces_the_history_and_keeps_weights_that_give_the_same_model(store):
    key = store.create_workspace()
    n1, n2 = store.new_runs(key, started(2))
    store.append_epochs(key, n1, [record(1), record(2), record(3)])
    model, cfg = a_model(seed=3)
    history = [record(1, 0.9), record(2, 0.6)]
    results = {"metrics": {"val": {"rmse": 1.5, "mae": 1.0, "mape": None, "r2": 0.25}},
               "baselines": {"persistence": {"val": {"rmse": 2.0}}}, "y_unit": "passengers", "partial_epoch": None}
    gone = store.finish_run(key, n1, status="stopped", reason="stopped", message="stopped at epoch 2",
                            details={"epoch": 2}, history=history, kept_epoch=2, results=results, parameters=4242,
                            weights=model_bytes(model), traces=b"trace-bytes")
    assert gone == []
    run = store.get_run(key, n1)
    assert run.history == history
    assert (run.status, run.reason, run.message, run.details) == ("stopped", "stopped", "stopped at epoch 2",
                                                                  {"epoch": 2})
    assert (run.epochs, run.best_val, run.kept_epoch, run.parameters, run.has_model) == (2, 0.6, 2, 4242, True)
    assert run.results == results
    epoch, weights = store.weights(key, n1)
    assert epoch == 2
    loaded = model_from_bytes(weights, cfg)
    model.eval()
    x = torch.randn(5, 12, 1, generator=torch.Generator().manual_seed(9))
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x), rtol=0, atol=0)
    assert store.traces(key, n1) == b"trace-bytes"
    assert store.usage(key) == Usage(2, 1, len(weights) + len(b"trace-bytes"))

    other = store.get_run(key, n2)  # the other run is untouched
    assert (other.status, other.history, other.has_model) == ("running", [], False)
    assert store.weights(key, n2) is None and store.traces(key, n2) is None
    refused("no_run", finish, store, key, 99)


def test_a_checkpoint_is_the_model_until_the_run_keeps_its_own(store):
    key = store.create_workspace()
    (number,) = store.new_runs(key, started())
    early, cfg = a_model(seed=1)
    store.save_checkpoint(key, number, 1, model_bytes(early))
    store.save_checkpoint(key, number, 2, model_bytes(early))
    assert store.weights(key, number)[0] == 2 and store.usage(key).models == 1
    assert store.list_runs(key)[0].has_model
    kept, _ = a_model(seed=2)
    finish(store, key, number, weights=model_bytes(kept), history=[record(1), record(2), record(3)])
    epoch, weights = store.weights(key, number)
    assert epoch == 3 and store.usage(key).models == 1
    assert all(torch.equal(load(weights)[k], v) for k, v in kept.state_dict().items())
    assert store.traces(key, number) is None
    store.save_checkpoint(key, number, 2, model_bytes(early))  # late, from a writer thread: the run has ended
    assert store.weights(key, number) == (3, weights)


def test_a_run_whose_heartbeat_stopped_reads_as_interrupted_and_one_that_beats_does_not(store, backend):
    fast = backend.open(heartbeat_seconds=0.25)  # stale after 0.75 s
    key = fast.create_workspace()
    with_model, without, beating, ended = fast.new_runs(key, started(4))
    fast.append_epochs(key, with_model, [record(1), record(2)])
    fast.save_checkpoint(key, with_model, 2, model_bytes(a_model()[0]))
    finish(fast, key, ended, history=[record(1)])
    fast.beat(key, [with_model, without, beating, ended])
    assert {r.status for r in fast.list_runs(key)} == {"running", "finished"}
    until = time.monotonic() + 1.1
    while time.monotonic() < until:
        fast.beat(key, [beating, ended])
        time.sleep(0.05)
    runs = {r.number: r for r in fast.list_runs(key)}
    assert runs[with_model].status == runs[without].status == "interrupted"
    assert (runs[with_model].reason, runs[with_model].details) == ("interrupted", {"epochs": 2, "kept": 2})
    assert runs[without].reason == "interrupted_early"
    assert "2 epoch" in runs[with_model].message and runs[with_model].has_model
    assert (runs[beating].status, runs[ended].status) == ("running", "finished")
    assert fast.get_run(key, with_model).status == "interrupted"
    assert fast.get_run(key, with_model).history == [record(1), record(2)]
    assert fast.weights(key, with_model)[0] == 2  # what it continues from
    assert store.list_runs(key)[with_model - 1].status == "running"  # 5 s heartbeats: not stale yet
    fast.append_epochs(key, without, [record(1)])  # an epoch is a sign of life too
    assert fast.get_run(key, without).status == "running"


# quotas -----------------------------------------------------------------------------------------
def test_max_runs_refuses_the_runs_that_do_not_fit_and_changes_nothing(backend):
    store = backend.open(max_runs=3)
    key = store.create_workspace()
    assert store.new_runs(key, started(2)) == [1, 2]
    err = refused("quota_runs", store.new_runs, key, started(2))
    assert "3" in str(err)
    assert [r.number for r in store.list_runs(key)] == [1, 2] and store.usage(key).runs == 2
    assert store.new_runs(key, started(1)) == [3]
    refused("quota_runs", store.new_runs, key, started(1))
    other = store.create_workspace()  # the quota is per workspace
    assert store.new_runs(other, started(3)) == [1, 2, 3]


def test_keep_models_removes_the_oldest_models_first_never_the_run_ending(backend):
    store = backend.open(keep_models=2)
    key = store.create_workspace()
    numbers = store.new_runs(key, started(5))
    weights = model_bytes(a_model()[0])
    assert [finish(store, key, n, weights=weights) for n in (3, 2)] == [[], []]
    assert finish(store, key, 1, weights=weights) == [2]  # the oldest other than the one ending
    assert finish(store, key, 4, weights=weights) == [1]
    assert finish(store, key, 5, weights=weights) == [3]
    assert [r.has_model for r in store.list_runs(key)] == [False, False, False, True, True]
    assert [store.weights(key, n) is None for n in numbers] == [True, True, True, False, False]
    assert store.usage(key).models == 2
    assert [r.status for r in store.list_runs(key)] == ["finished"] * 5  # the runs stay, only their models go
    assert finish(store, key, 5) == []  # no new model: nothing goes


def test_max_megabytes_removes_the_oldest_models_until_the_workspace_fits(backend):
    size = len(model_bytes(a_model()[0]))
    store = backend.open(max_megabytes=2.5 * size / MB, keep_models=100)
    key = store.create_workspace()
    store.new_runs(key, started(4))
    weights = model_bytes(a_model()[0])
    assert finish(store, key, 1, weights=weights) == []
    assert finish(store, key, 2, weights=weights) == []
    assert finish(store, key, 3, weights=weights) == [1]
    assert store.usage(key) == Usage(4, 2, 2 * size)
    big = model_bytes(a_model(hidden=32)[0])  # alone over the quota: it stays, every other model goes
    assert len(big) > 2.5 * size
    assert finish(store, key, 4, weights=big) == [2, 3]
    assert store.usage(key) == Usage(4, 1, len(big))


def test_put_data_stores_a_file_once_and_refuses_what_does_not_fit(backend):
    store = backend.open(max_megabytes=0.01)  # 10,000 bytes
    key, other = store.create_workspace(), store.create_workspace()
    content = os.urandom(6000)
    sha = store.put_data(key, "first.csv", content)
    assert sha == hashlib.sha256(content).hexdigest()
    assert store.put_data(key, "again.csv", content) == sha  # the same content is stored once
    assert store.usage(key).bytes == 6000
    assert backend.raw("SELECT count(*) FROM data_files") == [(1,)]
    assert store.get_data(key, sha) == ("first.csv", content)
    err = refused("quota_bytes", store.put_data, key, "second.csv", os.urandom(5000))
    assert "0.01" in str(err)
    assert store.usage(key).bytes == 6000 and backend.raw("SELECT count(*) FROM data_files") == [(1,)]
    assert store.get_data(key, "0" * 64) is None
    assert store.get_data(other, sha) is None  # another workspace does not see it
    assert store.put_data(other, "mine.csv", content) == sha  # and keeps its own copy
    assert store.usage(other).bytes == 6000


def test_delete_run_removes_the_run_its_epochs_and_its_model(backend, store):
    key = store.create_workspace()
    store.new_runs(key, started(3))
    for n in (1, 2, 3):
        finish(store, key, n, weights=model_bytes(a_model(n)[0]), history=[record(1), record(2)])
    store.delete_run(key, 2)
    assert [r.number for r in store.list_runs(key)] == [1, 3]
    for call in (store.get_run, store.weights, store.traces, store.delete_run):
        refused("no_run", call, key, 2)
    assert backend.raw("SELECT count(*) FROM epochs") == [(4,)]
    assert backend.raw("SELECT count(*) FROM models") == [(2,)]
    assert store.usage(key).runs == 2 and store.usage(key).models == 2
    assert store.get_run(key, 3).history == [record(1), record(2)]


def test_a_run_that_trains_cannot_be_deleted_and_nothing_changes(backend):
    fast = backend.open(heartbeat_seconds=0.25)  # stale after 0.75 s
    key = fast.create_workspace()
    training, ended = fast.new_runs(key, started(2))
    fast.append_epochs(key, training, [record(1)])
    fast.save_checkpoint(key, training, 1, model_bytes(a_model()[0]))
    finish(fast, key, ended, history=[record(1)])
    err = refused("run_training", fast.delete_run, key, training)
    assert f"run {training} is training" in str(err) and "stop it there first" in str(err)
    assert [(r.number, r.status) for r in fast.list_runs(key)] == [(training, "running"), (ended, "finished")]
    assert fast.get_run(key, training).history == [record(1)] and fast.weights(key, training)[0] == 1
    fast.delete_run(key, ended)  # a run that ended goes
    deadline = time.monotonic() + 30
    while fast.list_runs(key)[0].status != "interrupted":  # its beats stopped: its server was killed
        assert time.monotonic() < deadline, "the run never read as interrupted"
        time.sleep(0.05)
    fast.delete_run(key, training)  # and so does one nobody trains any more
    assert fast.list_runs(key) == [] and backend.raw("SELECT count(*) FROM models") == [(0,)]


def test_nan_and_infinities_are_stored_as_null(store):
    key = store.create_workspace()
    (number,) = store.new_runs(key, started())
    store.append_epochs(key, number, [record(1, math.nan, layer_grad_norms={"a": math.inf, "b": 1.0})])
    run = store.get_run(key, number)
    assert run.history[0].val_loss is None and run.history[0].layer_grad_norms == {"a": None, "b": 1.0}
    assert run.best_val is None
    results = {"metrics": {"val": {"rmse": math.nan, "mae": math.inf, "r2": -math.inf, "mape": 2.5},
                           "test": {"rmse": np.float64("nan"), "mae": np.float32(0.5), "r2": torch.tensor(0.25)}},
               "list": [math.nan, 1, (math.inf, "x")]}
    finish(store, key, number, history=[record(1, math.inf), record(2, 0.5)], results=results,
           details={"value": math.nan})
    run = store.get_run(key, number)
    assert run.results == {"metrics": {"val": {"rmse": None, "mae": None, "r2": None, "mape": 2.5},
                                       "test": {"rmse": None, "mae": 0.5, "r2": 0.25}},
                           "list": [None, 1, [None, "x"]]}
    assert run.details == {"value": None}
    assert [r.val_loss for r in run.history] == [None, 0.5] and run.best_val == 0.5


# a real run, recorded as it trains --------------------------------------------------------------
def test_a_recorder_on_a_real_run_stores_every_epoch_and_the_kept_model(store):
    from rnncore.training.trainer import Trainer

    key = store.create_workspace()
    recorder = None

    def after_epoch(progress):  # the recorder needs the Trainer's model, the Trainer its callbacks
        recorder(progress)

    trainer = Trainer(CFG, callbacks=[after_epoch])
    (number,) = store.new_runs(key, [(CFG, trainer.dataset.identity(), 1)])
    recorder = RunRecorder(store, key, number, trainer.model)
    result = trainer.run()
    assert result.status == "finished", result.message
    recorder.close()  # what the writer thread stored while the run trained, before finish writes it whole
    live = store.get_run(key, number)
    assert recorder.error is None
    assert live.history == result.history and len(live.history) == 3
    assert live.status == "running" and live.has_model  # a checkpoint, written at the first epoch
    gone = recorder.finish(status=str(result.status), reason="finished", message=result.message, details={},
                           history=result.history, kept_epoch=3, results={"metrics": result.metrics},
                           parameters=result.parameters, weights=model_bytes(result.model))
    assert gone == []
    run = store.get_run(key, number)
    assert (run.status, run.epochs, run.parameters, run.kept_epoch) == ("finished", 3, result.parameters, 3)
    assert run.history == result.history and run.data["name"] == trainer.dataset.identity()["name"]
    assert run.results["metrics"]["val"]["rmse"] == pytest.approx(result.metrics["val"]["rmse"])
    model = model_from_bytes(store.weights(key, number)[1], CFG)
    x = torch.from_numpy(np.array(result.windows.test.x))
    result.model.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(x), result.model(x), rtol=0, atol=0)


def test_a_run_whose_epochs_are_fast_keeps_its_weights_every_checkpoint_epochs(backend, monkeypatch):
    from rnncore.store import recorder as recording

    store = backend.open(heartbeat_seconds=3600, checkpoint_epochs=5)  # by time alone: only the first epoch's
    key = store.create_workspace()
    (number,) = store.new_runs(key, started())
    model, _ = a_model()
    copied = []  # the epochs whose weights the recorder took, in the training thread

    def copy(of):
        copied.append(epoch)
        return model_copy(of)

    monkeypatch.setattr(recording, "model_copy", copy)
    recorder = RunRecorder(store, key, number, model)
    history = []
    for epoch in range(1, 13):  # twelve epochs, each far shorter than a heartbeat
        history.append(record(epoch))
        recorder(SimpleNamespace(history=list(history), epoch=epoch))
    recorder.close()
    assert recorder.error is None
    assert copied == [1, 6, 11]
    assert store.weights(key, number)[0] == 11  # what a killed server's run continues from: one epoch back
    assert store.get_run(key, number).history == history


# SQLite only ------------------------------------------------------------------------------------
def _columns(url: str) -> dict:
    engine = create_engine(url)
    try:
        found = inspect(engine)
        return {table: [(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)]
                for table in sorted(found.get_table_names())}
    finally:
        engine.dispose()


def _v1_database(path) -> tuple[str, str]:
    """A store as version 1 wrote it: one finished run with two epochs and a model, one left running."""
    key = "K" * 32
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        schema.UPGRADES[0](conn)
        conn.execute(text("INSERT INTO workspaces (id, created) VALUES (:id, 1.0)"), {"id": key_id(key)})
        columns = ("workspace, number, created, updated, owner, status, reason, message, details, config, data, "
                   "cell, epochs, best_val, parameters, kept_epoch, results")
        insert_run = text(f"INSERT INTO runs ({columns}) VALUES (:w, :n, 1.0, :updated, 'cli', :status, :reason, "
                          ":message, '{}', :config, :data, 'lstm', :epochs, :best, 577, :kept, :results)")
        conn.execute(insert_run, {"w": key_id(key), "n": 1, "updated": 2.0, "status": "finished", "reason": "finished",
                                  "message": "finished", "config": CFG.to_json(), "data": json.dumps(DATA),
                                  "epochs": 2, "best": 0.25, "kept": 2, "results": '{"y_unit": "passengers"}'})
        conn.execute(insert_run, {"w": key_id(key), "n": 2, "updated": 3.0, "status": "running", "reason": "running",
                                  "message": "running", "config": CFG.to_json(), "data": json.dumps(DATA),
                                  "epochs": 0, "best": None, "kept": None, "results": "{}"})
        for epoch, val in ((1, 0.5), (2, 0.25)):
            conn.execute(text("INSERT INTO epochs VALUES (1, :e, 1.0, :v, 0.1, 2.0, '{\"rnn\": 1.5}', 0.001)"),
                         {"e": epoch, "v": val})
        conn.execute(text("INSERT INTO models (run, epoch, final, weights, traces, bytes, saved) "
                          "VALUES (1, 2, 1, :w, NULL, :b, 2.0)"), {"w": model_bytes(a_model(7)[0]),
                                                                   "b": len(model_bytes(a_model(7)[0]))})
    engine.dispose()
    return key, f"sqlite:///{path}"


def test_a_version_1_database_is_upgraded_with_its_runs(tmp_path):
    key, url = _v1_database(tmp_path / "v1.sqlite3")
    assert "heartbeat" not in [c[0] for c in _columns(url)["runs"]]
    assert _columns(url)["schema_version"] and schema.VERSION > 1
    store = open_store(url, StoreSettings())
    try:
        finished, running = store.list_runs(key)
        assert (finished.number, finished.status, finished.epochs, finished.best_val, finished.has_model,
                finished.owner, finished.parameters) == (1, "finished", 2, 0.25, True, "cli", 577)
        assert running.status == "interrupted"  # its heartbeat is the time it last changed, long ago
        assert finished.lineage == running.lineage == NOT_KNOWN  # (version 5: no class takes a run of unknown past)
        run = store.get_run(key, 1)
        assert [(r.epoch, r.val_loss, r.layer_grad_norms) for r in run.history] == [(1, 0.5, {"rnn": 1.5}),
                                                                                      (2, 0.25, {"rnn": 1.5})]
        assert run.results == {"y_unit": "passengers"} and run.config == json.loads(CFG.to_json())
        model = model_from_bytes(store.weights(key, 1)[1], CFG.replace(model={"hidden_size": 8}))
        assert sum(p.numel() for p in model.parameters()) > 0
        assert store.new_runs(key, started()) == [3]
        finish(store, key, 3)
        store.delete_run(key, 3)
        assert store.new_runs(key, started()) == [4]
    finally:
        store.close()
    engine = create_engine(url)
    with engine.connect() as conn:
        assert schema.version_of(conn) == schema.VERSION
        assert conn.execute(text("SELECT count(*) FROM schema_version")).scalar_one() == 1
    engine.dispose()
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    open_store(fresh, StoreSettings()).close()
    assert _columns(url) == _columns(fresh)
    planned = f"sqlite:///{tmp_path / 'planned.sqlite3'}"  # the shape every query is written for (TABLES)
    engine = create_engine(planned)
    schema.metadata.create_all(engine)
    engine.dispose()
    assert _columns(url) == _columns(planned)


def _sqlite_store(tmp_path, name="runs.sqlite3"):
    """A closed store file with one run in it: (path, url, key)."""
    path = tmp_path / name
    store = open_store(f"sqlite:///{path}", StoreSettings())
    key = store.create_workspace()
    store.new_runs(key, started())
    store.close()
    assert not (tmp_path / f"{name}-wal").exists() or (tmp_path / f"{name}-wal").stat().st_size == 0
    return path, f"sqlite:///{path}", key


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_a_database_of_a_newer_schema_is_refused_and_left_as_it_is(tmp_path, journal):
    path, url, _ = _sqlite_store(tmp_path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE schema_version SET version = ?", (schema.VERSION + 1,))
    conn.execute(f"PRAGMA journal_mode = {journal}")  # a newer RNN Lab may keep its file otherwise
    conn.close()
    before = path.read_bytes()
    err = refused("newer_schema", open_store, url, StoreSettings())
    assert str(schema.VERSION + 1) in str(err)
    assert path.read_bytes() == before


def test_another_programs_database_is_refused_and_left_as_it_is(backend):
    if backend.path is not None:
        conn = sqlite3.connect(backend.path, isolation_level=None)
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO customers (name) VALUES ('Ada')")
        conn.close()
        before = backend.path.read_bytes()
    else:
        engine = create_engine(backend.url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)"))
        engine.dispose()
    err = refused("corrupt", backend.open)
    assert "customers" in str(err)
    engine = create_engine(backend.url)
    assert inspect(engine).get_table_names() == ["customers"]  # no table of ours among its own
    engine.dispose()
    if backend.path is not None:
        assert backend.path.read_bytes() == before


@pytest.mark.parametrize("content", [os.urandom(8192), b"name,value\n" + b"2024-01,12.5\n" * 400, b"hello\n"],
                         ids=["random", "csv", "short"])
def test_a_file_that_is_not_a_database_is_refused_as_corrupt_and_left_as_it_is(tmp_path, content):
    path = tmp_path / "runs.sqlite3"
    path.write_bytes(content)
    err = refused("corrupt", open_store, f"sqlite:///{path}", StoreSettings())
    assert "runs.sqlite3" in str(err)
    assert path.read_bytes() == content


def test_a_locked_database_says_locked_and_nothing_changes(tmp_path):
    path, url, key = _sqlite_store(tmp_path)
    store = open_store(url, StoreSettings(busy_seconds=0.2))
    try:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            started_at = time.monotonic()
            refused("locked", store.new_runs, key, started())
            refused("locked", store.append_epochs, key, 1, [record(1)])
            refused("locked", store.create_workspace)
            refused("locked", open_store, url, StoreSettings(busy_seconds=0.2))
            assert time.monotonic() - started_at < 5
            assert [r.number for r in store.list_runs(key)] == [1]  # WAL: reading does not wait for a writer
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert [r.number for r in store.list_runs(key)] == [1]
        assert store.get_run(key, 1).history == []
        assert store.new_runs(key, started()) == [2]  # the lock gone, it works again
    finally:
        store.close()


def test_a_folder_that_cannot_be_made_or_a_folder_in_place_of_the_file_is_unreachable(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    err = refused("unreachable", open_store, f"sqlite:///{blocker / 'sub' / 'runs.sqlite3'}", StoreSettings())
    assert "a-file" in str(err)
    assert blocker.read_text() == "not a folder"
    refused("unreachable", open_store, f"sqlite:///{tmp_path}", StoreSettings())  # a folder, not a file
    made = tmp_path / "new" / "deeper" / "runs.sqlite3"  # missing folders are made
    open_store(f"sqlite:///{made}", StoreSettings()).close()
    assert made.is_file()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///file:runs?mode=memory&uri=true"])
def test_an_in_memory_sqlite_store_is_refused(url):
    err = refused("bad_url", open_store, url, StoreSettings())
    assert "in-memory" in str(err)


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MiB tmpfs (needs root and a container that allows mount)."""
    where = tmp_path / "disk"
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True,
                          text=True, check=False) if os.geteuid() == 0 else None
    if done is None or done.returncode != 0:
        pytest.skip("disk full: a small tmpfs cannot be mounted here (needs root and mount rights: "
                    f"{done.stderr.strip() if done else 'not root'})")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_full_disk_says_full_and_loses_nothing_stored(tiny_disk):
    store = open_store(f"sqlite:///{tiny_disk / 'runs.sqlite3'}", StoreSettings(max_megabytes=100))
    try:
        key = store.create_workspace()
        store.new_runs(key, started())
        store.append_epochs(key, 1, [record(1)])
        kept = []
        with pytest.raises(StoreError) as caught:
            for i in range(100):
                content = os.urandom(100_000)
                kept.append((store.put_data(key, f"f{i}.csv", content), content))
        assert caught.value.key == "full", caught.value
        assert 1 <= len(kept) < 10
        assert all(store.get_data(key, sha) == (f"f{i}.csv", content) for i, (sha, content) in enumerate(kept))
        assert store.usage(key).bytes == 100_000 * len(kept)
        assert store.get_run(key, 1).history == [record(1)]
    finally:
        store.close()


# PostgreSQL only ----------------------------------------------------------------------------------
def test_an_unreachable_server_says_so_within_seconds():
    port = free_port()  # nobody listens there
    started_at = time.monotonic()
    err = refused("unreachable", open_store, f"postgresql+psycopg://rnn:s3cret@127.0.0.1:{port}/runs",
                  StoreSettings())
    assert time.monotonic() - started_at < 8
    assert str(port) in str(err) and "s3cret" not in str(err)


@pytest.mark.parametrize("url", ["not a url", "mysql+pymysql://u:p@localhost/runs",
                                 "postgresql+nosuchdriver://u@localhost/runs", "oracle://u@h/x"])
def test_a_bad_url_is_refused(url):
    err = refused("bad_url", open_store, url, StoreSettings())
    assert "sqlite:///" in str(err)  # it says what a good one looks like


def test_a_missing_postgresql_database_is_unreachable(postgres_server):
    url = postgres_server.url("no_such_database")
    err = refused("unreachable", open_store, url, StoreSettings())
    assert "no_such_database" in str(err)


def test_the_store_on_postgresql_uses_its_own_tables(postgres_server):
    url = postgres_server.database()
    open_store(url, StoreSettings()).close()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            assert schema.version_of(conn) == schema.VERSION
            assert conn.execute(select(func.count()).select_from(schema.runs)).scalar_one() == 0
        assert set(inspect(engine).get_table_names()) == {t.name for t in schema.TABLES}
        types = {c["name"]: c["type"] for c in inspect(engine).get_columns("models")}
        assert isinstance(types["weights"], sqlalchemy.LargeBinary)
    finally:
        engine.dispose()


# the throwaway server itself ------------------------------------------------------------------------
def test_without_postgresql_its_tests_skip_but_fail_under_ci(monkeypatch):
    monkeypatch.setattr(postgres, "find_binaries", lambda: None)
    why = postgres.missing()
    assert "PostgreSQL is not installed" in why
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        postgres.unavailable(why)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true requires"):
        postgres.unavailable(why)


def test_the_binaries_are_found_off_path_in_debians_folder(monkeypatch):
    if not list(postgres.Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        pytest.skip("no /usr/lib/postgresql/*/bin/initdb here")
    monkeypatch.setenv("PATH", "/nonexistent")
    found = postgres.find_binaries()
    assert found is not None and found.parent.parent == postgres.Path("/usr/lib/postgresql")
    assert (found / "pg_ctl").exists()

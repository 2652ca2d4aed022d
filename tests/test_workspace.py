"""A Lab keeping its runs in a workspace of the run store: what lasts across a reload, a restart, a
second tab and a killed server, and what happens when the store is down (SQLite here; the store's own
tests cover PostgreSQL)."""

from __future__ import annotations

import time

import pytest
import torch

from rnncore.config import ExperimentConfig
from rnncore.errors import StoreError
from rnncore.io.model_files import model_bytes, model_from_bytes
from rnncore.lab import Lab
from rnncore.lab.archive import StoreArchive
from rnncore.store import StoreSettings, open_store
from rnncore.training.progress import Status
from tests import postgres

QUICK = ExperimentConfig().replace(model={"hidden_size": 8}, train={"epochs": 3})


@pytest.fixture
def store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path}/runs.sqlite3", StoreSettings(heartbeat_seconds=0.2))
    yield opened
    opened.close()


def lab_on(store, key: str) -> Lab:
    """A Lab as a browser tab has one: its runs in the workspace ``key``."""
    return Lab(archive=StoreArchive(store, key, owner="tab"))


def trained(lab: Lab, config=QUICK):
    lab.start(config)
    assert lab.join(timeout=120)
    return lab.runs[-1]


def test_a_run_outlasts_its_tab_with_curves_metrics_and_model(store):
    key = store.create_workspace()
    first = lab_on(store, key)
    record = trained(first)
    first.close()
    assert record.status == Status.FINISHED and len(record.history) == 3

    reloaded = lab_on(store, key)  # a reload: a new session, the same workspace
    (back,) = reloaded.runs
    assert back.id == record.id and back.status == Status.FINISHED
    assert [e.train_loss for e in back.history] == pytest.approx([e.train_loss for e in record.history])
    assert back.metrics["test"]["rmse"] == pytest.approx(record.metrics["test"]["rmse"])
    assert back.result is None and reloaded.has_model(back)  # the model stays in the store until asked for
    result = reloaded.result_of(back)
    assert result.metrics["test"]["rmse"] == pytest.approx(record.metrics["test"]["rmse"], rel=1e-6)
    for name, tensor in record.result.model.state_dict().items():
        assert torch.equal(tensor, result.model.state_dict()[name]), name


def test_a_stored_run_continues_with_its_epochs_numbered_on(store):
    key = store.create_workspace()
    trained(lab_on(store, key))
    reloaded = lab_on(store, key)
    run = reloaded.continue_run(reloaded.runs[0])
    assert reloaded.join(timeout=120)
    assert [e.epoch for e in run.record.history] == [1, 2, 3, 4, 5, 6]
    assert [r.id for r in lab_on(store, key).runs] == [1, 2]


def test_workspaces_do_not_see_each_other(store):
    mine, theirs = store.create_workspace(), store.create_workspace()
    trained(lab_on(store, mine))
    assert lab_on(store, theirs).runs == []
    assert len(lab_on(store, mine).runs) == 1


def test_a_second_tab_sees_a_run_training_elsewhere_and_does_not_take_it(store):
    key = store.create_workspace()
    trainer_tab, other_tab = lab_on(store, key), lab_on(store, key)
    trainer_tab.start(QUICK.replace(train={"epochs": 1000}))
    try:
        deadline = time.monotonic() + 60
        while not other_tab.runs or not other_tab.runs[0].history:
            assert time.monotonic() < deadline, "the other tab never saw the run's first epoch"
            time.sleep(0.1)
        (seen,) = other_tab.runs
        assert seen.status == Status.RUNNING and seen.reason == "elsewhere"
        assert trainer_tab.runs == []  # its own run is shown live, not as a record
        assert not other_tab.busy  # nothing of that run is this tab's to pause or stop
        with pytest.raises(Exception):  # noqa: B017 (a running record cannot be deleted from the other tab)
            other_tab.delete(seen)
    finally:
        trainer_tab.stop()
        assert trainer_tab.join(timeout=60)
    (ended,) = other_tab.runs
    assert ended.status == Status.STOPPED


def test_a_run_whose_server_died_is_interrupted_and_continues_from_its_last_weights(store):
    key = store.create_workspace()
    lab = lab_on(store, key)
    trained(lab)  # a finished run to take weights from
    model = lab.result_of(lab.runs[0]).model
    (number,) = store.new_runs(key, [(QUICK, {"name": "airline_passengers"}, model.num_parameters())], owner="dead")
    store.append_epochs(key, number, lab.runs[0].history[:2])
    store.save_checkpoint(key, number, 2, model_bytes(model))  # then the server was killed: no more beats
    deadline = time.monotonic() + 30
    while store.get_run(key, number).status != "interrupted":  # its beats are stale
        assert time.monotonic() < deadline, "the run never read as interrupted"
        time.sleep(0.05)
    dead = lab_on(store, key).run(number)
    assert dead.status == Status.INTERRUPTED and len(dead.history) == 2
    assert "after 2 epoch(s)" in dead.message and "epoch 2" in dead.message
    again = lab_on(store, key)
    run = again.continue_run(again.run(number))
    assert again.join(timeout=120)
    assert [e.epoch for e in run.record.history] == [1, 2, 3, 4, 5]


def test_a_full_workspace_refuses_a_start_and_nothing_changes(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/runs.sqlite3", StoreSettings(max_runs=1))
    key = store.create_workspace()
    lab = lab_on(store, key)
    trained(lab)
    before = lab.config
    with pytest.raises(StoreError) as refused:
        lab.start(QUICK.replace(model={"hidden_size": 4}))
    assert refused.value.key == "quota_runs" and not lab.busy and lab.config == before
    assert len(lab.runs) == 1


def test_the_oldest_models_go_first_and_the_page_is_told(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/runs.sqlite3", StoreSettings(keep_models=1))
    lab = lab_on(store, store.create_workspace())
    trained(lab)
    trained(lab)
    first, second = lab.runs
    assert not lab.has_model(first) and lab.has_model(second)
    assert first.metrics and len(first.history) == 3  # curves and metrics stay
    notes = lab.notices()
    assert [n.key for n in notes] == ["models_removed"] and "#1" in notes[0]


def test_an_uploaded_file_is_kept_so_its_runs_reopen_after_a_reload(store):
    key = store.create_workspace()
    csv = "t,v\n" + "".join(f"{i},{(i * 7) % 13}\n" for i in range(120))
    lab = lab_on(store, key)
    lab.load("mine.csv", content=csv.encode())
    trained(lab, lab.config.replace(model={"hidden_size": 8}, train={"epochs": 2}, window={"lookback": 6}))
    lab.close()
    reloaded = lab_on(store, key)  # nothing loaded in the new session
    assert reloaded.dataset is None
    result = reloaded.result_of(reloaded.runs[0])
    assert result is not None and len(result.windows.target_values) == 120


def test_deleting_a_run_and_a_workspace(store):
    key = store.create_workspace()
    lab = lab_on(store, key)
    trained(lab)
    trained(lab)
    lab.delete(lab.runs[0])
    assert [r.id for r in lab.runs] == [2]
    store.delete_workspace(key)
    assert not store.has_workspace(key)


def test_a_store_that_goes_down_keeps_the_lab_going_in_memory_and_says_so(store, tmp_path):
    key = store.create_workspace()
    lab = lab_on(store, key)
    trained(lab)
    broken = tmp_path / "runs.sqlite3"
    store.close()
    saved = broken.read_bytes()
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"runs.sqlite3{suffix}").unlink(missing_ok=True)
    broken.write_bytes(b"this is not a database " * 100)  # the disk under it went bad
    try:
        runs = lab.runs  # what was read before is still shown
        assert [r.id for r in runs] == [1]
        record = trained(lab)  # and a new run trains, kept in memory
        assert record.id >= 100_001 and record.status == Status.FINISHED
        notes = lab.notices()
        assert any(n.key == "store_down" for n in notes), notes
    finally:
        broken.write_bytes(saved)


class Outage:
    """A run store behind a network that can fail: while ``down``, every call says the store cannot be reached."""

    def __init__(self, store):
        self.store, self.down = store, False

    def __getattr__(self, name):
        found = getattr(self.store, name)
        if not callable(found):
            return found

        def call(*args, **kwargs):
            if self.down:
                raise StoreError.keyed("unreachable", where=self.store.where, detail="connection refused")
            return found(*args, **kwargs)

        return call


def first_epoch_stored(store, key: str, number: int) -> None:
    deadline = time.monotonic() + 60
    while not store.get_run(key, number).history:
        assert time.monotonic() < deadline, "the run's first epoch was never stored"
        time.sleep(0.05)


def test_runs_kept_in_memory_while_the_store_was_down_are_written_to_it_when_it_is_back(store):
    key = store.create_workspace()
    outage = Outage(store)
    lab = Lab(archive=StoreArchive(outage, key, owner="tab"))
    trained(lab)  # run 1, stored as it ends
    going = lab.start(QUICK.replace(train={"epochs": 100_000}))  # run 2: started with the store ...
    first_epoch_stored(store, key, going.id)
    outage.down = True  # ... which goes down before it ends
    lab.stop()
    assert lab.join(timeout=60)
    started_down = trained(lab, QUICK.replace(model={"hidden_size": 4}))  # started while it is down
    assert [r.id for r in lab.runs] == [1, 2, started_down.id] and started_down.id >= 100_001
    assert any(n.key == "store_down" for n in lab.notices())
    kept = {r.id: r for r in lab.runs}

    outage.down = False  # the store is back
    runs = lab.runs
    assert [r.id for r in runs] == [1, 2, 3]
    stored = {r.number: r for r in store.list_runs(key)}
    assert [(n, r.status) for n, r in stored.items()] == [(1, "finished"), (2, "stopped"), (3, "finished")]
    for number, was in ((2, kept[2]), (3, kept[started_down.id])):  # each whole: curve, results, weights
        back = store.get_run(key, number)
        assert back.history == was.history and back.status == was.status
        assert back.results["metrics"]["test"]["rmse"] == pytest.approx(was.metrics["test"]["rmse"])
        epoch, weights = store.weights(key, number)
        model = model_from_bytes(weights, was.config)
        assert epoch == was.kept_epoch
        assert all(torch.equal(v, model.state_dict()[k]) for k, v in was.result.model.state_dict().items())
    assert stored[3].config["model"]["hidden_size"] == 4
    assert lab.notices() == []  # the page no longer says that runs are kept in memory
    assert lab.archive.down is None and lab.archive.in_memory() == []
    assert [r.id for r in lab_on(store, key).runs] == [1, 2, 3]  # a reload finds them


def test_runs_of_a_tab_opened_without_the_store_go_into_its_workspace_each_whole_or_not_at_all(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/runs.sqlite3", StoreSettings(max_runs=2))
    key = store.create_workspace()
    lab = Lab()  # the store could not be opened when the tab was: runs in memory
    first, second, third = (trained(lab, QUICK.replace(model={"hidden_size": h})) for h in (4, 6, 8))
    assert [r.id for r in lab.runs] == [1, 2, 3]
    lab.use_archive(StoreArchive(store, key, owner="tab"))  # the store is back
    stored = store.list_runs(key)
    assert [(r.number, r.config["model"]["hidden_size"], r.has_model) for r in stored] == [(1, 4, True), (2, 6, True)]
    assert store.get_run(key, 2).history == second.history
    left = lab.runs[-1]  # the workspace holds the most it may: the third stays in memory, and the page says why
    assert left.id >= 100_001 and left.config.model.hidden_size == 8 and left.history == third.history
    notes = lab.notices()
    assert [n.key for n in notes] == ["store_down"] and "already holds 2 runs" in str(notes[0])
    assert store.usage(key).runs == 2  # nothing half-written
    lab.delete(lab.runs[0])  # room for it: it goes in on the next read
    assert [(r.id, r.config.model.hidden_size) for r in lab.runs] == [(2, 6), (3, 8)]
    assert lab.notices() == [] and store.usage(key).runs == 2


def test_a_postgresql_server_that_goes_down_and_comes_back_gets_the_runs_kept_meanwhile():
    if (why := postgres.missing()) is not None:
        postgres.unavailable(why)
    with postgres.start_postgres() as server:
        store = open_store(server.database(), StoreSettings(heartbeat_seconds=0.2))
        try:
            key = store.create_workspace()
            lab = lab_on(store, key)
            trained(lab)
            server.halt()
            during = trained(lab)
            assert during.id >= 100_001 and lab.archive.down.key == "unreachable"
            assert [r.id for r in lab.runs] == [1, during.id]
            server.resume()
            assert [r.id for r in lab.runs] == [1, 2]
            back = store.get_run(key, 2)
            assert back.status == "finished" and back.history == during.history and store.weights(key, 2) is not None
            assert lab.notices() == []
        finally:
            store.close()

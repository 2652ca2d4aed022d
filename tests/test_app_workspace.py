"""The app's workspace (AppTest): the workspace link opens the runs of another session and leaves the
address bar, a bad link is said and opens a new workspace, a store that cannot be used leaves the app
working in memory and saying so (and not that there are no runs), runs kept in memory go into the
workspace once the store is back, and a run that trains cannot be deleted."""

from __future__ import annotations

import gc
import time

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from rnncore.config import ExperimentConfig
from rnncore.lab import Lab
from rnncore.lab.archive import StoreArchive
from rnncore.store import open_store
from tests.apptest import APP, session_lab, stop_everything, texts
from ui import state

QUICK = ExperimentConfig().replace(model={"hidden_size": 8}, train={"epochs": 2})


@pytest.fixture(autouse=True)
def _stop():
    yield
    stop_everything()


def open_app(query: dict | None = None) -> AppTest:
    st.cache_resource.clear()
    gc.collect()
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    return at


def a_workspace_with_one_run() -> str:
    """A workspace in the app's own store (RNNLAB_STORE of the tests) holding one finished run."""
    store = open_store()
    key = store.create_workspace()
    lab = Lab(archive=StoreArchive(store, key))
    lab.start(QUICK)
    assert lab.join(timeout=120)
    lab.close()
    return key


def test_the_workspace_link_opens_its_runs_and_leaves_the_address_bar():
    key = a_workspace_with_one_run()
    at = open_app({"workspace": key})
    assert not at.exception
    assert "Opened the workspace of the link: 1 run(s)" in texts(at)
    assert session_lab().archive.key == key
    assert "workspace" not in at.query_params  # the experiment is published without the key
    at.switch_page("views/compare.py")
    at.run()
    assert any("#1 LSTM 8×1" in option for option in at.multiselect(key="w.compare.runs").value)
    at.switch_page("views/evaluate.py")
    at.run()
    assert not at.exception and "finished 2 epochs" in texts(at)  # the model, loaded from the store
    assert len(at.get("plotly_chart")) >= 3


def test_a_session_without_a_link_gets_a_new_empty_workspace_and_the_link_shows_its_key():
    key = a_workspace_with_one_run()
    at = open_app()
    mine = session_lab().archive.key
    assert mine != key and session_lab().runs == []
    assert not any(mine in str(code.value) for code in at.code)  # shown only when asked for
    at.toggle(key="w.workspace.show_link").set_value(True).run()
    assert any(mine in str(code.value) for code in at.code)  # "your workspace link", to copy
    assert all(key not in str(value) for value in at.query_params.values())


@pytest.mark.parametrize("bad", ["not-a-key", "A" * 40])
def test_a_workspace_link_that_is_malformed_or_unknown_is_said_and_opens_a_new_workspace(bad):
    at = open_app({"workspace": bad})
    assert not at.exception
    said = texts(at)
    assert "The workspace link is not one this server knows" in said, said
    assert session_lab().archive.stored and session_lab().archive.key != bad


def test_a_store_that_cannot_be_used_leaves_the_app_in_memory_and_says_so(tmp_path, monkeypatch):
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"not a database at all " * 64)
    monkeypatch.setenv("RNNLAB_STORE", f"sqlite:///{broken}")
    at = open_app()
    assert not at.exception
    said = texts(at)
    assert "The run store cannot be used" in said and "is not a database RNN Lab can read" in said, said
    assert not session_lab().archive.stored
    assert broken.read_bytes() == b"not a database at all " * 64  # nothing in it was changed
    at.switch_page("views/train.py")
    at.run()
    at.number_input(key="w.epochs").set_value(1)
    at.number_input(key="w.hidden_size").set_value(4)
    at.run()
    next(b for b in at.button if b.label == "Start").click()
    at.run()
    assert session_lab().join(timeout=60) and len(session_lab().runs) == 1  # trained, kept in memory


def test_deleting_the_workspace_takes_two_steps_and_leaves_a_new_empty_one():
    key = a_workspace_with_one_run()
    at = open_app({"workspace": key})
    assert len(session_lab().runs) == 1
    delete = next(b for b in at.sidebar.button if b.key == "b.delete_workspace")
    assert delete.disabled  # armed only by the checkbox
    at.sidebar.checkbox(key="w.workspace.confirm").check()
    at.run()
    next(b for b in at.sidebar.button if b.key == "b.delete_workspace").click()
    at.run()
    assert not at.exception and "The workspace was deleted" in texts(at)
    assert session_lab().archive.key != key and session_lab().runs == []
    assert not open_store().has_workspace(key)


def train_one_epoch(at: AppTest) -> None:
    at.switch_page("views/train.py")
    at.run()
    at.number_input(key="w.epochs").set_value(1)
    at.number_input(key="w.hidden_size").set_value(4)
    at.run()
    next(b for b in at.button if b.label == "Start").click()
    at.run()
    assert session_lab().join(timeout=60)


def test_runs_trained_while_the_store_was_down_go_into_the_workspace_when_it_is_back(tmp_path, monkeypatch):
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"not a database at all " * 64)
    monkeypatch.setenv("RNNLAB_STORE", f"sqlite:///{broken}")
    at = open_app()
    train_one_epoch(at)
    at.run()
    assert [r.id for r in session_lab().runs] == [1] and not session_lab().archive.stored
    assert "Runs are kept in this tab's memory only" in texts(at)

    back = f"sqlite:///{tmp_path}/back.sqlite3"
    monkeypatch.setenv("RNNLAB_STORE", back)  # the store is back
    state._failure.clear()  # (the app asks again every STORE_RETRY_SECONDS)
    at.run()
    assert not at.exception
    archive = session_lab().archive
    assert archive.stored and [r.id for r in session_lab().runs] == [1]
    (stored,) = open_store(back).list_runs(archive.key)
    assert (stored.number, stored.status, stored.epochs, stored.has_model) == (1, "finished", 1, True)
    said = texts(at)
    assert "kept in this tab's memory" not in said and "The run store cannot be used" not in said, said
    at.toggle(key="w.workspace.show_link").set_value(True).run()
    assert any(b.key == "b.new_workspace" for b in at.sidebar.button)  # the workspace's own panel instead


@pytest.mark.parametrize(("page", "instead"), [("views/compare.py", "No runs yet"),
                                               ("views/evaluate.py", "No finished run yet"),
                                               ("views/inside.py", "Train a model first")])
def test_a_tab_opened_while_the_store_is_down_says_so_not_that_there_are_no_runs(page, instead, monkeypatch):
    key = a_workspace_with_one_run()
    monkeypatch.setenv("RNNLAB_STORE", "postgresql+psycopg://nobody@127.0.0.1:9/none")  # nothing listens there
    at = open_app({"workspace": key})
    at.switch_page(page)
    at.run()
    assert not at.exception
    said = texts(at)
    assert instead not in said, said
    assert "This workspace's runs cannot be shown now: the run store" in said and "cannot be reached" in said, said


def test_the_delete_button_refuses_a_run_that_trains_and_says_to_stop_it_first():
    store = open_store()
    key = store.create_workspace()
    elsewhere = Lab(archive=StoreArchive(store, key, owner="another tab"))
    going = elsewhere.start(QUICK.replace(train={"epochs": 100_000}))
    try:
        deadline = time.monotonic() + 60
        while not store.list_runs(key) or not store.list_runs(key)[0].has_model:  # its first checkpoint
            assert time.monotonic() < deadline, "the run never kept its first weights"
            time.sleep(0.05)
        at = open_app({"workspace": key})
        at.switch_page("views/evaluate.py")
        at.run()
        next(b for b in at.button if b.key == "b.delete").click()
        at.run()
        assert not at.exception
        said = " ".join(e.value for e in at.error).replace("\\", "")
        assert f"run {going.id} is training" in said and "stop it there first" in said, said
        assert [r.status for r in store.list_runs(key)] == ["running"]  # nothing deleted
    finally:
        elsewhere.close()

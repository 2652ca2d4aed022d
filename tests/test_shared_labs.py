"""A run belongs to its workspace, not to a tab (rnncore/lab/shared.py, ui/state.py): the tabs of a workspace share
its Lab, a reload finds the run still training, and closing every tab stops it after the grace period; a Lab made
anew for a workspace takes the data and settings of its latest run, its file from the workspace's copy."""

from __future__ import annotations

import time

import pytest

from rnncore.config import ExperimentConfig
from rnncore.lab import Lab
from rnncore.lab.archive import StoreArchive
from rnncore.lab.shared import SharedLabs
from rnncore.store import open_store
from tests.apptest import session_lab, stop_everything, texts
from tests.test_app_workspace import open_app

CSV = ("date,flow\n" + "\n".join(f"{1871 + i}-01-01,{1000 + (i * 37) % 300}" for i in range(100)) + "\n").encode()
LONG = ExperimentConfig().replace(model={"hidden_size": 4, "cell": "lstm"}, train={"epochs": 100000})


@pytest.fixture(autouse=True)
def _stop():
    yield
    stop_everything()


def wait_until(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_the_tabs_of_a_workspace_share_its_lab_and_a_reload_within_the_grace_period_finds_it_training():
    made = []
    labs = SharedLabs(grace=0.3)

    def make():
        made.append(Lab())
        return made[-1]

    first = labs.enter("ws", "tab 1", make)
    assert labs.enter("ws", "tab 2", make) is first and len(made) == 1
    first.load("sample:airline_passengers")
    run = first.start(LONG)
    assert wait_until(lambda: run.progress().history)
    labs.leave("ws", "tab 1")
    labs.leave("ws", "tab 2")  # every tab closed: the grace period begins
    assert labs.enter("ws", "reloaded", make) is first and len(made) == 1  # back in time: the same Lab
    time.sleep(0.6)  # past the grace period of the first leave: nothing closed it
    assert run.status == "running" and labs.lab("ws") is first
    labs.leave("ws", "reloaded")
    assert wait_until(lambda: run.status.ended, timeout=20), run.status  # nobody came back: it stopped
    assert labs.lab("ws") is None and labs.enter("ws", "later", make) is not first


def test_a_deleted_workspaces_lab_is_closed_at_once():
    labs = SharedLabs(grace=3600)
    lab = labs.enter("ws", "tab", Lab)
    lab.load("sample:airline_passengers")
    run = lab.start(LONG)
    labs.close("ws")
    assert run.status.ended and labs.lab("ws") is None


def a_workspace_trained_on_a_file() -> str:
    store = open_store()
    key = store.create_workspace()
    lab = Lab(archive=StoreArchive(store, key))
    lab.load("nile.csv", content=CSV)
    lab.start(ExperimentConfig().replace(data={"source": "nile.csv"}, model={"hidden_size": 4},
                                         train={"epochs": 2}, window={"lookback": 6}))
    assert lab.join(timeout=120)
    lab.close()
    return key


def test_a_new_lab_of_a_workspace_takes_its_latest_runs_data_from_the_workspaces_copy():
    key = a_workspace_trained_on_a_file()
    at = open_app({"workspace": key})  # a new session after the server forgot the workspace's Lab
    lab = session_lab()
    assert lab.dataset is not None and lab.config.data.source == "nile.csv" and lab.upload == CSV
    assert lab.config.window.lookback == 6
    at.switch_page("views/train.py")
    at.run()
    said = texts(at)
    assert "The latest run of this workspace: #1" in said and "Press Start to train." not in said
    assert "no data is loaded" not in said


def test_a_link_made_on_a_file_the_workspace_keeps_loads_it_without_a_word_about_links():
    key = a_workspace_trained_on_a_file()
    link = {"workspace": key, "source": "nile.csv", "lookback": "6", "rows": "100"}
    at = open_app(link)
    said = texts(at)
    assert "This link asked for things" not in said and "made on the uploaded file" not in said, said
    assert session_lab().dataset is not None and session_lab().config.data.source == "nile.csv"
    unknown = open_app({"source": "never_uploaded.csv"})
    assert "made on the uploaded file never_uploaded.csv" in texts(unknown)  # one it never had is asked for



def test_a_session_that_goes_to_another_workspace_closes_the_lab_it_leaves_alone():
    labs = SharedLabs(grace=3600)
    first = labs.enter("old", "tab", Lab)
    kept = labs.enter("kept", "tab", Lab)
    labs.enter("kept", "other tab", Lab)
    labs.leave("old", "tab", at_once=True)
    labs.leave("kept", "tab", at_once=True)  # another tab is still in it: it stays
    assert labs.lab("old") is None and labs.lab("kept") is kept and first is not kept

"""The Sweep page (AppTest): a sweep chosen with its widgets trains its trials as runs of the workspace, shows
its figures, table and best trial, trains the best in one click, is found again after a reload and continued;
a range typed wrong, a study of another search space and a storage that cannot be used are said, and change
nothing."""

from __future__ import annotations

import gc
import hashlib
import json

import optuna
import pytest

from rnncore.sweeps import SweepDesk, SweepStorage
from tests.apptest import all_labs, session_lab, shown, stop_everything, texts
from tests.test_app_workspace import open_app
from ui import sweep as page

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(autouse=True)
def _stop():
    yield
    stop_everything()


def desks() -> list[SweepDesk]:
    gc.collect()
    return [o for o in gc.get_objects() if type(o) is SweepDesk]


OLD: list[SweepDesk] = []  # the desks of the sessions before this page was opened
OLD_LABS: list = []  # and their Labs (a page's frame, kept by a fragment's rerun, may hold them a while)


def desk() -> SweepDesk:
    """The SweepDesk of the AppTest session opened last."""
    (found,) = [d for d in desks() if not any(d is o for o in OLD)]
    return found


def on_sweep_page(query: dict | None = None):
    OLD[:], OLD_LABS[:] = desks(), all_labs()
    at = open_app(query)
    at.switch_page("views/sweep.py")
    return at.run()


def press(at, label: str):
    next(b for b in at.button if b.label == label).click()
    return at.run()


def ask(at, trials: int = 3, epochs: int = 3, study: str = "", hidden: tuple = (4, 8)):
    """Search the hidden units (``hidden``) and the learning rate, ``trials`` trials of ``epochs`` epochs."""
    at.multiselect(key=page.SEARCH).set_value(["hidden_size", "lr"])
    at.run()
    at.number_input(key=page.LOW + "hidden_size").set_value(hidden[0])
    at.number_input(key=page.HIGH + "hidden_size").set_value(hidden[1])
    at.number_input(key=page.TRIALS).set_value(trials)
    at.number_input(key=page.EPOCHS).set_value(epochs)
    at.selectbox(key=page.PRUNER).set_value("none")
    at.text_input(key=page.STUDY).set_value(study)
    return at.run()


def progress(at) -> str:
    return shown(" ".join(element.proto.text for element in at.get("progress")))


def studies(owner: str | None = None) -> list[str]:
    storage = SweepStorage()
    try:
        return storage.studies(owner)
    finally:
        storage.close()


def test_the_page_without_a_sweep_says_how_to_start_one():
    at = on_sweep_page()
    assert not at.exception, [e.message for e in at.exception]
    said = texts(at)
    assert "No sweep yet" in said and "Each trial is a run within this server's limits" in said
    assert at.multiselect(key=page.SEARCH).value == ["cell", "hidden_size", "num_layers", "lr"]
    stop = next(b for b in at.button if b.label == "Stop")
    assert stop.disabled and not next(b for b in at.button if b.label == "Start the sweep").disabled


def test_a_sweep_trains_its_trials_as_runs_shows_them_and_trains_the_best_in_one_click():
    at = ask(on_sweep_page(), study="page-sweep")
    press(at, "Start the sweep")
    assert not at.exception, [e.message for e in at.exception]
    job = desk().job
    assert job is not None and job.name == "page-sweep"
    assert job.join(timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    said = texts(at)
    assert "page-sweep: 3 of 3 trials" in progress(at) and "The sweep ended: 3 of 3 trials." in said, said
    assert "Best so far: trial" in said and "Hidden units" in said
    (table,) = at.dataframe
    frame = table.value
    assert list(frame["trial"]) == [0, 1, 2] and set(frame["state"]) == {"complete"}
    assert {"Hidden units", "Learning rate", "best validation loss", "run"} <= set(frame.columns)
    lab = session_lab(OLD_LABS)
    runs = {r.id: r for r in lab.runs}
    assert set(frame["run"]) <= set(runs)  # every trial is a run of this workspace
    for _, row in frame.iterrows():
        assert runs[row["run"]].config.model.hidden_size == row["Hidden units"]
        assert runs[row["run"]].config.train.epochs == 3
    assert len(at.get("plotly_chart")) >= 1  # the figures Optuna can draw from three trials
    assert any(t.label == "Optimisation history" for t in at.tabs)
    per_epoch = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "per epoch" in c.proto.spec)
    assert per_epoch["layout"]["showlegend"]  # three trials, each named
    colours = [trace["line"]["color"] for trace in per_epoch["data"]]
    assert len(set(colours)) == 3 and not set(colours) & {"#d5dae5", "#ffffff", "white"}  # none white on white
    if any(tab.label == "Setting importances" for tab in at.tabs):
        assert "Computed from 3 completed trials" in said  # importances from three trials: a rough guess
    best = job.sweep.best()
    assert any(f"hidden_size={best.params['hidden_size']}" in str(code.value) for code in at.code)  # its link
    press(at, "Train these settings")
    assert not at.exception, [e.message for e in at.exception]
    (started,) = lab.active()  # one run, of the best trial's settings, on the Train page
    assert started.config == job.sweep.config_of(best) == lab.config
    assert at.title[0].value == "Train"
    assert lab.join(timeout=60)


def test_a_study_is_found_again_after_a_reload_and_continued():
    at = ask(on_sweep_page(), trials=2, epochs=2, study="again")
    press(at, "Start the sweep")
    assert desk().job.join(timeout=120)
    key = session_lab(OLD_LABS).archive.key
    stop_everything()
    at = on_sweep_page({"workspace": key})  # a reload: a new session of the same workspace
    assert "No sweep yet" in texts(at) and any(e.label == "This workspace's studies (1)" for e in at.expander)
    at.selectbox(key=page.OPEN).set_value("again")
    press(at, "Open")
    said = texts(at)
    assert "A stored study" in said and "again: 2 of 2 trials" in progress(at), said
    at.number_input(key="w.sweep.more").set_value(3)
    press(at, "Continue this study")
    assert not at.exception, [e.message for e in at.exception]
    job = desk().job
    assert job.name == "again" and job.join(timeout=120)
    at.run()
    assert "again: 3 of 3 trials" in progress(at)
    outcomes = job.sweep.outcomes()
    assert [o.number for o in outcomes] == [0, 1, 2]
    at.selectbox(key="w.sweep.run").set_value(outcomes[1].run)
    press(at, "Evaluate")  # a trial's run, opened where any run is
    assert at.title[0].value == "Evaluate" and at.selectbox(key="w.evaluate.run").value == outcomes[1].run
    assert not at.exception, [e.message for e in at.exception]


@pytest.mark.parametrize(("change", "said"), [
    ({"hidden": (8, 4)}, "the search range of Hidden units runs backwards (8 to 4)"),
    ({"hidden": (6, 6)}, "the search range of Hidden units is empty (6 to 6)"),
    ({"study": "no spaces please"}, "cannot name a study"),
])
def test_a_range_or_a_name_typed_wrong_is_said_and_no_study_is_made(change, said):
    at = ask(on_sweep_page(), **change)
    press(at, "Start the sweep")
    assert not at.exception, [e.message for e in at.exception]
    assert said in texts(at).replace("hidden_size", "Hidden units"), texts(at)
    mine = hashlib.sha256(session_lab(OLD_LABS).archive.key.encode()).hexdigest()[:16]
    assert desk().job is None and studies(mine) == []  # this workspace has no study


def test_a_study_of_another_search_space_is_refused_and_left_as_it_was():
    at = ask(on_sweep_page(), trials=1, epochs=2, study="fixed-space")
    press(at, "Start the sweep")
    assert desk().job.join(timeout=120)
    trials = optuna.load_study(study_name="fixed-space", storage=SweepStorage().optuna).trials
    at = ask(at, trials=3, epochs=2, study="fixed-space", hidden=(4, 16))
    press(at, "Start the sweep")
    assert "already exists with another search space" in texts(at)
    again = optuna.load_study(study_name="fixed-space", storage=SweepStorage().optuna)
    assert again.trials == trials and again.user_attrs["trials"] == 1


def test_a_study_of_another_workspace_is_not_listed_nor_taken_over():
    at = ask(on_sweep_page(), trials=1, epochs=2, study="theirs")
    press(at, "Start the sweep")
    assert desk().job.join(timeout=120)
    stop_everything()
    at = ask(on_sweep_page(), trials=1, epochs=2, study="theirs")  # a new workspace
    assert not any("studies" in e.label for e in at.expander)
    press(at, "Start the sweep")
    assert "a study named theirs already exists in another workspace" in texts(at)
    assert desk().job is None


def test_a_storage_that_cannot_be_used_is_said_on_the_page(tmp_path, monkeypatch):
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"not a database " * 64)
    monkeypatch.setenv("RNNLAB_STORE", f"sqlite:///{broken}")
    at = on_sweep_page()
    assert not at.exception, [e.message for e in at.exception]
    assert "Sweeps keep their studies in the run store, which cannot be used now" in texts(at)
    assert not any(b.label == "Start the sweep" for b in at.button)
    assert broken.read_bytes() == b"not a database " * 64


def test_a_classifier_loaded_on_data_is_swept_for_accuracy_and_its_best_trains_on_train():
    OLD[:], OLD_LABS[:] = desks(), all_labs()
    at = open_app()
    at.switch_page("views/data.py")
    at.run()
    at.segmented_control(key="w.task").set_value("classify")
    at.run()
    at.selectbox(key="w.task_source.classify").set_value("synthetic:waveform")
    press(at, "Use this data set")
    at.switch_page("views/sweep.py")
    at.run()
    said = texts(at)
    assert not at.exception and "settings of a sequence classifier of Which waveform" in said, said
    at = ask(at, trials=2, epochs=2, study="page-classes", hidden=(4, 6))
    press(at, "Start the sweep")
    job = desk().job
    assert job is not None and job.sweep.objective == ("accuracy", "maximize") and job.join(timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    said = texts(at)
    assert "Best so far: trial" in said and "validation accuracy" in said
    (table,) = at.dataframe
    frame = table.value
    assert set(frame["state"]) == {"complete"} and frame["validation accuracy"].between(0, 1).all()
    best = job.sweep.best()
    assert best.value == frame["validation accuracy"].max()
    assert any("/train?" in str(code.value) and "task=classify" in str(code.value) for code in at.code)  # its link
    press(at, "Train these settings")
    assert not at.exception and at.title[0].value == "Train"
    lab = session_lab(OLD_LABS)
    assert lab.current.config.data.source == "synthetic:waveform" and lab.current.task == "classify"
    assert lab.current.config.model.hidden_size == best.params["hidden_size"]
    assert lab.join(timeout=120) and lab.current.record.status == "finished"
    stored = [s for s in lab.archive.store.list_runs(lab.archive.key)]
    assert [s.task for s in stored] == ["classify"] * 3  # each trial a run of the workspace, and the best trained

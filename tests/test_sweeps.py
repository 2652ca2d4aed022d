"""Sweeps (rnncore.sweeps): search spaces derived from the settings' declarations, every bad input refused
with its message before anything is stored, pruning, reproducibility, resuming a study in SQLite, trials
recorded as runs, and two worker processes on one study in PostgreSQL. Tiny configs: a few epochs of a
4-to-8-unit GRU on the airline series."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import optuna
import pytest

from rnncore.config import CELLS, SETTINGS, ExperimentConfig
from rnncore.errors import ConfigError, SweepError
from rnncore.store import open_store
from rnncore.sweeps import (
    DEFAULT_SEARCH,
    SEARCH_DEFAULTS,
    SEARCHABLE,
    Dimension,
    SearchSpace,
    Sweep,
    SweepDesk,
    SweepJob,
    figures,
)
from rnncore.training.limits import RunLimits

ROOT = Path(__file__).resolve().parents[1]
BASE = ExperimentConfig().replace(model={"cell": "gru", "hidden_size": 4}, window={"lookback": 12},
                                  train={"epochs": 5, "batch_size": 16})
SPACE = SearchSpace({"hidden_size": (4, 8), "lr": (1e-4, 0.3)})
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:9/x"

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path}/sweeps.sqlite3"


def trials_of(url: str, name: str):
    return optuna.load_study(study_name=name, storage=url).get_trials(deepcopy=True)


def state_of(url: str, name: str):
    """Everything a study holds that a refused sweep must leave as it was."""
    study = optuna.load_study(study_name=name, storage=url)
    trials = [(t.number, t.state, t.value, t.params, t.user_attrs, t.intermediate_values) for t in study.trials]
    return trials, study.user_attrs


# search spaces ------------------------------------------------------------------------------------------
def test_every_searchable_setting_takes_its_kind_range_and_scale_from_its_declaration():
    assert set(DEFAULT_SEARCH) <= set(SEARCHABLE)
    assert set(SEARCHABLE) == {"cell", "hidden_size", "num_layers", "lr", "lookback", "batch_size", "dropout",
                               "weight_decay", "clip_norm", "forget_bias"}
    for name in SEARCHABLE:
        declared, dim = SETTINGS[name], Dimension.of(name)
        assert dim.setting is declared and dim.log == declared.log
        if declared.choices is not None:
            assert dim.choices == declared.choices
            continue
        low, high = SEARCH_DEFAULTS[name]
        assert declared.low <= low < high <= declared.high, name  # the default range lies inside the declared one
        assert isinstance(low, declared.kind) and isinstance(high, declared.kind), name
    assert {n for n in SEARCHABLE if SETTINGS[n].log} == {"hidden_size", "lr", "batch_size"}
    assert Dimension.of("cell").choices == CELLS
    assert Dimension.of("dropout").step == SETTINGS["dropout"].step  # the widget's step, where the range fits it
    assert Dimension.of("lr").step is None


def test_a_space_reads_from_text_and_round_trips_through_a_studys_attributes():
    space = SearchSpace.parse("lr, cell=lstm|gru, hidden_size=4:64")
    assert space.names == ("cell", "hidden_size", "lr")  # drawn in one order, whatever order it was written in
    assert space["cell"].choices == ("lstm", "gru") and (space["hidden_size"].low, space["hidden_size"].high) == (4, 64)
    assert (space["lr"].low, space["lr"].high) == SEARCH_DEFAULTS["lr"]
    assert SearchSpace.from_dict(space.to_dict()) == space
    assert SearchSpace.parse("cell=gru/lstm,hidden_size=4:64,lr") == space  # the same space, spelled otherwise
    assert SearchSpace.parse("hidden_size=4:65,lr") != space
    cfg = space.configure(BASE, {"cell": "lstm", "hidden_size": 9, "lr": 0.01})
    assert (cfg.model.cell, cfg.model.hidden_size, cfg.train.lr, cfg.window.lookback) == ("lstm", 9, 0.01, 12)


@pytest.mark.parametrize("text, key, said", [
    ("hidden_size=8:8", "empty_range", "the search range of hidden_size is empty (8 to 8)"),
    ("cell=lstm", "empty_range", "the search range of cell is empty"),
    ("cell=", "empty_choices", "names no choice"),
    ("lr=0.1:0.001", "inverted_range", "runs backwards (0.1 to 0.001); give the lower bound first: lr=0.001:0.1"),
    ("hidden_size=0:64", "outside", "leaves the values hidden_size may take (1 to 1,024)"),
    ("lr=1e-07:0.01", "outside", "leaves the values lr may take"),
    ("dropout=0:0.95", "outside", "(0 to 0.9)"),
    ("epochs", "unknown_setting", "'epochs' cannot be searched; the settings a sweep can search are: cell,"),
    ("colour=1:2", "unknown_setting", "'colour' cannot be searched"),
    ("cell=lstm|tree", "unknown_choice", "cell has no choice 'tree'"),
    ("hidden_size=a:b", "bad_range", "cannot read the search range"),
    ("hidden_size=4.5:8", "bad_range", "cannot read the search range"),
    ("hidden_size=8", "bad_range", "NAME=LOW:HIGH"),
    ("", "nothing_to_search", "the search space is empty"),
    ("lr,lr", "twice", "lr is named twice"),
])
def test_a_bad_search_space_says_what_is_wrong(text, key, said):
    with pytest.raises(SweepError) as caught:
        SearchSpace.parse(text)
    assert caught.value.key == key and said in str(caught.value), str(caught.value)


def test_a_plan_the_server_or_the_data_cannot_train_is_refused_before_anything_is_stored(tmp_path):
    where = tmp_path / "never.sqlite3"

    def refused(base=BASE, space=SPACE, **given):
        with pytest.raises((SweepError, ConfigError)) as caught:
            Sweep.create(base, space, **{"trials": 3, "storage": f"sqlite:///{where}", "study": "s", **given})
        return caught.value

    assert refused(trials=0).key == "zero_trials"
    assert "at least one trial (0 given)" in str(refused(trials=0))
    assert refused(seconds=-1).key == "bad_seconds"
    assert refused(pruner="sometimes").key == "unknown_pruner"
    assert refused(study="no spaces").key == "bad_study_name"
    over = refused(space=SearchSpace({"lookback": (4, 2000)}))
    assert over.key == "over_limit" and "max_lookback=1000" in str(over)
    big = refused(limits=RunLimits(max_parameters=200))
    assert big.key == "too_many_parameters" and "hidden_size 8" in str(big) and "max_parameters=200" in str(big)
    short = refused(space=SearchSpace({"lookback": (4, 200)}))
    assert short.key == "lookback_too_long" and "lookback 200" in str(short)
    assert refused(base=BASE.replace(window={"val_fraction": 0.0})).key == "no_validation"
    relu = refused(base=BASE.replace(model={"cell": "lstm", "activation": "relu"}),
                   space=SearchSpace({"cell": ("lstm", "gru"), "lr": None}))
    assert relu.key == "bad_combination" and "GRU" in str(relu).upper()
    assert refused(limits=RunLimits(max_epochs=3)).key == "over_limit"  # the fixed epochs: a ConfigError
    assert not where.exists()


def test_an_unreachable_storage_says_so_in_one_sentence():
    with pytest.raises(SweepError) as caught:
        Sweep.create(BASE, SPACE, trials=2, storage=UNREACHABLE, study="s")
    assert caught.value.key == "unreachable"
    text = str(caught.value)
    assert text.startswith("the sweep's storage postgresql+psycopg://nobody@127.0.0.1:9/x cannot be reached (")
    assert "check that the database server is running" in text and "\n" not in text
    with pytest.raises(SweepError) as caught:
        Sweep.join("s", storage="mysql://nobody@127.0.0.1:9/x")
    assert caught.value.key == "bad_url"


# a study: refusals, pruning, runs, figures ----------------------------------------------------------------
class CountingSlots:
    """A Trainer's slots that count what they gave (and check they are given back)."""

    def __init__(self):
        self.acquired = self.released = 0
        self.lock = threading.Lock()

    def acquire(self, timeout=None):
        with self.lock:
            self.acquired += 1
        return True

    def release(self):
        with self.lock:
            self.released += 1


def test_pruning_prunes_each_trial_is_a_run_and_a_refused_sweep_leaves_the_study_as_it_was(url):
    store = open_store(url)
    key = store.create_workspace()
    slots = CountingSlots()
    space = SearchSpace({"hidden_size": (4, 8), "lr": (1e-4, 0.3)})
    with Sweep.create(BASE, space, trials=8, seed=3, storage=url, study="p", store=store, workspace_key=key,
                      slots=slots) as sweep:
        mine = sweep.run()
        outcomes = sweep.outcomes()
        shown = sweep.figures()
    assert [o.number for o in mine] == list(range(8)) and [o.number for o in outcomes] == list(range(8))
    states = [o.state for o in outcomes]
    assert "pruned" in states and "complete" in states, states
    assert sum(o.epochs for o in outcomes) < 8 * BASE.train.epochs
    pruned = [o for o in outcomes if o.state == "pruned"]
    assert all(o.pruned_by == "pruner" and o.epochs < BASE.train.epochs for o in pruned)
    assert slots.acquired == slots.released == 8

    runs = {r.number: r for r in store.list_runs(key)}  # each trial is a run of the workspace, linked both ways
    assert sorted(runs) == sorted(o.run for o in outcomes)
    for o in outcomes:
        run = runs[o.run]
        assert run.epochs == o.epochs and run.config["model"]["hidden_size"] == o.params["hidden_size"]
        assert run.status == ("stopped" if o.state == "pruned" else "finished")
    assert set(shown) == {"history", "intermediate", "parallel", "importance", "slice"}

    before = state_of(url, "p")
    for space_, base, settings in [(SearchSpace({"hidden_size": (4, 16), "lr": (1e-4, 0.3)}), BASE, {}),
                                   (space, BASE.replace(window={"lookback": 10}), {}),
                                   (space, BASE, {"pruner": "hyperband"}),
                                   (space, BASE, {"trials": 0})]:
        with pytest.raises(SweepError) as caught:
            Sweep.create(base, space_, **{"trials": 9, "seed": 3, "storage": url, "study": "p", **settings})
        assert caught.value.key in ("other_space", "other_settings", "zero_trials")
        assert state_of(url, "p") == before
    with pytest.raises(SweepError) as caught:
        Sweep.create(BASE, SearchSpace({"hidden_size": (4, 16), "lr": (1e-4, 0.3)}), trials=9, seed=3,
                     storage=url, study="p")
    assert "already exists with another search space (hidden_size 4 to 8 (log), lr 0.0001 to 0.3 (log))" \
        in str(caught.value)
    with pytest.raises(SweepError) as caught:
        Sweep.create(BASE.replace(window={"lookback": 10}), space, trials=9, seed=3, storage=url, study="p")
    assert "other fixed settings (window.lookback 12 -> 10)" in str(caught.value)
    with pytest.raises(SweepError) as caught:
        Sweep.join("q", storage=url)
    assert caught.value.key == "no_study" and "(studies there: p)" in str(caught.value)
    assert state_of(url, "p") == before


def test_hyperband_prunes_too(url):
    with Sweep.create(BASE.replace(train={"epochs": 9}), SPACE, trials=6, storage=url, study="h",
                      pruner="hyperband") as sweep:
        outcomes = sweep.run()
    assert isinstance(sweep.study.pruner, optuna.pruners.HyperbandPruner)
    assert any(o.state == "pruned" for o in outcomes) and sum(o.epochs for o in outcomes) < 6 * 9


def test_the_same_seed_gives_the_same_trials_and_best_value(tmp_path):
    found = []
    for attempt in range(2):
        with Sweep.create(BASE, SPACE, trials=4, seed=11, storage=f"sqlite:///{tmp_path}/{attempt}.sqlite3",
                          study="same") as sweep:
            sweep.run()
            found.append(([(o.number, o.state, o.params, o.value, o.epochs) for o in sweep.outcomes()],
                          sweep.best().value, sweep.best().params))
    assert found[0] == found[1]


def test_a_study_in_sqlite_survives_reopening_and_resumes_where_it_stopped(url):
    with Sweep.create(BASE, SPACE, trials=2, storage=url, study="r", pruner="none") as sweep:
        first = [(o.number, o.params, o.value) for o in sweep.run()]
    assert [n for n, *_ in first] == [0, 1]
    with Sweep.create(BASE, SPACE, trials=3, storage=url, study="r", pruner="none") as sweep:  # the budget grows
        more = sweep.run()
        every = sweep.outcomes()
    assert [o.number for o in more] == [2]
    assert [(o.number, o.params, o.value) for o in every[:2]] == first and len(every) == 3
    with Sweep.join("r", storage=url) as sweep:  # the budget is spent: a worker that joins now has nothing to do
        assert sweep.run() == [] and sweep.budget == 3
    study = optuna.load_study(study_name="r", storage=url)
    assert study.user_attrs["workers"] == 3 and study.user_attrs["trials"] == 3


def test_the_sweeps_time_budget_cuts_the_trial_that_runs_over_it(url):
    long = BASE.replace(train={"epochs": 1000})
    with Sweep.create(long, SPACE, trials=5, storage=url, study="t", seconds=1.0) as sweep:
        mine = sweep.run()
    assert 1 <= len(mine) <= 2 and mine[-1].state == "pruned" and mine[-1].pruned_by == "time_budget"
    assert mine[-1].epochs < 1000


def test_figures_draw_what_a_study_with_too_few_trials_allows(url):
    study = optuna.create_study(study_name="few", storage=url)
    assert figures(study) == {}
    trial = study.ask()
    trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    trial.report(0.5, 1)
    study.tell(trial, 0.4)
    drawn = figures(study)
    assert "history" in drawn and "intermediate" in drawn and "importance" not in drawn


def test_stop_ends_the_training_trial_as_stopped_and_no_trial_starts_after_it(url):
    long = BASE.replace(train={"epochs": 1000})
    with Sweep.create(long, SPACE, trials=5, storage=url, study="s", pruner="none") as sweep:
        job = SweepJob(sweep)
        job.start()
        deadline = time.monotonic() + 60
        while (sweep.training is None or sweep.training[1] < 2) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert job.running and sweep.training[0] == 0
        job.stop()
        assert job.join(timeout=60) and job.error is None and not job.running
        outcomes = sweep.outcomes()
    assert len(outcomes) == 1, [o.line() for o in outcomes]  # the budget of 5 is not spent: nothing else started
    (only,) = outcomes
    assert only.state == "pruned" and only.pruned_by == "stopped" and 2 <= only.epochs < 1000
    assert only.row()["state"] == "stopped" and "stopped" in only.line()


def test_a_study_viewed_shows_its_trials_without_a_worker_joining_and_cannot_train(url):
    with Sweep.create(BASE, SPACE, trials=2, storage=url, study="v", pruner="none", owner="me") as sweep:
        sweep.run()
        trained = [(o.number, o.params, o.value) for o in sweep.outcomes()]
    with Sweep.view("v", storage=url) as viewed:
        assert [(o.number, o.params, o.value) for o in viewed.outcomes()] == trained
        assert viewed.plan.space == SPACE and viewed.best().value == min(v for *_, v in trained)
        with pytest.raises(RuntimeError, match="join it to train"):
            viewed.run()
    assert optuna.load_study(study_name="v", storage=url).user_attrs["workers"] == 1  # the creator only
    with pytest.raises(SweepError) as caught:
        Sweep.view("none-such", storage=url)
    assert caught.value.key == "no_study"


def test_studies_are_listed_by_their_owner(url):
    from rnncore.sweeps import SweepStorage

    for name, owner in (("a", "me"), ("b", "you"), ("c", "me")):
        Sweep.create(BASE, SPACE, trials=1, storage=url, study=name, owner=owner).close()
    storage = SweepStorage(url)
    try:
        assert storage.studies() == ["a", "b", "c"]
        assert storage.studies("me") == ["a", "c"] and storage.studies("you") == ["b"]
        assert storage.studies("nobody") == []
    finally:
        storage.close()


def test_a_desk_trains_one_sweep_at_a_time_and_a_refused_one_changes_nothing(url):
    desk = SweepDesk()
    long = BASE.replace(train={"epochs": 1000})
    first = desk.start(Sweep.create(long, SPACE, trials=3, storage=url, study="one", pruner="none"))
    try:
        second = Sweep.create(BASE, SPACE, trials=3, storage=url, study="two")
        with pytest.raises(SweepError) as caught:
            desk.start(second)
        assert caught.value.key == "sweep_going" and "the sweep one is still training" in str(caught.value)
        with pytest.raises(SweepError):
            desk.open(Sweep.view("two", storage=url))
        assert desk.job is first and desk.running
        assert optuna.load_study(study_name="two", storage=url).trials == []  # never trained
    finally:
        desk.close()
        assert first.join(timeout=60)
    assert not desk.running
    viewed = desk.open(Sweep.view("one", storage=url))  # the ended one is closed, the study opened to look at
    assert desk.job is viewed and not viewed.started and len(viewed.sweep.outcomes()) == 1
    viewed.close()


def test_optunas_words_and_parameter_names_are_relabelled(url):
    from rnncore.sweeps import relabel

    with Sweep.create(BASE, SPACE, trials=3, storage=url, study="w", pruner="none") as sweep:
        sweep.run()
        drawn = sweep.figures()
    words = {"Objective Value": "validation loss", "Trial": "trial", "Step": "epoch", "lr": "learning rate",
             "Best Value": "best", "Hyperparameter": "setting", "hidden_size": "hidden units"}
    history = relabel(drawn["history"], words)
    assert history.layout.yaxis.title.text == "validation loss" and history.layout.xaxis.title.text == "trial"
    assert {tr.name for tr in history.data} >= {"validation loss", "best"}
    names = {tr.name for tr in relabel(drawn["intermediate"], words).data}
    assert names == {"trial 0", "trial 1", "trial 2"}
    importance = relabel(drawn["importance"], words)
    assert set(importance.data[0].y) == {"learning rate", "hidden units"}
    parallel = relabel(drawn["parallel"], words)
    assert "learning rate" in parallel.layout.xaxis.ticktext and "lr" not in parallel.layout.xaxis.ticktext


def test_a_choices_values_are_relabelled_where_optuna_quotes_them():
    import plotly.graph_objects as go

    from rnncore.sweeps import relabel

    figure = go.Figure(go.Scatter(x=["'lstm'", "'gru'", "'lstm'"], y=[1, 2, 3]))
    figure.update_xaxes(type="category", categoryarray=["'lstm'", "'gru'"], title_text="cell")
    figure.add_annotation(text="lstm", x=0, y=0)
    relabel(figure, {"lstm": "LSTM", "gru": "GRU", "cell": "Cell"})
    assert figure.data[0].x == ("LSTM", "GRU", "LSTM") and figure.layout.xaxis.categoryarray == ("LSTM", "GRU")
    assert figure.layout.xaxis.title.text == "Cell" and figure.layout.annotations[0].text == "LSTM"


# two workers on PostgreSQL ----------------------------------------------------------------------------
def test_two_worker_processes_on_postgresql_complete_a_study_with_no_trial_lost_or_twice(postgres_server):
    url = postgres_server.database("sweep")
    budget = 6
    Sweep.create(BASE.replace(train={"epochs": 3}), SPACE, trials=budget, storage=url, study="two").close()
    workers = [subprocess.Popen([sys.executable, "-m", "rnncore", "sweep", "--join", "--study", "two",
                                 "--storage", url], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(2)]
    said = [worker.communicate(timeout=240) for worker in workers]
    for worker, (_out, err) in zip(workers, said, strict=True):
        assert worker.returncode == 0, err
    numbers = [[int(line.split()[1]) for line in out.splitlines() if line.startswith("trial ")] for out, _ in said]
    assert sorted(numbers[0] + numbers[1]) == list(range(budget)), numbers  # each trial once, by one worker
    trials = trials_of(url, "two")
    assert [t.number for t in trials] == list(range(budget))
    assert all(t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED) for t in trials)
    assert {t.user_attrs["worker"] for t in trials} <= {1, 2}
    assert len({tuple(sorted(t.params.items())) for t in trials}) == budget  # the workers drew apart

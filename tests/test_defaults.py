"""Defaults that teach: every bundled sample brings the settings a sweep chose for it within the class budget, a
default run of it beats its naive baselines on test, the default class challenge is won by a default run, Evaluate
says why a model of a trending series fails and tries differencing in one click, and Compare draws the level of
always predicting the mean for a memory task."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from rnncore.classroom import challenge as challenges
from rnncore.classroom.challenge import Challenge
from rnncore.config import SETTINGS, ExperimentConfig
from rnncore.data import list_samples
from rnncore.data.labelled import LABELLED_SAMPLES
from rnncore.data.samples import RECOMMENDED, sample_defaults, sample_unbeaten
from rnncore.data.text import TEXT_SAMPLES
from rnncore.data.windows import make_windows
from rnncore.lab import Lab
from rnncore.tasks.build import recommended, task_data, task_run
from tests.apptest import new_app, session_lab, stop_everything, texts

# every bundled sample: (task, name, its recorded defaults)
BUNDLED = ([("forecast", name, sample_defaults(name)) for name in list_samples()]
           + [("charlm", name, sample.defaults) for name, sample in TEXT_SAMPLES.items()]
           + [("classify", name, sample.defaults) for name, sample in LABELLED_SAMPLES.items()])
NAIVE = ("mean", "persistence", "seasonal_naive")  # a series' naive baselines (linear is a fitted model)
TREND = "t,sales\n" + "\n".join(f"{i},{100 + 3 * i + 2 * np.sin(i):.3f}" for i in range(200)) + "\n"


def config_of(task: str, name: str) -> ExperimentConfig:
    """A default run of a bundled sample: its recommended settings, everything else as declared."""
    return recommended(ExperimentConfig().replace(data={"source": f"sample:{name}", "task": task}))


@pytest.mark.parametrize(("task", "name", "defaults"), BUNDLED, ids=[b[1] for b in BUNDLED])
def test_every_bundled_sample_records_settings_a_class_budget_allows(task, name, defaults):
    assert defaults, f"{name} has no recommended settings"
    cfg = config_of(task, name)
    for section, values in defaults.items():
        for setting, value in values.items():
            assert setting in RECOMMENDED and SETTINGS[setting].section == section, (name, setting)
            assert getattr(getattr(cfg, section), setting) == value, (name, setting)
    budget = Challenge()
    assert cfg.train.epochs <= budget.max_epochs
    if task == "forecast":
        from rnncore.data.sources import load_source
        from rnncore.nn.models import parameter_count

        windows = make_windows(load_source(cfg.data.source), cfg.window)
        parameters = parameter_count(cfg.model, windows.train.x.shape[2], windows.horizon)
    else:
        parameters = task_run(cfg, task_data(cfg)).parameters
    assert parameters <= budget.max_parameters


def test_loading_a_sample_sets_its_recommended_settings_and_other_data_keeps_the_settings():
    lab = Lab()
    assert lab.config == config_of("forecast", "airline_passengers")  # the first visit: the default sample's
    lab.config = lab.config.replace(model={"hidden_size": 5}, train={"seed": 7, "max_seconds": 30})
    lab.load("sample:sunspots")
    sunspots = config_of("forecast", "sunspots")
    assert (lab.config.window, lab.config.model) == (sunspots.window, sunspots.model)
    assert (lab.config.train.seed, lab.config.train.max_seconds) == (7, 30)  # the person's own settings stay
    assert lab.config.train.epochs == sunspots.train.epochs and lab.config.train.lr == sunspots.train.lr
    lab.config = lab.config.replace(model={"hidden_size": 5})
    lab.load("synthetic:sine", {"length": 300})  # the person's change stays, the sample's recommendations go
    declared = ExperimentConfig().replace(train={"seed": 7, "max_seconds": 30})
    assert lab.config == dataclasses.replace(declared.replace(model={"hidden_size": 5}), data=lab.config.data)
    lab.load("sample:airline_passengers")
    lab.load("sales.csv", content=TREND.encode())
    assert lab.config == dataclasses.replace(declared, data=lab.config.data)
    lab.close()


def test_the_command_line_starts_from_a_samples_recommended_settings_and_flags_override_them():
    from rnncore.__main__ import build_config, make_parser

    def built(*flags):
        return build_config(make_parser().parse_args(["train", "--out", "x", *flags]))

    assert built("--data", "sample:co2") == config_of("forecast", "co2")
    recorded = sample_defaults("co2")
    assert built("--data", "sample:co2").window.lookback == recorded["window"]["lookback"] != 24
    assert built("--task", "charlm", "--data", "sample:tang300").model.hidden_size == \
        TEXT_SAMPLES["tang300"].defaults["model"]["hidden_size"]
    assert built("--data", "sample:co2", "--hidden", "5").model.hidden_size == 5
    assert built("--data", "sample:co2", "--hidden", "5").window == config_of("forecast", "co2").window
    assert built("--task", "charlm", "--data", "sample:tang300") == config_of("charlm", "tang300")
    assert built("--data", "synthetic:sine") == ExperimentConfig().replace(data={"source": "synthetic:sine"})


def test_the_data_page_shows_and_says_a_samples_recommended_settings():
    at = new_app()
    try:
        at.switch_page("views/data.py")
        at.run()
        at.selectbox(key="w.sample").set_value("sunspots")
        at.button(key="b.use_sample").click()
        at.run()
        assert not at.exception
        sunspots = config_of("forecast", "sunspots")
        assert session_lab().config.window == sunspots.window
        assert sunspots.window.lookback == sample_defaults("sunspots")["window"]["lookback"] != 24
        assert at.number_input(key="w.lookback").value == sunspots.window.lookback  # the widget follows
        assert "comes with the settings a search chose for it" in texts(at)
    finally:
        stop_everything()


def test_the_data_page_starts_a_text_or_labels_task_from_the_picked_samples_recommended_settings():
    at = new_app()
    try:
        at.switch_page("views/data.py")
        at.run()
        at.segmented_control(key="w.task").set_value("charlm")
        at.run()
        genesis = config_of("charlm", "genesis")
        assert at.number_input(key="w.lookback").value == genesis.window.lookback
        assert session_lab().config.model.hidden_size == genesis.model.hidden_size
        at.selectbox(key="w.task_source.charlm").set_value("sample:tang300")
        at.button(key="b.use.charlm").click()
        at.run()
        tang = config_of("charlm", "tang300")
        assert session_lab().config.model == tang.model and session_lab().config.train.epochs == tang.train.epochs
        assert "comes with the settings a search chose for it" in texts(at)
        at.switch_page("views/train.py")
        at.run()
        assert at.number_input(key="w.hidden_size").value == tang.model.hidden_size
        at.switch_page("views/data.py")
        at.run()
        at.segmented_control(key="w.task").set_value("classify")
        at.run()
        italy = config_of("classify", "italy_power_demand")
        assert session_lab().config.model.hidden_size == italy.model.hidden_size
        assert not at.exception
    finally:
        stop_everything()


@pytest.mark.slow
@pytest.mark.parametrize("name", list_samples())
def test_a_default_run_of_each_series_sample_beats_its_naive_baselines_on_test(name):
    """benchmarks/sample_defaults.py says the same for every sample, with the texts and the linear model."""
    from rnncore.training.trainer import run_experiment

    result = run_experiment(config_of("forecast", name))
    model = result.metrics["test"]["rmse"]
    beaten = {base: model < result.baselines[base]["test"]["rmse"] for base in NAIVE if base in result.baselines}
    assert set(beaten) >= {"mean", "persistence"}
    unbeaten = set(sample_unbeaten(name))  # said in the sample's description and README, honestly: and true
    assert beaten == {base: base not in unbeaten for base in beaten}, (model, beaten)


@pytest.mark.slow
def test_the_default_class_challenge_is_won_by_a_default_run():
    """The Teacher page's defaults (the data and settings loaded first, the class budget) make the challenge; a
    student who takes its data and presses Start beats repeating the last value on the held-out part."""
    teacher = Lab()
    challenge = Challenge(config=teacher.config)
    student = Lab()
    student.load(challenge.data_name, content=challenges.student_data(challenge))
    student.config = challenge.first_config(student.config.data)  # as the Class page's button does
    run = student.start()
    assert student.join(timeout=120) and student.runs[-1].status == "finished"
    windows = make_windows(student.dataset, run.config.window, run.config.data.target, run.config.data.features)
    scored = challenges.score_windows(challenge, student.runs[-1].result.model, windows)
    assert run.parameters <= challenge.max_parameters and len(student.runs[-1].history) <= challenge.max_epochs
    assert scored["model"]["rmse"] < scored["baselines"]["persistence"]["rmse"], scored
    for lab in (teacher, student):
        lab.close()


def test_evaluate_says_why_a_model_of_a_trend_fails_and_one_click_tries_differencing():
    at = new_app()
    try:
        lab = session_lab()
        lab.load("sales.csv", content=TREND.encode())
        lab.config = lab.config.replace(model={"hidden_size": 4}, train={"epochs": 3})
        lab.start()
        assert lab.join(timeout=120)
        at.switch_page("views/evaluate.py")
        at.run()
        assert not at.exception
        warned = " ".join(str(w.value) for w in at.warning)
        assert "The test part rises above anything the training part saw" in warned
        assert "Model the changes from one step to the next" in warned
        at.button(key="b.try_difference").click()
        at.run()
        assert not at.exception
        assert lab.config.window.difference == "first" and lab.config.model.hidden_size == 4
        assert lab.config.data.source == "sales.csv"
        assert at.title[0].value == "Train"
        assert "The model learns the changes, not the values: changes from one step to the next" in texts(at)
    finally:
        stop_everything()


def test_evaluate_says_nothing_of_trends_where_the_model_differences_or_the_series_has_none():
    at = new_app()
    try:
        lab = session_lab()
        lab.load("sales.csv", content=TREND.encode())
        lab.config = lab.config.replace(model={"hidden_size": 4}, train={"epochs": 3}, window={"difference": "first"})
        lab.start()
        assert lab.join(timeout=120)
        at.switch_page("views/evaluate.py")
        at.run()
        assert not at.exception and "b.try_difference" not in [button.key for button in at.button]
        assert "rises above anything" not in " ".join(str(w.value) for w in at.warning)
    finally:
        stop_everything()


def test_compare_draws_the_level_of_always_predicting_the_mean_for_a_memory_task():
    at = new_app()
    try:
        lab = session_lab()
        params = {"steps": 10, "samples": 300}
        base = ExperimentConfig().replace(data={"source": "synthetic:adding", "params": params},
                                          window={"scaler": "none"}, model={"hidden_size": 4}, train={"epochs": 2})
        lab.start_series([base.replace(model={"cell": cell}) for cell in ("rnn", "lstm")])
        assert lab.join(timeout=120)
        at.switch_page("views/compare.py")
        at.run()
        assert not at.exception
        traces = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
        mean = [trace for trace in traces if trace.get("name") == "always predict the mean"]
        assert len(mean) == 1 and mean[0]["line"]["dash"] == "dash"
        level = lab.dataset_for(base).sequences.baseline_mse
        assert decoded(mean[0]["y"]) == pytest.approx([level, level], rel=1e-6)
    finally:
        stop_everything()


def decoded(values) -> list[float]:
    """A Plotly array as numbers: a plain list, or the base64 float32 typed array Streamlit sends."""
    if isinstance(values, list):
        return values
    import base64

    return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()

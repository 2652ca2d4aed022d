"""The settings' widgets are a view of the next run's config (ui/controls.py): what the boxes show is what the
next run uses, after a scenario, a stale widget state or a value that cannot be used, which is refused where it
is typed and keeps Start waiting until it is fixed."""

from __future__ import annotations

import pytest

from rnncore.config import SETTINGS
from rnncore.lab.scenarios import scenario
from tests.apptest import follow_language, new_app, session_lab, stop_everything, texts

SHOWN = ("hidden_size", "num_layers", "forget_bias", "epochs", "batch_size", "patience", "probe_every",
         "max_seconds", "clip_norm", "weight_decay", "seed")


@pytest.fixture(autouse=True)
def _stop():
    yield
    stop_everything()


def boxes(at) -> dict:
    """What the Train page's number boxes show."""
    return {name: at.number_input(key=f"w.{name}").value for name in SHOWN}


def configured(config) -> dict:
    return {name: getattr(getattr(config, SETTINGS[name].section), name) for name in SHOWN}


def start_button(at):
    return at.button(key="b.start")


@pytest.mark.parametrize("attempt", range(5))
def test_after_a_scenario_the_boxes_show_what_the_next_run_uses(attempt):
    """Home, the airline scenario, Train: every box shows the scenario's settings; change only Epochs, Start: the
    run trains the scenario's settings with those epochs."""
    at = new_app()
    at.button(key="scenario.airline").click().run()
    lab = session_lab()
    lab.stop()
    assert lab.join(timeout=60)
    at.switch_page("views/train.py")
    at.run()
    wanted = scenario("airline").configs[0]
    assert boxes(at) == configured(wanted), attempt
    at.number_input(key="w.epochs").set_value(3.0).run()
    start_button(at).click().run()
    assert lab.join(timeout=60)
    run = lab.runs[-1]
    assert configured(run.config) == {**configured(wanted), "epochs": 3}
    assert run.config.model == wanted.model


def test_a_widget_state_that_outlived_its_settings_never_reaches_the_next_run():
    """A widget's state that differs from the config without being typed (a stale value, one lost and reset to
    the box's minimum) is put back to the config's value: the boxes and the next run agree."""
    at = new_app()
    at.switch_page("views/train.py")
    at.run()
    lab = session_lab()
    lab.config = lab.config.replace(model={"hidden_size": 32, "forget_bias": 1.0}, train={"patience": 30})
    at.session_state["w.hidden_size"] = 1.0  # what was seen: the box's minimum where the config said 32
    at.session_state["w.patience"] = 0.0
    at.run()
    assert at.number_input(key="w.hidden_size").value == 32 and at.number_input(key="w.patience").value == 30
    assert (lab.config.model.hidden_size, lab.config.train.patience) == (32, 30)


def test_a_value_that_cannot_be_used_is_refused_where_it_is_typed_and_start_waits():
    at = new_app()
    at.switch_page("views/train.py")
    at.run()
    lab = session_lab()
    before = lab.config
    at.number_input(key="w.epochs").set_value(99999999.0).run()
    assert at.number_input(key="w.epochs").value == 99999999  # kept in its box, not silently replaced
    assert lab.config == before  # the next run's settings did not take it
    assert start_button(at).disabled
    said = texts(at)
    assert "99,999,999" in said and "100,000" in said  # the reason under the box: the setting's range
    assert "Start waits until these settings hold a value that can be used: Epochs" in said
    at.number_input(key="w.epochs").set_value(5000.0).run()  # within the range, over this server's cap
    assert "1000" in texts(at) and lab.config == before and start_button(at).disabled
    at.number_input(key="w.hidden_size").set_value(12.7).run()
    assert "whole number" in texts(at) and lab.config.model.hidden_size == before.model.hidden_size
    at.number_input(key="w.epochs").set_value(30.0).run()
    at.number_input(key="w.hidden_size").set_value(12.0).run()
    assert not start_button(at).disabled and "Start waits" not in texts(at)
    assert (lab.config.train.epochs, lab.config.model.hidden_size) == (30, 12)


def test_a_lookback_of_1e30_is_refused_not_made_1():
    at = new_app()
    at.switch_page("views/data.py")
    at.run()
    lab = session_lab()
    lookback = lab.config.window.lookback
    at.number_input(key="w.lookback").set_value(1e30).run()
    assert lab.config.window.lookback == lookback and at.number_input(key="w.lookback").value == 1e30
    assert "Lookback" in texts(at) or "lookback" in texts(at)
    at.switch_page("views/train.py")
    at.run()
    assert start_button(at).disabled and "Lookback" in texts(at)


def test_a_group_rule_follows_a_change_a_gru_takes_tanh(monkeypatch):
    follow_language(monkeypatch)
    at = new_app()
    at.switch_page("views/train.py")
    at.run()
    lab = session_lab()
    at.selectbox(key="w.cell").set_value("lstm").run()
    at.selectbox(key="w.activation").set_value("relu").run()
    assert (lab.config.model.cell, lab.config.model.activation) == ("lstm", "relu")
    at.selectbox(key="w.cell").set_value("gru").run()
    assert (lab.config.model.cell, lab.config.model.activation) == ("gru", "tanh")
    assert at.selectbox(key="w.activation").value == "tanh" and not at.exception

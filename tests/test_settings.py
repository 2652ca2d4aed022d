"""Each setting is declared once: the config's checks, the command line, links and widgets all accept
exactly the declared values, and every setting has a flag, valid values and words in both languages."""

import dataclasses
import math

import pytest

from rnncore.__main__ import make_parser
from rnncore.config import SECTIONS, SETTINGS, ConfigError, ExperimentConfig
from rnncore.settings import WIDGETS
from rnncore.training.limits import ServerLimits
from tests.apptest import new_app, session_lab, stop_everything
from ui.lang import en, zh

NUMBERS = [s for s in SETTINGS.values() if s.kind in (int, float)]
LIMITS = ServerLimits(max_epochs=100_000, max_lookback=10_000, max_seconds=86_400.0)  # no cap below the declared


COMPANIONS = {"train_fraction": {"val_fraction": 0.0}, "val_fraction": {"train_fraction": 0.3}}  # test part left


def section_with(declared, value):
    return SECTIONS[declared.section](**{declared.name: value, **COMPANIONS.get(declared.name, {})})


def link(declared, value) -> dict:
    return {declared.name: repr(value), **{k: repr(v) for k, v in COMPANIONS.get(declared.name, {}).items()}}


@pytest.mark.parametrize("name", SETTINGS)
def test_every_setting_has_a_flag_valid_values_and_words_in_both_languages(name):
    declared = SETTINGS[name]
    assert declared.cli_flag.startswith("--") and declared.widget in WIDGETS
    if declared.kind in (int, float):
        assert declared.low is not None and declared.high is not None and declared.low < declared.high
        assert declared.low <= declared.default <= declared.high
    elif declared.kind is str and not declared.optional and name != "source":
        assert declared.choices and declared.default in declared.choices
    for strings in (en.STRINGS, zh.STRINGS):
        assert strings.get(f"setting.{name}") and strings.get(f"setting.{name}.help"), name
    for choice in declared.choices or ():
        if declared.labels:
            assert f"{declared.labels}.{choice}" in en.STRINGS and f"{declared.labels}.{choice}" in zh.STRINGS


def test_flags_are_unique_and_the_design_card_flags_are_there():
    flags = [s.cli_flag for s in SETTINGS.values()]
    assert len(flags) == len(set(flags))
    for flag in ("--data", "--param", "--target", "--features", "--train-fraction", "--val-fraction", "--cell",
                 "--hidden", "--layers", "--activation", "--lookback", "--horizon", "--epochs", "--batch-size",
                 "--lr", "--seed"):
        assert flag in flags, flag


def edges(declared):
    """The bounds, values just outside them, and for whole numbers a fraction."""
    low, high = declared.low, declared.high
    step = 1 if declared.kind is int else max(abs(high - low) * 1e-6, 1e-9)
    inside = [low, high, declared.default]
    outside = [low - step, high + step]
    if declared.kind is int:
        outside.append(low + 0.5)
    return inside, outside


@pytest.mark.parametrize("declared", NUMBERS, ids=lambda s: s.name)
def test_the_config_the_command_line_and_a_link_accept_exactly_the_declared_range(declared):
    inside, outside = edges(declared)
    parser = make_parser()
    for value in inside:
        assert getattr(section_with(declared, value), declared.name) == value
        args = parser.parse_args(["train", "--out", "x", f"{declared.cli_flag}={value!r}"])
        assert getattr(args, declared.name) == value
        config = ExperimentConfig.from_query(link(declared, value))
        assert getattr(getattr(config, declared.section), declared.name) == value
    for value in outside:
        with pytest.raises(ConfigError):
            section_with(declared, value)
        with pytest.raises(ValueError, match=declared.name):  # argparse's usage error names the setting
            parser.parse_args(["train", "--out", "x", f"{declared.cli_flag}={value!r}"])
        problems = []
        config = ExperimentConfig.from_query(link(declared, value), problems)
        assert getattr(getattr(config, declared.section), declared.name) == declared.default and problems


@pytest.mark.parametrize("declared", [s for s in SETTINGS.values() if s.choices], ids=lambda s: s.name)
def test_choices_are_the_declared_ones_everywhere(declared):
    parser = make_parser()
    for choice in declared.choices:
        assert getattr(parser.parse_args(["train", "--out", "x", declared.cli_flag, choice]), declared.name) == choice
    with pytest.raises(ValueError, match=declared.name):
        parser.parse_args(["train", "--out", "x", declared.cli_flag, "nonsense"])
    with pytest.raises(ConfigError):
        section_with(declared, "nonsense")


def test_a_section_drawn_by_a_widget_group_keeps_the_fields_it_does_not_draw():
    """Widget groups return dataclasses.replace(current, **values): a new field is never reset."""
    from ui.controls import MODEL_ROWS, TRAIN_ROWS, WINDOW_ROWS

    drawn = {name for rows in (MODEL_ROWS, TRAIN_ROWS, WINDOW_ROWS) for row in rows for name in row}
    for section in ("window", "model", "train"):
        for f in dataclasses.fields(SECTIONS[section]):
            assert f.name in drawn, f"{section}.{f.name} has no widget"


@pytest.fixture
def app():
    at = new_app()
    yield at
    stop_everything()


def test_widgets_offer_exactly_the_declared_range_under_the_servers_caps(app):
    from rnncore.data.samples import with_defaults
    from ui.state import server_limits

    caps = server_limits().run_limits()
    session_lab().config = with_defaults(session_lab().config, {})  # the declared settings: an LSTM, every box enabled
    seen = set()
    for task, source, page in (("forecast", None, "views/train.py"), ("forecast", None, "views/data.py"),
                               ("charlm", "sample:genesis", "views/data.py"),
                               ("classify", "synthetic:waveform", "views/data.py")):
        if source is not None:  # a text's and a labelled set's own settings are on the Data page
            session_lab().load(source, task=task)
            session_lab().config = with_defaults(session_lab().config, {})
        app.switch_page(page)
        app.run()
        assert not app.exception
        for element in app.slider:
            name = str(element.key).removeprefix("w.")
            if name in SETTINGS:
                declared, cap = SETTINGS[name], caps.cap(name)
                high = declared.high if cap is None else min(declared.high, cap)
                assert (element.min, element.max) == (declared.low, high), name
                seen.add(name)
        for name in [str(e.key).removeprefix("w.") for e in app.number_input]:
            if name not in SETTINGS or app.number_input(key=f"w.{name}").disabled:
                continue
            declared, cap = SETTINGS[name], caps.cap(name)
            high = declared.high if cap is None else min(declared.high, cap)
            section = declared.section
            before = getattr(getattr(session_lab().config, section), name)
            step = declared.step or (1 if declared.whole else 0.5)
            tries = ((declared.low, True), (high, True), (high + step, False), (declared.low - step, False))
            for value, takes in tries:
                app.number_input(key=f"w.{name}").set_value(float(value)).run()
                now = getattr(getattr(session_lab().config, section), name)
                if takes:  # typed and taken: the next run's value
                    assert now == value and name not in app.session_state["controls.invalid"], (name, value)
                else:  # refused where typed: kept in its box with the reason, the config as it was, Start waits
                    assert name in app.session_state["controls.invalid"], (name, value)
                    assert app.number_input(key=f"w.{name}").value == value and now != value, (name, value)
            app.number_input(key=f"w.{name}").set_value(float(before)).run()
            assert name not in app.session_state["controls.invalid"]
            seen.add(name)
        for element in app.select_slider:
            name = str(element.key).removeprefix("w.")
            if name in SETTINGS:
                options = [float(o) for o in element.options]
                assert math.isclose(min(options), SETTINGS[name].low)
                assert math.isclose(max(options), SETTINGS[name].high)
                seen.add(name)
        for element in app.selectbox:
            name = str(element.key).removeprefix("w.")
            if name in SETTINGS and SETTINGS[name].choices and name != "activation":
                assert len(element.options) == len(SETTINGS[name].choices), name
                seen.add(name)
    drawn = {n for n, s in SETTINGS.items() if s.widget != "none"}
    assert drawn - {"activation"} <= seen, drawn - seen


def test_a_value_between_a_sliders_steps_is_shown_as_it_is(app):
    """Issue 12: opening Train snapped lr 0.3 to 0.2 and the run no longer diverged."""
    session = session_lab()
    session.config = session.config.replace(train={"lr": 0.3, "clip_norm": 0.25, "epochs": 20},
                                            window={"train_fraction": 0.72})
    for page in ("views/train.py", "views/data.py", "views/train.py"):
        app.switch_page(page)
        app.run()
        assert not app.exception
    assert session.config.train.lr == 0.3 and session.config.train.clip_norm == 0.25
    assert session.config.window.train_fraction == 0.72
    assert app.select_slider(key="w.lr").value == 0.3


def test_no_setting_a_sweep_searches_is_named_as_a_column_of_its_table():
    """A trial's row (its CSV, the Sweep page's table) puts the settings it searched beside its own columns and its
    metric: a searched setting of the same name would overwrite one of them."""
    from rnncore.sweeps.space import SEARCHABLE
    from rnncore.training.task import OBJECTIVES
    from ui.sweep import COLUMNS

    assert not (set(COLUMNS) | {metric for metric, _ in OBJECTIVES.values()}) & set(SEARCHABLE)

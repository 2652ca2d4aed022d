"""Shareable links: the whole experiment in the URL, restored on opening, bad parts ignored."""

import gc
import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rnncore.config import ExperimentConfig
from rnncore.lab import Lab
from tests.apptest import APP, stop_everything
from ui.links import query_for

BAD_VALUES = ["", "abc", "nan", "inf", "-inf", "-1", "0", "1e400", "99999999999999999999999", "1.5.2",
              "<b>bold</b>", "[]", "{}", "true", "\x00", "１２"]


def session_lab() -> Lab:
    labs = [o for o in gc.get_objects() if type(o) is Lab]
    assert len(labs) == 1, "one session, one Lab"
    return labs[0]


def open_link(query: dict) -> AppTest:
    stop_everything()
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    return at


@pytest.fixture(autouse=True)
def _clean():
    yield
    stop_everything()


@pytest.mark.parametrize("key", list(ExperimentConfig().to_query()) + ["p.length", "unknown_name"])
def test_every_parameter_survives_any_bad_value(key):
    """Fuzz: each parameter with wrong types, huge numbers, NaN, negatives: never an exception."""
    for value in BAD_VALUES:
        problems = []
        config = ExperimentConfig.from_query({key: value}, problems)
        assert isinstance(config, ExperimentConfig)
        ExperimentConfig.from_json(config.to_json())  # still a valid config
        assert math.isfinite(config.train.lr) and config.model.hidden_size > 0


def test_a_bad_value_is_named_and_the_rest_is_kept():
    problems = []
    config = ExperimentConfig.from_query({"cell": "gru", "hidden_size": "-3", "lr": "nan", "epochs": "7",
                                          "bogus": "1"}, problems)
    assert config.model.cell == "gru" and config.train.epochs == 7
    assert config.model.hidden_size == 32 and config.train.lr == 1e-3  # defaults
    text = " ".join(map(str, problems))
    assert "hidden_size" in text and "lr" in text and "bogus" in text and len(problems) == 3


def test_opening_a_link_restores_the_experiment():
    wanted = ExperimentConfig().replace(data={"source": "sample:sunspots"}, window={"lookback": 12},
                                        model={"cell": "gru", "hidden_size": 16},
                                        train={"epochs": 7, "lr": 0.01, "seed": 3})
    at = open_link(wanted.to_query())
    assert not at.exception
    lab = session_lab()
    assert lab.dataset.name == "sunspots"
    assert lab.config == wanted.replace(data={"target": None})
    at.switch_page("views/train.py")
    at.run()
    assert at.selectbox(key="w.cell").value == "gru"
    assert at.number_input(key="w.hidden_size").value == 16
    assert at.number_input(key="w.epochs").value == 7


def test_a_link_with_bad_parameters_opens_with_defaults_and_says_which():
    at = open_link({"cell": "transformer", "hidden_size": "1e400", "lookback": "-5", "epochs": "100000000",
                    "lr": "abc", "source": "sample:no_such_sample", "zzz": "1", "lang": "xx"})
    assert not at.exception
    warnings = " ".join(w.value for w in at.sidebar.warning).replace("\\", "")  # as Markdown shows it
    for name in ("cell", "hidden_size", "lookback", "epochs", "lr", "no_such_sample", "zzz"):
        assert name in warnings, name
    lab = session_lab()
    assert lab.config.model.cell == "lstm" and lab.config.train.epochs == 50
    for page in ("views/data.py", "views/train.py"):
        at.switch_page(page)
        at.run()
        assert not at.exception


def test_a_link_above_the_servers_caps_opens_with_the_defaults_there_and_says_which(monkeypatch):
    limits = {"RNNLAB_MAX_EPOCHS": "1000", "RNNLAB_MAX_LOOKBACK": "1000", "RNNLAB_MAX_SECONDS": "600"}
    for name, value in limits.items():
        monkeypatch.setenv(name, value)  # rnnlab.toml's limits, whatever the machine's environment says
    at = open_link({"epochs": "5000", "lookback": "1500", "max_seconds": "900", "hidden_size": "16"})
    assert not at.exception
    warnings = " ".join(w.value for w in at.sidebar.warning).replace("\\", "")  # as Markdown shows it
    for said in ("Epochs (epochs) is 5000, above this server's limit max_epochs=1000",
                 "Lookback (steps) (lookback) is 1500, above this server's limit max_lookback=1000",
                 "above this server's limit max_seconds=600"):
        assert said in warnings, (said, warnings)
    assert warnings.count("the default was used") == 3, warnings
    cfg = session_lab().config
    assert (cfg.train.epochs, cfg.window.lookback, cfg.train.max_seconds, cfg.model.hidden_size) == (50, 24, 0, 16)


def test_a_link_asking_for_a_generated_set_too_big_to_make_says_so_and_keeps_the_data():
    """/data?source=synthetic:adding&p.steps=1000&p.samples=200000 would hold 400,000,000 values (gigabytes)."""
    at = open_link({"source": "synthetic:adding", "p.steps": "1000", "p.samples": "200000", "cell": "gru"})
    assert not at.exception
    said = " ".join(w.value for w in at.sidebar.warning).replace("\\", "")
    assert "the data adding problem (memory task) could not be loaded" in said, said  # the generator's name
    assert "400,000,000 values" in said and "2,000,000" in said, said
    lab = session_lab()
    assert lab.config.data == ExperimentConfig().data and lab.config.model.cell == "gru"  # the rest is kept
    assert lab.dataset is None or lab.dataset.sequences is None  # nothing was generated
    at.switch_page("views/data.py")
    at.run()
    assert not at.exception and lab.dataset.name == "airline_passengers"


def test_the_data_page_says_when_the_generator_settings_make_too_much_and_offers_no_button():
    at = open_link({})
    at.switch_page("views/data.py")
    at.run()
    at.selectbox(key="w.generator").set_value("adding")
    at.run()
    at.number_input(key="w.gen.adding.steps").set_value(1000)
    at.number_input(key="w.gen.adding.samples").set_value(200_000)
    at.run()
    said = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "400,000,000 values" in said, said
    assert at.button(key="b.generate").disabled
    at.number_input(key="w.gen.adding.samples").set_value(2000)  # 4,000,000: still too many
    at.run()
    assert at.button(key="b.generate").disabled
    at.number_input(key="w.gen.adding.samples").set_value(1000)
    at.run()
    assert not at.button(key="b.generate").disabled and "values" not in " ".join(w.value for w in at.warning)


def test_a_link_made_on_uploaded_data_says_which_file_and_never_swaps_in_other_data():
    """Issue 12: a link made on an upload opened elsewhere trained on airline passengers without a word."""
    at = open_link({"source": "co2.csv", "rows": "2284", "lookback": "52", "cell": "gru"})
    assert not at.exception
    said = " ".join(w.value for w in at.sidebar.warning).replace("\\", "")
    assert "co2.csv" in said and "2284 rows" in said and "upload that file" in said
    lab = session_lab()
    assert lab.dataset is None and lab.config.data.source == "co2.csv"  # waiting for that file, nothing else
    assert lab.config.window.lookback == 52 and lab.config.model.cell == "gru"
    at.switch_page("views/data.py")
    at.run()
    assert not at.exception and "co2.csv" in " ".join(i.value for i in at.info).replace("\\", "")
    content = (Path(__file__).resolve().parents[1] / "sample_data" / "co2.csv").read_bytes()
    at.file_uploader(key="w.upload").set_value(("co2.csv", content, "text/csv"))
    at.run()
    assert not at.exception and lab.dataset is not None and len(lab.dataset.frame) > 2000
    assert lab.config.window.lookback == 52 and lab.config.model.cell == "gru"  # the link's settings, kept


def test_the_link_follows_the_experiment():
    """What the URL gets (AppTest does not read the URL back; the browser test checks the address bar)."""
    at = open_link({})
    at.switch_page("views/train.py")
    at.run()
    at.selectbox(key="w.cell").set_value("gru")
    at.run()
    query = query_for(session_lab().config, "zh")
    assert query["cell"] == "gru" and query["lang"] == "zh"
    query.pop("lang")
    assert ExperimentConfig.from_query(query) == session_lab().config


def test_a_link_for_uploaded_data_names_the_file_and_its_rows_but_carries_no_data():
    from rnncore.data import load_csv

    config = ExperimentConfig().replace(data={"source": "measurements.csv"})
    dataset = load_csv(b"v\n" + b"1\n2\n" * 10, name="measurements.csv")
    query = query_for(config, "en", dataset)
    assert query["source"] == "measurements.csv" and query["rows"] == "20" and query["lang"] == "en"

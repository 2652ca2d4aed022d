"""Bad settings (ConfigError) and refused run zips (BundleError) said in the reader's language."""

import io
import json
import pickle
import string
import zipfile
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

import ui.i18n
from rnncore.config import ConfigError, ExperimentConfig, ModelConfig, config_error
from rnncore.data.generators import generate, generator_params, list_generators
from rnncore.io.bundle import FILES, BundleError, import_run
from rnncore.lab import Lab
from rnncore.messages import BUNDLE_MESSAGES, CONFIG_MESSAGES
from rnncore.training import RunLimits
from rnncore.training.progress import Status
from rnncore.training.results import forecast
from tests.apptest import APP, new_app, shown, stop_everything, texts
from ui.lang import en, zh

EN, ZH = en.STRINGS, zh.STRINGS


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


# the tables


@pytest.mark.parametrize("prefix, templates", [("configerror", CONFIG_MESSAGES), ("bundleerror", BUNDLE_MESSAGES)])
def test_every_error_template_has_a_text_in_each_language_with_its_fields(prefix, templates):
    for name, english in templates.items():
        key = f"{prefix}.{name}"
        assert key in EN and key in ZH, key
        assert EN[key] == english, key  # the English page says exactly what str(error) says
        assert fields(ZH[key]) == fields(english), key


def test_every_generator_parameter_has_a_label():
    names = {key for name in list_generators() for key in generator_params(name)}
    missing = [n for n in sorted(names) if f"genparam.{n}" not in EN]
    assert not missing, missing
    assert all(EN[f"genparam.{n}"] == n for n in names)  # English shows the name the link uses
    assert all(n in ZH[f"genparam.{n}"] for n in names)  # Chinese keeps it next to the translation


# each raise site gives the keyed error, its English text unchanged


def pickled_zip() -> bytes:
    manifest = {"format": "rnnlab-run", "version": 1, "files": {name: "0" * 64 for name in FILES}}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("model.pkl", pickle.dumps({"weights": [1.0]}))
    return buffer.getvalue()


def raises(action):
    with pytest.raises((ConfigError, BundleError)) as info:
        action()
    return info.value


CASES = {
    "limit at Start": (lambda: RunLimits(max_epochs=5).check(ExperimentConfig().replace(train={"epochs": 10})),
                       "over_limit", "epochs is 10, above this server's limit max_epochs=5; choose at most 5"),
    "parameter limit": (lambda: RunLimits(max_parameters=100).check(ExperimentConfig(), 5000),
                        "over_parameter_limit",
                        "the model's parameter count is 5000, above this server's limit max_parameters=100; "
                        "choose at most 100"),
    "setting": (lambda: ModelConfig(hidden_size=0), "between", "hidden_size must be between 1 and 1,024 (got 0)"),
    "choice": (lambda: ModelConfig(cell="transformer"), "choice",
               "cell must be one of rnn, lstm, gru, article_lstm (got 'transformer')"),
    "strict link": (lambda: ExperimentConfig.from_query({"colour": "red"}), "unknown_link_parameter",
                    "unknown link parameter 'colour'"),
    "config file": (lambda: ExperimentConfig.from_dict({"version": 99}), "config_version",
                    "this config was written by RNN Lab config version 99; this version reads version 1"),
    "generator bound": (lambda: generate("sine", noise=-1), "gen_low", "noise must be at least 0 for sine (got -1)"),
    "generator type": (lambda: generate("sine", period="long"), "gen_finite",
                       "period must be a finite number for sine (got 'long')"),
    "ar2": (lambda: generate("ar2", phi1=0.9, phi2=0.5), "ar2_stationary", None),
    "lab": (lambda: Lab().continue_run(SimpleNamespace(result=None, status=Status.FINISHED)), "model_gone", None),
    "forecast": (lambda: forecast(None, 0, windows=object()), "forecast_steps", "steps must be at least 1"),
    "not a zip": (lambda: import_run(b"name,value\n1,2\n"), "not_zip", None),
    "empty zip": (lambda: import_run(b""), "empty", None),
    "pickle in the zip": (lambda: import_run(pickled_zip()), "extra_file", None),
}


@pytest.mark.parametrize("case", CASES)
def test_raise_sites_give_keyed_errors(case):
    action, key, english = CASES[case]
    exc = raises(action)
    templates = BUNDLE_MESSAGES if isinstance(exc, BundleError) else CONFIG_MESSAGES
    assert exc.key == key
    assert str(exc) == templates[key].format(**exc.details)
    if english is not None:
        assert str(exc) == english


def test_a_lenient_link_notes_each_problem_as_a_keyed_error():
    problems = []
    ExperimentConfig.from_query({"hidden_size": "-3", "lr": "abc", "colour": "red"}, problems)
    assert [p.key for p in problems] == ["unknown_link_parameter_ignored", "ignored", "ignored"]
    assert str(problems[1]) == "hidden_size must be between 1 and 1,024 (got -3); ignored"
    assert problems[2].details["problem"].key == "unusable_value"


def test_a_generated_data_set_has_keyed_notes():
    data = generate("adding", samples=200, steps=20)
    assert [note.key for note in data.notes] == ["generated", "sequences"]
    assert data.notes[1].startswith("200 sequences of 20 steps")


# explain_error


@pytest.fixture
def chinese(monkeypatch):
    monkeypatch.setattr(ui.i18n, "language", lambda: "zh")


def test_explain_error_says_nested_errors_in_chinese(chinese):
    inner = config_error("between", name="hidden_size", low="1", high="1,024", value="0")
    outer = BundleError.keyed("bad_config", name="config.json", error=inner)
    assert str(outer) == "config.json in the zip cannot be used: hidden_size must be between 1 and 1,024 (got 0)"
    said = ui.i18n.explain_error(outer, field=True)
    assert said == "zip 中的 config.json 无法使用：隐藏单元数 (hidden_size) 必须介于 1 和 1,024 之间（得到的是 0）"
    assert shown(ui.i18n.explain_error(outer)) == said  # Markdown-safe, shown as written
    problem = raises(lambda: ExperimentConfig.from_query({"lr": "<b>x</b>"}, None))
    assert shown(ui.i18n.explain_error(problem)) == "学习率 的取值 '<b>x</b>' 无法使用"  # the widget's label
    assert "\\<b\\>" in ui.i18n.explain_error(problem)  # the link's text is escaped, never markup


def test_an_error_without_a_key_stays_english_and_escaped(chinese):
    assert ui.i18n.explain_error(ConfigError("**odd**")) == "\\*\\*odd\\*\\*"
    assert ui.i18n.explain_error(ValueError("plain"), field=True) == "plain"


# the app in Chinese, one surface each


@pytest.fixture
def app(monkeypatch):
    """The app in Chinese (t() told so: AppTest formats some widgets outside the script run)."""
    import ui.sidebar  # noqa: F401  (imported first: they keep the real language(), the switch works after)
    import ui.training_panel

    monkeypatch.setattr(ui.i18n, "language", lambda: "zh")
    yield None
    stop_everything()


def open_page(path: str, **query):
    at = new_app()
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(path)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_start_over_a_server_limit_says_so_in_chinese(app, monkeypatch):
    monkeypatch.setenv("RNNLAB_MAX_PARAMETERS", "10")
    at = open_page("views/train.py")
    next(b for b in at.button if b.label == ZH["train.start"]).click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    message = shown(" ".join(str(e.value) for e in at.error))
    assert "模型的参数数量为" in message and "max_parameters=10" in message, message
    assert "above this server's limit" not in message


def test_a_link_with_bad_values_says_so_in_chinese(app):
    stop_everything()
    at = AppTest.from_file(APP, default_timeout=60)  # a fresh session: the link is read on its first run
    for key, value in {"lang": "zh", "hidden_size": "-3", "lr": "abc"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    said = texts(at)
    assert ZH["links.heading"] in said
    assert "隐藏单元数 (hidden_size) 必须介于 1 和 1,024 之间（得到的是 -3）；已忽略" in said, said
    assert "学习率 (lr) 的取值 'abc' 无法使用；已忽略" in said, said
    assert "the default was used" not in said


def test_a_bad_generator_parameter_says_so_in_chinese(app):
    at = open_page("views/data.py")
    assert ZH["sample_about.airline_passengers"] in texts(at)  # the data set loaded by default
    at.selectbox(key="w.generator").set_value("ar2")
    at.run()
    phi1, phi2 = at.number_input(key="w.gen.ar2.phi1"), at.number_input(key="w.gen.ar2.phi2")
    assert phi1.label == ZH["genparam.phi1"] and ZH["generator_about.ar2"] in texts(at)
    phi1.set_value(0.9)
    phi2.set_value(0.5)
    next(b for b in at.button if b.label == ZH["data.generate"]).click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    message = shown(" ".join(str(e.value) for e in at.error))
    assert "在这些系数下 ar2 不平稳" in message, message


def test_a_bad_zip_upload_says_so_in_chinese(app):
    at = open_page("views/compare.py")
    at.file_uploader(key="w.import").set_value(("kaputt.zip", b"name,value\n1,2\n", "application/zip"))
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    message = shown(" ".join(str(e.value) for e in at.error))
    assert "无法读取 kaputt.zip" in message and "这不是 zip 文件" in message, message
    assert "truncated or damaged" not in message  # (zipfile's own detail in brackets stays as it is)

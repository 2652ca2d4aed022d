"""Languages: English and Chinese tables match key for key, the code's keys exist, the app runs in Chinese."""

import re
import string
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from rnncore.config import CELLS, LOSSES, OPTIMIZERS, SCALERS, SCHEDULERS, SECTIONS, SETTINGS
from rnncore.data import list_samples
from rnncore.data.generators import list_generators
from rnncore.lab.scenarios import SCENARIOS
from rnncore.nn.cells import GATES, STATES
from rnncore.training.metrics import METRICS
from rnncore.training.progress import Status
from rnncore.viz import cell_plots, class_plots, plots
from tests.apptest import APP, new_app, session_lab, shown, stop_everything
from ui.lang import en, zh

ROOT = Path(__file__).resolve().parent.parent
EN, ZH = en.STRINGS, zh.STRINGS
CJK = re.compile(r"[\u4e00-\u9fff]")
# proper names and symbols that stay as they are in every language
SAME_IN_EVERY_LANGUAGE = {"home.title", "metric.mase", "cell.lstm", "cell.gru", "optimizer.adam", "optimizer.adamw",
                          "optimizer.rmsprop", "loss.huber", "metric.rmse", "metric.mae", "metric.mape",
                          "metric.r2", "fig.bars.y", "fig.pca.x", "fig.pca.y", "run.label", "cell_short.rnn",
                          "cell_short.lstm", "cell_short.gru"}
PAGES = {"home": "views/home.py", "data": "views/data.py", "train": "views/train.py", "inside": "views/inside.py",
         "evaluate": "views/evaluate.py", "compare": "views/compare.py", "learn": "views/learn.py"}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def source_files() -> list[Path]:
    return [ROOT / "app.py", ROOT / "navigation.py", *sorted((ROOT / "views").glob("*.py")),
            *sorted((ROOT / "ui").glob("*.py"))]


# the tables


def test_english_and_chinese_have_the_same_keys():
    only_en, only_zh = sorted(set(EN) - set(ZH)), sorted(set(ZH) - set(EN))
    assert not only_en and not only_zh, f"only in English: {only_en}; only in Chinese: {only_zh}"


def test_every_text_is_a_non_empty_string_with_the_same_fields():
    for strings in (EN, ZH):
        bad = [k for k, v in strings.items() if not isinstance(v, str) or not v.strip()]
        assert not bad, f"empty or not text: {bad}"
    differ = {k: (fields(EN[k]), fields(ZH[k])) for k in EN.keys() & ZH.keys() if fields(EN[k]) != fields(ZH[k])}
    assert not differ, f"{{fields}} differ between en and zh: {differ}"


def test_chinese_texts_are_chinese_except_proper_names():
    words = {k: re.sub(r"\{\w+\}", "", v) for k, v in EN.items()}  # {fields} are not words to translate
    untranslated = [k for k, v in ZH.items() if k not in SAME_IN_EVERY_LANGUAGE
                    and re.search("[A-Za-z]", words[k]) and not CJK.search(v)]
    assert not untranslated, f"these Chinese texts have no Chinese in them: {untranslated}"
    changed = {k: ZH[k] for k in SAME_IN_EVERY_LANGUAGE if ZH[k] != EN[k]}
    assert not changed, f"proper names should stay as in English: {changed}"


def test_the_learn_page_uses_the_names_of_the_other_pages():
    for key in ("gate.input", "gate.forget", "gate.output", "gate.candidate", "gate.reset", "gate.update",
                "gate.h", "gate.c", "nav.inside", "fig.gtt.title"):
        assert ZH[key] in "".join(zh.LEARN.values()), f"the Learn page does not say {ZH[key]!r} ({key})"
    assert "文章的方案" in ZH["scenario.article.title"] and ZH["nav.home"] == "首页"


# the keys the code asks for


def test_every_literal_key_in_the_code_exists():
    keys = {}
    for path in source_files():
        found = re.findall(r"""\b(?:t|text)\(\s*(["'])([^"'{}]+)\1""", path.read_text())
        found += [("", k) for k in re.findall(r"""["'](nav\.\w+|where\.\w+)["']""", path.read_text())]
        keys.update({k: path.name for _, k in found})
    assert len(keys) > 120, f"the scan found only {len(keys)} keys: is the t(...) pattern still right?"
    missing = {k: where for k, where in keys.items() if k not in EN}
    assert not missing, f"keys used in the code but missing from ui/lang/en.py: {missing}"


def test_every_figure_table_prefix_in_the_code_exists():
    prefixes = {p for path in source_files() for p in re.findall(r"""\btable\(\s*["']([\w.]+)["']""",
                                                                   path.read_text())}
    assert len(prefixes) >= 10
    missing = [p for p in prefixes if not any(k.startswith(p + ".") for k in EN)]
    assert not missing, f"table() prefixes with no texts: {missing}"


def test_every_key_built_from_a_name_exists():
    gates = {g for names in GATES.values() for g in names} | {s for names in STATES.values() for s in names}
    scenarios = [f"scenario.{s.key}.{part}" for s in SCENARIOS for part in ("title", "watch")]
    settings = [f"setting.{name}{end}" for name in SETTINGS for end in ("", ".help")]
    families = {"status": list(Status), "cell": CELLS, "optimizer": OPTIMIZERS, "loss": LOSSES, "scaler": SCALERS,
                "scheduler": SCHEDULERS, "sample": list_samples(), "generator": list_generators(),
                "gate": gates, "metric": METRICS, "split": ("train", "val", "test"),
                "forecast": ("recursive", "direct"), "baseline": ("persistence", "seasonal_naive", "linear", "mean"),
                "learn": CELLS, "cell_short": CELLS, "learn.section": SECTIONS}
    wanted = [f"{family}.{name}" for family, names in families.items() for name in names]
    wanted += scenarios + settings
    assert len(settings) == 2 * len(SETTINGS) and len(list_samples()) >= 4
    missing = [k for k in wanted if k not in EN]
    assert not missing, f"keys built from names but missing from ui/lang/en.py: {missing}"
    learn_texts = [k.removeprefix("learn.setting.") for k in EN if k.startswith("learn.setting.")]
    assert learn_texts and not set(learn_texts) - set(SETTINGS), "a Learn text for a setting that does not exist"


# figure label tables


def labels(strings: dict[str, str], prefix: str) -> dict[str, str]:
    """As ui.i18n.table(prefix) does for the session's language."""
    return {k[len(prefix) + 1:]: v for k, v in strings.items() if k.startswith(prefix + ".")}


def build(prefix: str, table: dict[str, str]):
    rng = np.random.default_rng(0)
    index, values = np.arange(20), np.sin(np.arange(20.0))
    history = [{"epoch": e, "train_loss": 1.0 / e, "val_loss": 1.2 / e} for e in (1, 2, 3)]
    gate = rng.uniform(size=(20, 3))
    builders = {
        "fig.series": lambda: plots.series_figure(pd.DataFrame({"a": values}), None, (12, 16), labels=table),
        "fig.loss": lambda: plots.loss_figure(history, 5, reference=0.5, labels=table),
        "fig.compare": lambda: plots.compare_loss_figure({"run 1": history}, labels=table),
        "fig.pred": lambda: plots.prediction_figure(index, values, {"model": values + 0.1}, (12, 16),
                                                    labels=table),
        "fig.resid": lambda: plots.residual_figure(index, rng.normal(size=20), labels=table),
        "fig.forecast": lambda: plots.forecast_figure(index, values, np.arange(20, 23), {"model": np.ones(3)},
                                                      labels=table),
        "fig.bars": lambda: plots.metrics_bar_figure({"model": {"rmse": 1.0}, "mean": {"rmse": 0.5}}, "rmse",
                                                     labels=table),
        "fig.gates": lambda: cell_plots.gate_heatmaps_figure({"forget": gate}, values, {"h": gate - 0.5},
                                                               labels=table),
        "fig.saturation": lambda: cell_plots.saturation_figure({"forget": gate}, labels=table),
        "fig.gtt": lambda: cell_plots.grad_through_time_figure(np.geomspace(1e-4, 1, 20), labels=table),
        "fig.weights": lambda: cell_plots.histogram_figure({"w": gate}, table["title"], labels=table),
        "fig.grads": lambda: cell_plots.histogram_figure({"w": gate}, table["title"], labels=table),
        "fig.pca": lambda: cell_plots.pca_trajectory_figure(*cell_plots.pca_2d(gate), labels=table),
        "fig.examples": lambda: class_plots.examples_figure(rng.normal(size=(6, 20)), np.array([0, 1] * 3), ("a", "b"),
                                                            words=table),
    }
    return builders[prefix]()


FIGURES = ["fig.series", "fig.loss", "fig.compare", "fig.pred", "fig.resid", "fig.forecast", "fig.bars",
           "fig.gates", "fig.saturation", "fig.gtt", "fig.weights", "fig.grads", "fig.pca", "fig.examples"]


def test_every_figure_table_is_covered_here():
    prefixes = {".".join(k.split(".")[:2]) for k in EN if k.startswith("fig.")}
    assert prefixes == set(FIGURES)


@pytest.mark.parametrize("strings", [EN, ZH], ids=["en", "zh"])
@pytest.mark.parametrize("prefix", FIGURES)
def test_figure_builders_take_the_label_tables(prefix, strings):
    table = labels(strings, prefix)
    figure = build(prefix, table)  # an unknown label key raises ValueError
    assert figure.layout.title.text == table["title"]


# the app in Chinese


@pytest.fixture
def app():
    at = new_app()
    yield at
    stop_everything()


# the key prefixes whose texts each page shows
PAGE_TEXTS = {"home": ("home", "scenario"), "learn": ("learn", "cell")}


def english_only(prefix: str) -> list[str]:
    """English texts of a page that would be wrong on a Chinese page (long enough not to match by chance)."""
    out = []
    for key, text in EN.items():
        if key.startswith(tuple(p + "." for p in PAGE_TEXTS.get(prefix, (prefix,)))) and text != ZH[key]:
            literal = max((part for part, *_ in string.Formatter().parse(text)), key=len)
            if len(literal.strip()) >= 12:
                out.append(literal.strip())
    return out


def test_the_sidebar_switch_turns_the_app_chinese(app):
    switch = app.sidebar.selectbox(key="w.lang")
    assert switch.label == EN["sidebar.language"] and switch.options == ["English", "简体中文"]
    switch.set_value("zh")
    app.run()  # AppTest drops the sidebar's elements from reruns under st.navigation: check the state instead
    assert not app.exception, [e.message for e in app.exception]
    assert app.session_state["lang"] == "zh"
    assert app.title[0].value == ZH["home.title"]
    assert [e.value for e in app.subheader] == [ZH["home.quick_starts"], ZH["home.own_data"]]


# one fresh app per page: AppTest formats a selectbox's value with its format_func outside the script
# run, where t() cannot see the session's language, so a second page after one with such widgets fails
@pytest.mark.parametrize("prefix", PAGES)
def test_every_page_in_chinese(app, prefix):
    app.sidebar.selectbox(key="w.lang").set_value("zh")
    app.run()
    app.switch_page(PAGES[prefix])
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    assert app.title[0].value == ZH[f"{prefix}.title"]
    shown = [str(e.value) for e in [*app.subheader, *app.markdown, *app.caption]]
    leaked = [(english, text) for english in english_only(prefix) for text in shown if english in text]
    assert not leaked, f"{PAGES[prefix]} shows English: {leaked}"
    if prefix == "learn":
        assert ZH["learn.bptt_text"] in shown


def test_a_link_with_lang_zh_opens_in_chinese():
    stop_everything()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "zh"
    try:
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        switch = at.sidebar.selectbox(key="w.lang")
        assert switch.value == "zh" and switch.label == ZH["sidebar.language"]
        assert at.title[0].value == ZH["home.title"]
        assert ZH["home.quick_starts"] in [e.value for e in at.subheader]
    finally:
        stop_everything()


def test_every_reason_a_run_gives_has_a_text_with_its_fields():
    from rnncore.messages import RUN_MESSAGES as MESSAGES

    for reason, english in MESSAGES.items():
        key = f"reason.{reason}"
        assert key in EN and key in ZH, key
        assert fields(EN[key]) == fields(english) == fields(ZH[key]), key


def test_every_data_message_and_note_has_a_text_with_its_fields():
    from rnncore.messages import DATA_MESSAGES, DATA_NOTES

    for prefix, templates in (("dataerror", DATA_MESSAGES), ("datanote", DATA_NOTES)):
        for name, english in templates.items():
            key = f"{prefix}.{name}"
            assert key in EN and key in ZH, key
            assert fields(EN[key]) == fields(english) == fields(ZH[key]), key


def test_the_data_page_says_data_errors_and_notes_in_chinese(app, monkeypatch):
    import ui.i18n

    # the page is run three times: AppTest formats its selectboxes' values outside the script run (see
    # above), where the session's language is unknown; so t() is told the language for this test
    monkeypatch.setattr(ui.i18n, "language", lambda: "zh")
    app.sidebar.selectbox(key="w.lang").set_value("zh")
    app.run()
    app.switch_page(PAGES["data"])
    app.run()
    semicolons = "Datum;Wert\n" + "\n".join(f"{d:02d}.01.2020;{d},5" for d in range(1, 21))
    app.file_uploader(key="w.upload").set_value(("komma.csv", semicolons.encode(), "text/csv"))
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    notes = [str(e.value) for e in app.markdown]
    for key in ("datanote.separated_semicolons", "datanote.decimal_commas"):
        assert ZH[key] in notes, key
    assert "列 'Datum' 用作时间轴" in shown("\n".join(notes))

    broken = "a,**b**\n" + "x,y\n" * 20  # no numbers; a column name with Markdown in it
    app.file_uploader(key="w.upload").set_value(("kaputt.csv", broken.encode(), "text/csv"))
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    message = " ".join(str(e.value) for e in app.error)
    assert "无法使用 kaputt" in message and "没有找到数字列" in message, message
    assert "no column of numbers" not in message
    assert "\\*\\*b\\*\\*" in message and "\\\\" not in message  # escaped once: shown as written
    assert "（各列：a, **b**）" in shown(message)


def test_the_english_the_app_shows_is_rnncores_own_template():
    """One home for each message: ui/lang takes rnncore's English templates, it does not copy them."""
    from rnncore import messages
    from ui.lang.en_core import FAMILIES

    tables = {"dataerror": messages.DATA_MESSAGES, "datanote": messages.DATA_NOTES,
              "configerror": messages.CONFIG_MESSAGES, "bundleerror": messages.BUNDLE_MESSAGES,
              "reason": messages.RUN_MESSAGES, "baselinenote": messages.BASELINE_NOTES,
              "storeerror": messages.STORE_MESSAGES, "storenote": messages.STORE_NOTES,
              "classerror": messages.CLASS_MESSAGES, "sweeperror": messages.SWEEP_MESSAGES,
              "settingserror": messages.SETTINGS_MESSAGES}
    assert FAMILIES == tables
    for family, table in tables.items():
        for key, template in table.items():
            assert EN[f"{family}.{key}"] is template, f"{family}.{key}"
            assert f"{family}.{key}" in ZH
    source = (ROOT / "ui" / "lang" / "en.py").read_text()
    assert not re.search(r'"(dataerror|datanote|configerror|bundleerror|reason|baselinenote)\.', source)


def test_rnncores_messages_name_no_page_or_button():
    from rnncore import messages

    words = ("Data page", "Train page", "Evaluate", "Compare", "Inside", "'Export run'", "button", "sidebar")
    for table in (messages.DATA_MESSAGES, messages.DATA_NOTES, messages.CONFIG_MESSAGES, messages.BUNDLE_MESSAGES,
                  messages.RUN_MESSAGES, messages.BASELINE_NOTES):
        for key, template in table.items():
            assert not any(word in template for word in words), (key, template)


def test_an_error_on_the_page_reads_as_rnncore_wrote_it_and_then_where_to_click(app):
    from rnncore.errors import data_error

    at = app
    lab = session_lab()
    lab.config = lab.config.replace(data={"source": "mine.csv"})  # a file that is not loaded
    at.switch_page("views/train.py")
    at.run()
    next(b for b in at.button if b.key == "b.start").click()
    at.run()
    assert not at.exception
    shown_text = shown(" ".join(e.value for e in at.error))
    assert shown_text == f"{data_error('no_data')}. {EN['where.data']}"


def test_plain_leaves_no_address_for_markdown_to_link():
    """Streamlit's Markdown links "www.x.org", "http://x" and "a@x.org" in text even when every character is
    escaped: plain() keeps them text with an invisible word joiner (checked in a browser in
    tests/test_browser_security.py)."""
    import re

    from ui.i18n import WORD_JOINER, plain

    said = re.sub(r"\\(.)", r"\1", plain("see WWW.e.vil, http://e.vil/x and mail@e.vil"))  # as Markdown reads it
    assert said.replace(WORD_JOINER, "") == "see WWW.e.vil, http://e.vil/x and mail@e.vil"
    for address in (r"www\.", "://", r"\w@"):
        assert not re.search(address, said, re.I), address

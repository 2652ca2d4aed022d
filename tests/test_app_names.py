"""The app names things as a person reads them, in their language (AppTest): data by its title on every page, a
student's class budget on the Train page before Start, the browser's language on a first visit, the class results
for Excel, the time axis in Chinese, the upload box's limit in the page's language, a text model's unknown symbol,
and a labelled set's channels by name."""

from __future__ import annotations

import json

import pytest

import ui.i18n
from tests.apptest import follow_language, new_app, run_until, shown, stop_everything, texts
from tests.test_app_classroom import make_class, on_page, press
from tests.test_app_workspace import open_app


@pytest.fixture(autouse=True)
def _stop():
    yield
    stop_everything()


def test_no_page_shows_the_internal_name_of_a_sample_or_a_generator():
    at = new_app()
    for page in ("train", "sweep", "teacher", "data", "compare", "evaluate"):
        shown = texts(on_page(at, page))
        assert not at.exception and "sample:" not in shown and "airline_passengers" not in shown, (page, shown)
    assert "Airline passengers (monthly)" in texts(on_page(at, "train"))
    at.switch_page("views/data.py")
    at.run()
    at.selectbox(key="w.generator").set_value("random_walk")
    at.run()
    next(b for b in at.button if b.label == "Generate").click()
    at.run()
    for page in ("train", "sweep", "teacher"):
        shown = texts(on_page(at, page))
        assert "synthetic:" not in shown and "random walk" in shown, (page, shown)


def test_a_student_sees_the_class_budget_on_train_and_what_the_next_run_breaks_of_it():
    room, _ = make_class()  # 100 epochs, 5,000 parameters, 60 s
    stop_everything()
    at = on_page(open_app(), "classroom")
    at.text_input(key="w.class.room").set_value(room)
    at.text_input(key="w.class.name").set_value("王小明")
    press(at, "Join the class")
    press(at, "Use the challenge's data and window")
    assert "Airline passengers (monthly)" in texts(at) and "sample:" not in texts(at)
    at = on_page(at, "train")
    assert f"Your class {room} takes runs of at most 100 epochs, 5,000 parameters and 60 s" in texts(at)
    assert not at.warning, [w.value for w in at.warning]
    at.number_input(key="w.epochs").set_value(200)
    at.number_input(key="w.hidden_size").set_value(64)
    at.run()
    warned = shown(" ".join(w.value for w in at.warning))
    assert "Your class would not take this run" in warned, warned
    assert "Epochs = 200 against 100" in warned and "parameters against 5,000" in warned
    at.number_input(key="w.epochs").set_value(50)
    at.number_input(key="w.hidden_size").set_value(8)
    at.run()
    assert "Your class would not take this run" not in " ".join(w.value for w in at.warning)


@pytest.fixture
def browser_locale(monkeypatch):
    """The locale the browser reports (navigator.language), as st.context.locale reads it."""
    from streamlit.runtime.context import ContextProxy

    def set_locale(locale: str | None) -> None:
        monkeypatch.setattr(ContextProxy, "locale", property(lambda self: locale))

    return set_locale


def test_a_first_visit_takes_the_browsers_language_unless_the_link_says_one(browser_locale, monkeypatch):
    follow_language(monkeypatch)
    browser_locale("zh-CN")
    at = open_app()
    assert at.session_state["lang"] == "zh" and at.title[0].value == ui.i18n.TABLES["zh"]["home.title"]
    at = open_app({"lang": "en"})  # a link made in English opens in English
    assert at.session_state["lang"] == "en"
    browser_locale("en-GB")
    at = open_app()
    assert at.session_state["lang"] == "en"
    at.sidebar.selectbox(key="w.lang").set_value("zh").run()
    assert at.query_params["lang"] == "zh"  # the address carries it: a reload or a friend reads Chinese too
    assert open_app({"lang": "zh"}).session_state["lang"] == "zh"


def test_the_class_results_open_in_excel_with_their_names(room_with_a_submission):
    from ui import classroom

    data = classroom.results_csv(room_with_a_submission)
    assert data.startswith(b"\xef\xbb\xbf")  # the byte order mark by which Excel reads UTF-8
    assert "\n王小明," in data.decode("utf-8-sig")


@pytest.fixture
def room_with_a_submission(store, monkeypatch):
    """The teacher key of a class with one submission by 王小明 (the Teacher page's Classroom: this store's)."""
    from rnncore.classroom import challenge as challenges
    from rnncore.classroom.challenge import Challenge
    from rnncore.classroom.classroom import Classroom
    from rnncore.lab import Lab
    from rnncore.lab.archive import StoreArchive

    challenge = Challenge(max_epochs=20, max_parameters=5_000, max_seconds=60)
    rooms = Classroom(store)
    code, teacher = rooms.create_class("Period 3", challenge)
    key = store.create_workspace()
    rooms.join(code, "王小明", key, who="browser")
    lab = Lab(archive=StoreArchive(store, key))
    lab.load(challenge.data_name, content=challenges.student_data(challenge))
    lab.start(challenge.student_config(lab.config.replace(model={"hidden_size": 8}, train={"epochs": 2})))
    assert lab.join(timeout=120)
    rooms.submit(key, lab.runs[-1].id)
    lab.close()
    monkeypatch.setattr("ui.classroom.classroom", lambda: rooms)
    return teacher


def test_month_ticks_and_the_upload_limit_are_in_the_readers_language(monkeypatch):
    follow_language(monkeypatch)
    at = new_app()
    at.sidebar.selectbox(key="w.lang").set_value("zh").run()
    at = on_page(at, "data")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["xaxis"]["tickformat"] == "%Y年%-m月"  # "1959年11月", not "Nov 1959"
    at.segmented_control(key="w.task").set_value("charlm").run()  # a text's upload
    labels = [uploader.proto.label for uploader in at.get("file_uploader")]
    assert "或上传文件（最大 20 MB）" in labels, labels
    assert "文件最大 20 MB，格式为 .txt" in texts(at) and "“Upload”即选择要上传的文件" in texts(at)


def test_a_text_models_unknown_symbol_is_shown_as_a_box_with_a_note(monkeypatch):
    follow_language(monkeypatch)
    at = on_page(new_app(), "data")
    at.segmented_control(key="w.task").set_value("charlm").run()
    at.selectbox(key="w.task_source.charlm").set_value("sample:tang300")
    at.button(key="b.use.charlm").click().run()
    at.number_input(key="w.vocabulary").set_value(8).run()  # most characters are unknown to it
    at = on_page(at, "train")
    at.number_input(key="w.epochs").set_value(1)
    at.number_input(key="w.hidden_size").set_value(4)
    at.run()
    at.button(key="b.start").click()
    run_until(at, lambda a: bool(a.subheader) or bool(a.error), timeout=180)
    at.slider(key="w.tasks.temperature").set_value(2.0)
    at.run()
    written = at.code[0].value
    assert not at.exception and "\ufffd" not in written and "□" in written, written
    assert "□ stands for a character the model does not know" in texts(at)


def test_a_labelled_sets_channels_keep_their_names_in_the_figures(monkeypatch):
    import numpy as np

    follow_language(monkeypatch)
    at = on_page(new_app(), "data")
    at.segmented_control(key="w.task").set_value("classify")
    at.run()
    rng = np.random.default_rng(0)
    channels = ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]
    rows = ["sequence_id,step," + ",".join(channels) + ",label"]
    for sequence in range(30):
        for step in range(12):
            values = rng.normal(size=6) + (sequence % 2)
            label = "walk" if sequence % 2 else "rest"
            rows.append(f"{sequence},{step}," + ",".join(f"{v:.3f}" for v in values) + f",{label}")
    at.file_uploader(key="w.task_upload.classify").set_value(("motions.csv", "\n".join(rows).encode(), "text/csv"))
    at.run()
    examples = json.loads(next(c for c in at.get("plotly_chart") if "data.examples" in str(c.proto.id)).proto.spec)
    assert {a["text"] for a in examples["layout"]["annotations"]} == {"walk (15)", "rest (15)"}
    at = on_page(at, "train")
    at.number_input(key="w.epochs").set_value(1)
    at.number_input(key="w.hidden_size").set_value(4)
    at.run()
    at.button(key="b.start").click()
    run_until(at, lambda a: bool(a.subheader) or bool(a.error), timeout=120)
    gates = json.loads(next(c for c in at.get("plotly_chart") if "tasks.gates" in str(c.proto.id)).proto.spec)
    names = [trace.get("name") for trace in gates["data"] if trace.get("type") == "scatter"]
    assert names == channels, names

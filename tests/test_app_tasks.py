"""A text and labelled sequences through the Data and Train pages (AppTest), as a series goes: the task chosen on
Data loads its first bundled data with the settings recommended for it; a character model trains live on Train and
shows its scores next to the baselines, text it writes, the text coloured by a unit and its next-character guesses;
a classifier shows its confusion matrix and mistakes; a file it cannot use, a label column that is not there and a
model over the server's limit are said, and nothing changes; Pause, Step, Resume and Stop act on it as on a series;
a link sets a task's experiment up; the pages speak Chinese."""

from __future__ import annotations

import json
import re

import pytest

from tests.apptest import follow_language, new_app, run_until, session_lab, stop_everything, texts


@pytest.fixture
def app(monkeypatch):
    follow_language(monkeypatch)
    at = new_app()
    at.switch_page("views/data.py")
    at.run()
    yield at
    stop_everything()


def chart_titles(at) -> list[str]:
    """The charts' titles, in order."""
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def scores_table(at):
    """The scores next to the baselines (the stored runs' table is another)."""
    return next(frame.value for frame in at.dataframe if "model" in frame.value.columns)


def ended(at) -> bool:
    return bool(at.subheader) or bool(at.error)


def set_up(at, task: str, epochs: int, hidden: int) -> None:
    """On Data: the task (its first bundled data); then on Train: the epochs and the hidden units."""
    at.switch_page("views/data.py")
    at.run()
    at.segmented_control(key="w.task").set_value(task)
    at.run()
    at.switch_page("views/train.py")
    at.run()
    at.number_input(key="w.epochs").set_value(epochs)
    at.number_input(key="w.hidden_size").set_value(hidden)
    at.number_input(key="w.patience").set_value(0)  # (no early stop: a test that stops a run decides when it ends)
    at.run()


def test_a_character_model_of_the_bundled_text_shows_its_scores_its_text_and_inside(app):
    app.segmented_control(key="w.task").set_value("charlm")
    app.run()
    shown = texts(app)
    assert not app.exception and "Genesis (King James Version, English)" in [h.value.replace("\\", "")
                                                                          for h in app.header]
    assert "197,408 characters, 70 distinct" in shown and "Characters: 138,186 to train on" in shown
    assert app.code[0].value.startswith("Chapter 1\nIn the beginning")  # the text as it starts
    assert "Test sequences" not in shown and not app.get("plotly_chart")  # (no series chart for a text)
    set_up(app, "charlm", 2, 16)
    assert "Loss" not in [w.label for w in app.selectbox]  # a text model's loss is cross-entropy: no choice
    app.button(key="b.start").click()
    app.run()
    assert app.button(key="b.start").disabled and not app.button(key="b.stop").disabled
    run_until(app, ended, timeout=120)
    assert not app.exception and not app.error, texts(app)
    shown = texts(app)
    assert "finished 2 epochs" in shown and "The model beats the baselines on the test part." in shown
    table = scores_table(app)
    assert list(table["model"]) == ["this model"] * 2 + ["unigram baseline"] * 2 + ["bigram baseline"] * 2
    assert table["bits per character"].iloc[1] < table["bits per character"].iloc[5]  # test: below the bigram
    assert app.code[0].value.startswith("Chapter 1\nIn the beginning") and len(app.code[0].value) > 300
    titles = chart_titles(app)
    assert titles[0] == "Loss (cross-entropy)" and any(title.endswith("of unit " + str(app.selectbox(
        key="w.tasks.unit").value)) for title in titles)
    assert "the model expects: “" in shown
    app.slider(key="w.tasks.temperature").set_value(1.5)
    app.run()
    assert not app.exception and not app.button(key="b.start").disabled


def test_a_classifier_of_the_bundled_sequences_shows_its_confusion_matrix_and_mistakes(app):
    app.segmented_control(key="w.task").set_value("classify")
    app.run()
    shown = texts(app)
    assert "1,096 sequences of 24 steps, classes: apr_to_sep 549, oct_to_mar 547" in shown
    assert "Sequences: 767 to train on, 164 to validate, 165 to test" in shown
    assert chart_titles(app) == ["A few sequences of each class (count in brackets)"]
    set_up(app, "classify", 3, 8)
    app.button(key="b.start").click()
    run_until(app, ended, timeout=120)
    assert not app.exception and not app.error, texts(app)
    table = scores_table(app)
    assert list(table["model"]) == ["this model"] * 2 + ["majority class"] * 2
    assert table["accuracy"].iloc[1] > table["accuracy"].iloc[3]
    assert {"Confusion matrix (test)", "Misclassified test sequences (true → predicted)"} <= set(chart_titles(app))
    options = app.selectbox(key="w.tasks.sequence").options  # "#index: true, read as predicted"
    read = [re.fullmatch(r"#\d+: (\w+), read as (\w+)", option).groups() for option in options]
    assert len(read) == 165 and read == sorted(read, key=lambda pair: pair[0] == pair[1])  # the mistakes first
    assert len(chart_titles(app)) == 4 and not app.exception  # with the cell's gates and states for one sequence
    downloads = [b.proto.label for b in app.get("download_button")]
    assert downloads == ["Download the run (model, settings, history, metrics)"]


def test_data_it_cannot_use_is_said_and_nothing_changes(app):
    lab = session_lab()
    app.segmented_control(key="w.task").set_value("charlm")
    app.run()
    app.file_uploader(key="w.task_upload.charlm").set_value(("poem.txt", "床前明月光".encode("gb18030") * 60,
                                                           "text/plain"))
    app.run()
    assert not app.exception and "poem.txt is not UTF-8 text" in texts(app)
    assert lab.config.data.source == "sample:genesis" and lab.dataset.name == "genesis"  # the text before stays
    app.segmented_control(key="w.task").set_value("classify")
    app.run()
    app.text_input(key="w.label").set_value("outcome")
    app.run()
    rows = "season,a,b,c\n" + "".join(f"{'hot' if i % 2 else 'cold'},{i},{i + 1},{i + 2}\n" for i in range(60))
    app.file_uploader(key="w.task_upload.classify").set_value(("days.csv", rows.encode(), "text/csv"))
    app.run()
    assert "no label column 'outcome'" in texts(app), texts(app)
    assert lab.config.data.source == "sample:italy_power_demand"  # the labelled set before stays
    app.text_input(key="w.label").set_value("season")  # named now: the file is read again, with it
    app.run()
    assert not app.exception and lab.config.data.source == "days.csv" and lab.config.data.label == "season"
    assert "60 sequences of 3 steps, classes: cold 30, hot 30" in texts(app), texts(app)
    app.switch_page("views/train.py")
    app.run()
    app.number_input(key="w.hidden_size").set_value(300)
    app.number_input(key="w.num_layers").set_value(3)
    app.run()
    app.button(key="b.start").click()
    app.run()
    shown = texts(app)
    assert not app.exception and "above this server's limit max_parameters" in shown, shown
    assert lab.current is None and lab.status() == "idle"  # nothing started


def test_pause_step_resume_and_stop_a_run_as_on_the_train_page(app):
    """The run is the session's one run: it pauses after its epoch, steps one more, resumes, and Stop ends it
    within its epoch keeping its weights; the sidebar says it trains, and the panel the time left."""

    set_up(app, "classify", 500, 8)
    lab = session_lab()  # (found before it trains: gc.get_objects() beside a training thread can break it)
    app.button(key="b.start").click()
    run_until(app, lambda at: "training epoch 3" in texts(at), timeout=60)
    progress = " ".join(element.proto.text for element in app.get("progress"))
    assert "s left" in progress and any("Training: running" in c.value for c in app.sidebar.caption), progress
    app.button(key="b.pause").click()
    run_until(app, lambda at: lab.status() == "paused", timeout=60)
    paused_at = len(lab.current.progress().history)
    app.run()
    assert app.button(key="b.pause").label == "Resume" and not app.button(key="b.step").disabled
    app.button(key="b.step").click()
    run_until(app, lambda at: len(lab.current.progress().history) == paused_at + 1 and lab.status() == "paused",
              timeout=60)
    app.button(key="b.pause").click()  # Resume
    run_until(app, lambda at: lab.status() == "running", timeout=60)
    app.button(key="b.stop").click()
    run_until(app, ended, timeout=60)
    assert not app.exception and "stopped" in texts(app) and app.dataframe


def test_a_run_that_ends_while_the_page_is_drawn_shows_one_state(app, monkeypatch):
    """The page reads once whether the run trains: a run that ends after its status was drawn shows its results
    on the next redraw, never next to a status that says it still trains."""
    import ui.training_panel

    set_up(app, "classify", 500, 8)
    lab = session_lab()  # (found before it trains: gc.get_objects() beside a training thread can break it)
    app.button(key="b.start").click()
    run_until(app, lambda at: "training epoch 2" in texts(at), timeout=60)
    drawn = ui.training_panel.status_line

    def status_then_end(progress):
        drawn(progress)
        lab.stop()
        assert lab.join(timeout=60)

    monkeypatch.setattr(ui.training_panel, "status_line", status_then_end)
    app.run()  # the page begins with the run training; it has ended when the page's last part is drawn
    assert "training epoch" in texts(app) and not app.subheader, texts(app)
    monkeypatch.setattr(ui.training_panel, "status_line", drawn)
    app.run()
    shown = texts(app)
    assert not app.exception and "stopped" in shown and "training epoch" not in shown and app.subheader


def test_the_pages_speak_chinese_for_a_text(app):
    app.sidebar.selectbox(key="w.lang").set_value("zh")
    app.run()
    app.segmented_control(key="w.task").set_value("charlm")
    app.run()
    shown = texts(app)
    assert not app.exception and "197,408 个字符，70 个不同字符" in shown and "字符：138,186 个用于训练" in shown, shown
    assert app.segmented_control(key="w.task").options == ["序列预测", "字符语言模型", "序列分类"]
    app.switch_page("views/train.py")
    app.run()
    assert app.button(key="b.start").label == "开始" and "197,408 个字符 · 字符语言模型" in texts(app)


def test_a_scenario_starts_from_home_and_what_it_says_to_watch_happens(app):
    """Which cell remembers: the LSTM and the GRU as they start stay near chance, with forget bias 1 the LSTM
    learns. Each is one click on Home, watched on Train with its data and settings the next run's."""
    scores = {}
    for key in ("memory_lstm", "memory_forget_bias", "memory_gru"):
        app.switch_page("views/home.py")
        app.run()
        app.button(key=f"scenario.{key}").click()
        app.run()  # the click starts the run and opens Train
        assert not app.exception and session_lab().config.data.source == "synthetic:sign_memory"
        app.switch_page("views/train.py")  # (AppTest draws the page a test last named on each run)
        app.run()
        assert app.selectbox(key="w.cell").value == ("gru" if "gru" in key else "lstm")
        assert app.number_input(key="w.forget_bias").value == (1.0 if "bias" in key else 0.0)
        run_until(app, lambda at: "finished 10 epochs" in texts(at), timeout=120)
        assert not app.exception and not app.error, texts(app)
        scores[key] = scores_table(app)["accuracy"].iloc[1]  # test
    assert scores["memory_lstm"] < 0.7 and scores["memory_gru"] < 0.7 and scores["memory_forget_bias"] > 0.95, scores


def test_while_a_text_model_trains_the_page_shows_what_it_writes_after_each_epoch(app):
    set_up(app, "charlm", 500, 4)  # (it is stopped below: it must not end on its own on a busy machine)
    app.button(key="b.start").click()
    run_until(app, lambda at: "What the model wrote after epoch 1 (temperature 0.8)" in texts(at), timeout=90)
    assert app.button(key="b.stop").disabled is False, texts(app)
    live = [c.value for c in app.code]
    lookback = session_lab().config.window.lookback
    assert live and live[0].startswith("Chapter 1\n") and len(live[0]) == lookback + 160  # the first window, then 160
    app.text_area(key="w.tasks.live_prompt").set_value("And God said")
    app.slider(key="w.tasks.live_temperature").set_value(0.3)
    app.run()
    run_until(app, lambda at: "(temperature 0.3)" in texts(at), timeout=90)  # from the next epoch on
    assert [c.value for c in app.code][0].startswith("And God said") and not app.exception
    app.button(key="b.stop").click()
    run_until(app, ended, timeout=60)
    assert not app.exception and "stopped" in texts(app) and "What the model wrote after epoch" not in texts(app)


def open_page(query: dict, page: str | None = "views/train.py") -> object:
    """A new browser session on ``page`` (None: Home) with ``query`` in its address (a link, a workspace)."""
    import gc

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.apptest import APP

    st.cache_resource.clear()
    gc.collect()
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    return at


def test_a_run_is_kept_in_the_workspace_and_opens_again_after_a_reload(app):
    set_up(app, "classify", 2, 8)
    app.button(key="b.start").click()
    run_until(app, ended, timeout=120)
    assert "Recorded as run 1 in this workspace" in texts(app), texts(app)
    accuracy = scores_table(app)["accuracy"].iloc[1]
    first = session_lab()
    key = first.archive.key

    again = open_page({"workspace": key})  # a reload: a new session, the same workspace
    lab = session_lab(old=[first])
    assert lab.config.data.task == "classify" and lab.dataset.name == "italy_power_demand"  # the next run's again
    assert "Data: Italian power demand" in texts(again)
    again.switch_page("views/evaluate.py")
    again.run()
    assert not again.exception and not again.error, texts(again)
    assert again.selectbox(key="w.evaluate.run").value == 1 and "finished 2 epochs" in texts(again)
    assert scores_table(again)["accuracy"].iloc[1] == pytest.approx(accuracy)  # its stored weights, scored again
    assert "Confusion matrix (test)" in chart_titles(again)
    stop_everything()


def test_a_tasks_experiment_is_in_the_link_and_a_link_sets_it_up():
    at = open_page({}, "views/data.py")
    at.segmented_control(key="w.task").set_value("classify")
    at.run()
    at.selectbox(key="w.task_source.classify").set_value("synthetic:sign_memory")
    at.button(key="b.use.classify").click()
    at.run()  # (the settings then start from what that data recommends)
    at.switch_page("views/train.py")
    at.run()
    at.number_input(key="w.hidden_size").set_value(24)
    at.run()
    query = {key: at.query_params[key] for key in at.query_params}
    assert query["task"] == "classify" and query["source"] == "synthetic:sign_memory" and query["hidden_size"] == "24"

    shared = open_page({**query, "lr": "0.02", "epochs": "7"})
    assert not shared.exception
    lab = session_lab()
    assert lab.config.data.task == "classify" and lab.dataset.name == "sign_memory" and len(lab.dataset) == 1000
    assert shared.number_input(key="w.hidden_size").value == 24 and shared.number_input(key="w.epochs").value == 7
    assert shared.select_slider(key="w.lr").value == pytest.approx(0.02)
    assert "Data: The sign of the first step" in texts(shared)

    del at, shared, lab  # (their sessions' Labs go with them)
    unknown = open_page({"task": "charlm", "source": "sample:nope"}, None)  # (the sidebar says it once)
    assert not unknown.exception and "the data nope could not be loaded" in texts(unknown), texts(unknown)
    assert session_lab().config.data.task == "forecast"  # the data before stays, and its task
    stop_everything()


def test_a_labels_run_zip_imports_on_compare_as_every_run_zip_does_scored_again_and_kept(app):
    from rnncore.config import ExperimentConfig
    from rnncore.tasks.build import task_data, task_run
    from rnncore.tasks.files import task_zip
    from rnncore.training import run_experiment

    cfg = ExperimentConfig().replace(data={"task": "classify", "source": "sample:italy_power_demand"},
                                     model={"cell": "gru", "hidden_size": 6}, train={"epochs": 2, "lr": 0.02})
    data = task_data(cfg)
    result = run_experiment(cfg, task=task_run(cfg, data))
    zipped = task_zip(result, {"source": cfg.data.source, "name": "italy_power_demand", "rows": len(data),
                               "sha256": None})
    app.switch_page("views/compare.py")
    app.run()
    app.file_uploader(key="w.import").set_value(("mine.zip", zipped, "application/zip"))
    app.run()
    assert not app.exception and not app.error, texts(app)
    assert "Run #1 GRU 6×1 · Sequence classification is back" in texts(app)
    app.switch_page("views/evaluate.py")
    app.run()
    assert "imported gru run: 2 epoch(s), trained on Italian power demand" in texts(app)
    assert scores_table(app)["accuracy"].iloc[1] == pytest.approx(result.metrics["test"]["accuracy"])  # scored again
    assert session_lab().archive.store.list_runs(session_lab().archive.key)[0].status == "imported"  # kept


def test_compare_evaluate_and_inside_take_a_labels_run_as_they_take_a_forecast(app):
    set_up(app, "classify", 1, 4)
    app.button(key="b.start").click()
    run_until(app, ended, timeout=120)
    accuracy = scores_table(app)["accuracy"].iloc[1]
    app.switch_page("views/compare.py")
    app.run()
    assert not app.exception, texts(app)
    (label,) = app.multiselect(key="w.compare.runs").value
    assert label.startswith("#1 ") and label.endswith("· Sequence classification")
    metrics = next(frame.value for frame in app.dataframe if "model accuracy" in frame.value.index)
    assert float(metrics[label]["model accuracy"]) == pytest.approx(accuracy, abs=1e-3)
    assert "majority class" in metrics.index
    loss = json.loads(app.get("plotly_chart")[0].proto.spec)["layout"]
    assert loss["yaxis"]["title"]["text"] == "cross-entropy (nats)"
    app.switch_page("views/evaluate.py")
    app.run()
    assert not app.exception and app.selectbox(key="w.evaluate.run").value == 1
    assert scores_table(app)["accuracy"].iloc[1] == pytest.approx(accuracy)  # the run's evaluation, here too
    assert "Confusion matrix (test)" in chart_titles(app)
    assert [b.proto.label for b in app.get("download_button")] == ["Download the run (model, settings, history, "
                                                                    "metrics)"]
    app.switch_page("views/inside.py")
    app.run()
    assert not app.exception and "Gates and states over one window" in chart_titles(app)  # a test sequence
    assert "Confusion matrix (test)" not in chart_titles(app)


def test_continue_trains_a_text_model_on_from_its_weights_on_train(app):
    """Evaluate's Continue of a text run: it trains on from its kept weights (its epochs go on), on Train, and its
    text and settings become the next run's."""
    set_up(app, "charlm", 1, 8)
    lab = session_lab()  # (found before it trains: gc.get_objects() beside a training thread can break it)
    app.button(key="b.start").click()
    run_until(app, ended, timeout=120)
    first = lab.runs[-1]
    assert first.status == "finished" and len(first.history) == 1
    app.switch_page("views/evaluate.py")
    app.run()
    app.button(key="b.continue").click()
    app.run()
    assert not app.exception and not app.error, texts(app)
    assert lab.join(timeout=120)
    again = lab.runs[-1]
    assert again.id != first.id and [r.epoch for r in again.history] == [1, 2]  # on from epoch 1
    assert again.config.data.task == "charlm" and lab.config.data.task == "charlm" and lab.dataset.name == "genesis"
    app.switch_page("views/train.py")
    app.run()
    assert "Scores" in [s.value for s in app.subheader] and not app.exception


def test_the_state_carried_between_windows_is_a_text_models_setting_on_data(app):
    """Only a text model has the setting; chosen on Data, the run trains with it and Continue keeps it."""
    assert "w.initial_state" not in [w.key for w in app.selectbox]  # a series: no such setting
    app.segmented_control(key="w.task").set_value("charlm")
    app.run()
    assert app.selectbox(key="w.initial_state").value == "zero"
    app.selectbox(key="w.initial_state").set_value("carried")
    app.run()
    # the bundled text's training part: 138,186 characters; its recommended batch size 32 and lookback 36
    shown = texts(app)
    assert "read as 32 streams side by side (the batch size), each 119 windows of 36 characters" in shown, shown
    assert "the last 1,097 characters of the part are left out" in shown
    set_up(app, "charlm", 1, 8)
    lab = session_lab()
    assert lab.config.window.initial_state == "carried"
    app.button(key="b.start").click()
    run_until(app, ended, timeout=120)
    assert not app.exception and not app.error, texts(app)
    first = lab.runs[-1]
    assert first.status == "finished" and first.config.window.initial_state == "carried"
    app.switch_page("views/evaluate.py")
    app.run()
    app.button(key="b.continue").click()
    app.run()
    assert lab.join(timeout=120)
    again = lab.runs[-1]
    assert [r.epoch for r in again.history] == [1, 2] and again.config.window.initial_state == "carried"
    assert again.history[1].val_loss < again.history[0].val_loss  # it trained on from the first epoch's weights

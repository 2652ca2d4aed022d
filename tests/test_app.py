"""The dashboard through Streamlit's AppTest: every page renders, data loads, training runs."""

import gc
import json

import pytest

from rnncore.data.samples import with_defaults
from rnncore.lab import Lab
from tests.apptest import (
    choose_sample,
    new_app,
    run_until,
    session_lab,
    shown,
    start_training,
    stop_everything,
    texts,
)

PAGES = ["views/home.py", "views/data.py", "views/train.py", "views/inside.py", "views/evaluate.py",
         "views/compare.py", "views/learn.py"]


@pytest.fixture
def app():
    at = new_app()
    yield at
    stop_everything()


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(app, page):
    app.switch_page(page)
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    assert app.title, f"{page} has no title"


def declared(app) -> None:
    """The session's next run: the declared settings (an LSTM of 32 units), not the default sample's recommended."""
    lab = session_lab()
    lab.config = with_defaults(lab.config, {})


def test_a_sample_data_set_can_be_chosen(app):
    choose_sample(app, "sunspots")
    assert not app.exception
    assert any(h.value.replace("\\", "") == "Sunspots (yearly)" for h in app.header)  # the sample's title
    assert len(app.get("plotly_chart")) == 1


def test_a_bad_upload_shows_a_message_and_keeps_the_data(app):
    app.switch_page("views/data.py")
    app.run()
    before = app.header[0].value
    app.file_uploader(key="w.upload").set_value(("broken.csv", b"PK\x03\x04 not really a spreadsheet",
                                                  "text/csv"))
    app.run()
    assert not app.exception
    message = shown(" ".join(e.value for e in app.error))
    assert "broken.csv could not be used" in message
    assert "spreadsheet" in message.lower() or "excel" in message.lower()
    assert app.header[0].value == before  # the previous data set stays loaded


def test_a_short_training_run_completes_and_shows_metrics(app):
    start_training(app, epochs=3, hidden_size=8)
    run_until(app, lambda at: "finished" in texts(at), timeout=60)
    assert not app.exception
    page = texts(app)
    assert "finished 3 epochs" in page
    metrics = app.dataframe[0].value
    assert "model" in set(metrics.iloc[:, 0])
    assert {"RMSE", "MAE"} <= set(metrics.columns)
    assert len(app.get("plotly_chart")) == 2  # loss and predictions

    app.switch_page("views/evaluate.py")
    app.run()
    assert not app.exception
    table = app.dataframe[0].value
    assert "model" in table.index and "persistence (last value)" in table.index


def test_file_and_column_names_are_shown_as_text_never_markup(app):
    hostile = "[prize](http://evil.test) **big** :red[x] $x$"
    csv = "time,<img src=x onerror=alert(1)>\n" + "\n".join(f"{i},{i % 7}" for i in range(60))
    app.switch_page("views/data.py")
    app.run()
    app.file_uploader(key="w.upload").set_value((f"{hostile}.csv", csv.encode(), "text/csv"))
    app.run()
    assert not app.exception
    header = app.header[0].value
    assert "\\[prize\\]\\(http\\:" in header and "\\*\\*big\\*\\*" in header and "\\$x\\$" in header
    for element in [*app.markdown, *app.caption, *app.header, *app.error, *app.warning]:
        value = str(element.value)
        assert "<img" not in value.replace("\\<img", ""), value  # never raw HTML
        assert "](http" not in value, value  # never a live link


def train_briefly(app, epochs: int = 2) -> None:
    """A short run of the declared settings (an LSTM), not the default sample's recommended ones."""
    declared(app)
    start_training(app, epochs=epochs, hidden_size=6)
    run_until(app, lambda at: f"finished {epochs} epochs" in texts(at), timeout=60)


def test_inside_the_cell_shows_every_view_after_training(app):
    train_briefly(app)
    app.switch_page("views/inside.py")
    app.run()
    assert not app.exception
    charts = app.get("plotly_chart")
    assert len(charts) == 6  # gates and states, saturation, PCA path, gradient through time, weights, gradients
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in charts]
    assert "Gates and states over one window" in titles and "Gradient through time" in titles
    heat = json.loads(charts[0].proto.spec)
    names = {trace.get("name") for trace in heat["data"]}
    assert {"input gate i", "forget gate f", "output gate o", "candidate", "hidden state h", "cell state c"} <= names


def test_a_run_comes_back_from_its_zip_and_a_bad_zip_is_refused(app):
    from rnncore.io.bundle import export_run

    train_briefly(app)
    lab = next(o for o in gc.get_objects() if type(o) is Lab)
    data = export_run(lab.runs[-1].result, lab.runs[-1].history)
    app.switch_page("views/compare.py")
    app.run()
    app.file_uploader(key="w.import").set_value(("not_a_run.zip", b"PK\x03\x04 broken", "application/zip"))
    app.run()
    assert not app.exception
    assert "not_a_run.zip could not be read" in shown(" ".join(e.value for e in app.error))
    assert len(lab.runs) == 1  # nothing else happened
    app.file_uploader(key="w.import").set_value(("run.zip", data, "application/zip"))
    app.run()
    assert not app.exception and len(lab.runs) == 2
    assert lab.runs[-1].status == "imported" and lab.runs[-1].result is not None  # airline: evaluated again
    assert lab.runs[-1].metrics["test"]["rmse"] == pytest.approx(lab.runs[0].metrics["test"]["rmse"])


def test_a_memory_task_goes_through_every_page(app):
    lab = next(o for o in gc.get_objects() if type(o) is Lab)
    lab.load("synthetic:adding", {"steps": 20, "samples": 300})
    lab.config = lab.config.replace(window={"scaler": "none"})
    train_briefly(app)
    assert "always predict the mean" in json.dumps([json.loads(c.proto.spec) for c in app.get("plotly_chart")])
    for page in PAGES:
        app.switch_page(page)
        app.run()
        assert not app.exception, (page, [e.message for e in app.exception])


def test_a_bug_on_a_page_shows_a_short_message_and_the_rest_goes_on(app, monkeypatch):
    import ui.training_panel

    def broken(progress):
        raise RuntimeError("a bug with a secret /srv/path")

    monkeypatch.setattr(ui.training_panel, "status_line", broken)
    start_training(app, epochs=2, hidden_size=4)
    assert not app.exception  # no traceback on the page
    said = texts(app)
    assert "Something went wrong on this page" in said and "/srv/path" not in said
    assert any(b.label == "Start" for b in app.button)  # the rest of the page is there
    monkeypatch.undo()
    app.switch_page("views/home.py")
    app.run()
    assert not app.exception and "Something went wrong" not in texts(app)


def test_on_a_machine_with_a_gpu_the_train_page_says_which_device_is_the_faster(app, monkeypatch):
    from rnncore.training import devices

    def notes():
        return " ".join(c.value for c in app.caption) + " " + " ".join(i.value for i in app.info)

    declared(app)
    app.switch_page("views/train.py")
    app.run()
    app.selectbox(key="w.device").set_value("auto").run()
    assert "auto:" not in notes()  # no GPU here: nothing to choose between
    app.selectbox(key="w.device").set_value("cuda").run()
    assert [w.value for w in app.warning] == ["device 'cuda' was asked for but no CUDA GPU is available; "
                                              "choose cpu or auto"]  # before Start, which would refuse it
    app.selectbox(key="w.device").set_value("auto").run()
    monkeypatch.setattr(devices, "gpu_available", lambda: True)
    app.run()
    assert "auto: this run trains on the CPU" in notes() and "32,768, under 150,000" in notes()  # 32 x 32²
    app.number_input(key="w.hidden_size").set_value(128).run()
    assert "auto: this run trains on the GPU" in notes() and "524,288, over 150,000" in notes()
    app.number_input(key="w.hidden_size").set_value(50).run()
    app.selectbox(key="w.device").set_value("cuda").run()
    assert "This model trains faster on the CPU" in notes() and not app.warning
    app.selectbox(key="w.cell").set_value("gru").run()
    assert "faster on the CPU" not in notes() and "auto:" not in notes()
    app.selectbox(key="w.device").set_value("auto").run()
    assert "every size measured" in notes()
    app.selectbox(key="w.device").set_value("cpu").run()
    assert "auto:" not in notes() and "faster" not in notes()
    assert not app.exception

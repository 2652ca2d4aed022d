"""The dashboard through Streamlit's AppTest: every page renders, data loads, training runs."""

import pytest

from tests.apptest import new_app, run_until, shown, stop_everything, texts

PAGES = ["pages/home.py", "pages/data.py", "pages/train.py", "pages/inside.py", "pages/evaluate.py",
         "pages/compare.py", "pages/learn.py"]


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


def test_a_sample_data_set_can_be_chosen(app):
    app.switch_page("pages/data.py")
    app.run()
    app.selectbox(key="w.sample").set_value("sunspots")
    next(b for b in app.button if b.label == "Use this data set").click()
    app.run()
    assert not app.exception
    assert any(h.value == "sunspots" for h in app.header)
    assert len(app.get("plotly_chart")) == 1


def test_a_bad_upload_shows_a_message_and_keeps_the_data(app):
    app.switch_page("pages/data.py")
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
    app.switch_page("pages/train.py")
    app.run()
    app.number_input(key="w.epochs").set_value(3)
    app.number_input(key="w.hidden_size").set_value(8)
    app.run()
    next(b for b in app.button if b.label == "Start").click()
    app.run()
    run_until(app, lambda at: "finished" in texts(at), timeout=60)
    assert not app.exception
    page = texts(app)
    assert "finished 3 epochs" in page
    metrics = app.dataframe[0].value
    assert "model" in set(metrics.iloc[:, 0])
    assert {"RMSE", "MAE"} <= set(metrics.columns)
    assert len(app.get("plotly_chart")) == 2  # loss and predictions

    app.switch_page("pages/evaluate.py")
    app.run()
    assert not app.exception
    table = app.dataframe[0].value
    assert "model" in table.index and "persistence (last value)" in table.index


def test_file_and_column_names_are_shown_as_text_never_markup(app):
    hostile = "[prize](http://evil.test) **big** :red[x] $x$"
    csv = "time,<img src=x onerror=alert(1)>\n" + "\n".join(f"{i},{i % 7}" for i in range(60))
    app.switch_page("pages/data.py")
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

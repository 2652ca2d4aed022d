"""The classroom in the app (AppTest): a teacher makes a class, a student joins, trains on the challenge and
submits, and the teacher's board shows it; names stay text; the teacher key leaves the address bar."""

from __future__ import annotations

import pytest

from rnncore.classroom.classroom import Classroom
from rnncore.store import open_store
from tests.apptest import session_lab, stop_everything, texts
from tests.test_app_workspace import open_app


@pytest.fixture(autouse=True)
def _stop():
    yield
    stop_everything()


def on_page(at, page: str):
    at.switch_page(f"views/{page}.py")
    return at.run()


def press(at, label: str):
    next(b for b in at.button if b.label == label).click()
    return at.run()


def make_class() -> tuple[str, str]:
    """The teacher's page: a class on the loaded data (the airline sample); (room code, teacher key)."""
    at = on_page(open_app(), "teacher")
    at.text_input(key="w.teacher.name").set_value("Period 3")
    at.number_input(key="w.teacher.parameters").set_value(5000)
    press(at, "Make the class")
    assert not at.exception, [e.message for e in at.exception]
    said = texts(at)
    assert "Your class is ready: room code" in said, said
    room = said.split("room code ")[1][:6]
    key = at.session_state["class.teacher"]
    assert any(key in str(code.value) for code in at.code)  # the teacher link, to keep
    assert "Students (0)" in texts(at)
    return room, key


def test_a_student_joins_trains_on_the_challenge_submits_and_the_teacher_sees_it():
    room, teacher = make_class()
    stop_everything()
    at = on_page(open_app(), "classroom")
    at.text_input(key="w.class.room").set_value(room.lower())
    at.text_input(key="w.class.name").set_value("**Ada** <b>")
    press(at, "Join the class")
    assert not at.exception and "You joined" in texts(at)
    assert "**Ada** <b>" in texts(at)  # shown as written, not as bold or HTML
    assert session_lab().slots.name.startswith("class:")  # her runs queue with her class's (rnncore.training.slots)
    press(at, "Use the challenge's data and window")
    lab = session_lab()
    assert lab.dataset.name.startswith("challenge_") and lab.config.train.max_seconds == 60
    assert len(lab.dataset.frame) < 144  # the held-out part is not given to students
    lab.start(lab.config.replace(model={"hidden_size": 8}, train={"epochs": 3}))
    assert lab.join(timeout=120)
    at.run()
    press(at, "Submit to class")
    assert not at.exception and "scored an RMSE of" in texts(at), texts(at)
    assert "**Ada** <b>" in at.dataframe[0].value.iloc[:, 0].tolist()

    stop_everything()
    board = on_page(open_app({"teacher": teacher}), "teacher")
    assert not board.exception
    assert "teacher" not in board.query_params  # the key leaves the address bar
    assert "Students (1)" in texts(board)
    students, leaders = (frame.value for frame in board.dataframe[:2])
    assert students.iloc[0, 0] == "**Ada** <b>" and students.iloc[0, 2] == 1
    assert set(leaders.iloc[:, 0]) >= {"**Ada** <b>", "baseline: persistence (last value)"}
    assert board.get("plotly_chart"), "no curves of the chosen students"
    assert "A student's run, inside" in texts(board)  # the student's run opened: curves, settings, its gates
    assert board.selectbox(key="w.teacher.run").value == "**Ada** <b> · #1"
    assert "**Hidden units** 8" in texts(board) and "**Cell** LSTM" in texts(board)
    charts = [c.proto.spec for c in board.get("plotly_chart")]
    assert any('"Gates' in spec or "gate" in spec.lower() for spec in charts[-1:]), "no gates of the student's run"


def test_a_wrong_room_code_is_said_and_nothing_is_joined():
    at = on_page(open_app(), "classroom")
    at.text_input(key="w.class.room").set_value("O0O0O0")
    at.text_input(key="w.class.name").set_value("Bob")
    press(at, "Join the class")
    assert not at.exception and "is not a room code" in texts(at)
    assert Classroom(open_store()).membership(session_lab().archive.key) is None


def test_a_teacher_link_that_is_wrong_opens_no_board():
    at = on_page(open_app({"teacher": "not-a-real-key-" * 3}), "teacher")
    assert not at.exception
    assert "this teacher link is not one this server knows" in texts(at)
    assert "Students (" not in texts(at)


def test_a_teacher_makes_a_class_on_a_file_she_uploaded():
    at = on_page(open_app(), "teacher")
    content = ("month,sales\n" + "\n".join(f"{2000 + i // 12}-{1 + i % 12:02d}-01,{10 + (i % 12) + i * 0.5:.2f}"
                                             for i in range(120)) + "\n").encode()
    session_lab().load("shop.csv", content=content)
    at.run()
    at.text_input(key="w.teacher.name").set_value("Shop")
    press(at, "Make the class")
    assert not at.exception, [e.message for e in at.exception]
    assert "Your class is ready: room code" in texts(at), texts(at)
    info = Classroom(open_store()).teacher_class(at.session_state["class.teacher"])
    assert info.challenge.config.data.source == "shop.csv" and info.challenge.content == content

"""The classroom in the app (AppTest): a teacher makes a class, a student joins, trains on the challenge and
submits, and the teacher's board shows it; names stay text; the teacher key leaves the address bar."""

from __future__ import annotations

import pytest
import streamlit as st

from rnncore.classroom.challenge import Challenge
from rnncore.classroom.classroom import JOINS_PER_MINUTE, Classroom
from rnncore.errors import ClassError
from rnncore.io.bundle import export_run
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
    key = at.session_state["cookies.written"]["rnnlab_teacher"]
    assert not any(key in str(code.value) for code in at.code)  # a screen shown to the class shows no key
    at.toggle(key="w.teacher.show_link").set_value(True).run()
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
    assert "**Hidden units** 8" in texts(board) and "**Cell** GRU" in texts(board)  # the challenge's start: a GRU
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
    info = Classroom(open_store()).teacher_class(at.session_state["cookies.written"]["rnnlab_teacher"])
    assert info.challenge.config.data.source == "shop.csv" and info.challenge.content == content


def a_class() -> tuple[str, str]:
    """A class on the airline sample, as the Teacher page makes one: (room code, teacher key)."""
    return Classroom(open_store()).create_class("Period 3", Challenge(max_epochs=20, max_parameters=5_000,
                                                                      max_seconds=60))


def join(at, room: str, name: str):
    at.text_input(key="w.class.room").set_value(room)
    at.text_input(key="w.class.name").set_value(name)
    return press(at, "Join the class")


def train_on_the_challenge(at):
    """On the Class page: the challenge's data loaded, and a short run trained on it in this session's Lab."""
    press(at, "Use the challenge's data and window")
    lab = session_lab()
    lab.start(lab.config.replace(model={"hidden_size": 8}, train={"epochs": 3}))
    assert lab.join(timeout=120)
    return at.run()


def test_a_student_deletes_a_submitted_run_and_the_teachers_board_still_draws_with_its_csv():
    room, teacher = a_class()
    at = join(on_page(open_app(), "classroom"), room, "Ada")
    press(train_on_the_challenge(at), "Submit to class")
    assert not at.exception and "scored an RMSE of" in texts(at), texts(at)
    at = press(on_page(at, "evaluate"), "Delete run")
    assert "the class you submitted it to keeps its submission" in texts(at), texts(at)
    assert session_lab().runs == []

    stop_everything()
    board = on_page(open_app({"teacher": teacher}), "teacher")
    assert not board.exception and "Something went wrong" not in texts(board), texts(board)
    assert "Students (1)" in texts(board) and "1 students submitted: Ada (#1)" in texts(board)
    assert "**Hidden units** 8" in texts(board)  # the look inside, from the class's copy of the run
    assert [b.proto.label for b in board.get("download_button")] == ["Download the class's results (CSV)"]


def connected_from(monkeypatch, address: str) -> None:
    """The address the connection of every session comes from, as the server sees it (st.context.ip_address)."""
    monkeypatch.setattr(type(st.context), "ip_address", property(lambda context: address))


def test_join_tries_from_one_address_are_limited_whatever_workspace_they_come_from(monkeypatch):
    room, _ = a_class()
    connected_from(monkeypatch, "203.0.113.7")  # (an address of this test only: documentation's range)
    at = on_page(open_app(), "classroom")
    wrong = "ZZZZZZ" if room != "ZZZZZZ" else "YYYYYY"
    for _ in range(JOINS_PER_MINUTE):
        join(press(at, "New workspace"), wrong, "Eve")  # each guess from a new workspace
        assert "there is no class with the room code" in texts(at), texts(at)
    join(press(at, "New workspace"), room, "Eve")
    assert "too many tries from here" in texts(at), texts(at)
    assert Classroom(open_store()).membership(session_lab().archive.key) is None
    connected_from(monkeypatch, "203.0.113.8")
    join(at, room, "Eve")
    assert "You joined" in texts(at), texts(at)


def test_the_class_page_says_why_a_run_continued_from_an_imported_zip_cannot_be_submitted():
    room, _ = a_class()
    at = train_on_the_challenge(join(on_page(open_app(), "classroom"), room, "Mallory"))
    lab = session_lab()
    honest = lab.runs[-1]
    imported = lab.import_run(export_run(lab.result_of(honest), honest.history))
    continued = lab.continue_run(lab.run(imported.id))
    assert lab.join(timeout=120)
    at.run()
    picker = at.selectbox(key="w.class.run")
    assert picker.options == [f"#{continued.id} LSTM 8×1 · finished · not taken by the class", "#1 LSTM 8×1 · finished"]
    picker.select(continued.id)
    at.run()
    assert "was imported from a file, or goes on from a run that was" in texts(at), texts(at)
    assert next(b for b in at.button if b.label == "Submit to class").disabled
    at.selectbox(key="w.class.run").select(honest.id)
    at.run()
    assert "was imported" not in texts(at)
    press(at, "Submit to class")
    assert "scored an RMSE of" in texts(at), texts(at)


def test_the_teacher_removes_a_student_and_deletes_the_class_each_once_confirmed():
    room, teacher = a_class()
    rooms = Classroom(open_store())
    for name in ("Ada", "Bo"):
        rooms.join(room, name, rooms.store.create_workspace(), who=name)
    board = on_page(open_app({"teacher": teacher}), "teacher")
    assert "Students (2)" in texts(board)
    assert next(b for b in board.button if b.label == "Remove from the class").disabled
    board.checkbox(key="w.teacher.confirm_remove").check()
    press(board.run(), "Remove from the class")
    assert not board.exception and "Ada is no longer in the class" in texts(board), texts(board)
    assert "Students (1)" in texts(board)

    assert next(b for b in board.button if b.label == "Delete the class").disabled
    board.checkbox(key="w.teacher.confirm_delete").check()
    press(board.run(), "Delete the class")
    assert not board.exception and "The class is deleted." in texts(board), texts(board)
    assert any(b.label == "Make the class" for b in board.button)  # the page offers to make one again
    with pytest.raises(ClassError):
        rooms.teacher_class(teacher)


@pytest.mark.parametrize(("task", "scored", "baselines"), [
    ("classify", "scored an accuracy of", {"baseline: majority class"}),
    ("charlm", "bits per character on the held-out part", {"baseline: unigram baseline", "baseline: bigram baseline"})])
def test_a_class_on_labelled_sequences_or_a_text_is_scored_on_its_held_out_part(task, scored, baselines):
    """The teacher makes a class on the text or labelled set loaded on Data; a student trains on the challenge's
    part and submits; the board ranks by the task's score (accuracy: the highest first) next to its baselines."""
    at = on_page(open_app(), "data")
    at.segmented_control(key="w.task").set_value(task).run()
    at = on_page(at, "teacher")
    at.text_input(key="w.teacher.name").set_value("Period 4")
    at.number_input(key="w.teacher.parameters").set_value(20_000)
    press(at, "Make the class")
    said = texts(at)
    assert not at.exception and "Your class is ready: room code" in said, said
    room, teacher = said.split("room code ")[1][:6], at.session_state["cookies.written"]["rnnlab_teacher"]
    stop_everything()

    at = on_page(open_app(), "classroom")
    at.text_input(key="w.class.room").set_value(room)
    at.text_input(key="w.class.name").set_value("Ada")
    press(at, "Join the class")
    assert ("held-out sequences you never see" if task == "classify" else "the bits per character") in texts(at)
    press(at, "Use the challenge's data and window")
    lab = session_lab()
    assert lab.config.data.task == task and lab.dataset.name.startswith("challenge_")
    whole = {"classify": 1096, "charlm": 197_408}[task]
    assert len(lab.dataset) < whole  # the held-out part is not given to students
    lab.start(lab.config.replace(model={"hidden_size": 8}, train={"epochs": 2}))
    assert lab.join(timeout=180) and lab.runs[-1].status == "finished"
    at.run()
    press(at, "Submit to class")
    assert not at.exception and scored in texts(at), texts(at)
    leaders = at.dataframe[0].value
    assert set(leaders.iloc[:, 0]) == {"Ada", *baselines}
    score = leaders.columns[1]
    assert score == {"classify": "accuracy (held out)", "charlm": "bits per character (held out)"}[task]
    ranked = list(leaders[score])
    assert ranked == sorted(ranked, reverse=task == "classify")  # the best first: accuracy high, bits low

    stop_everything()
    board = on_page(open_app({"teacher": teacher}), "teacher")
    assert not board.exception and "Students (1)" in texts(board)
    students = board.dataframe[0].value
    ada = leaders.loc[leaders.iloc[:, 0] == "Ada", score].iloc[0]
    assert students[f"best {score}"].iloc[0] == pytest.approx(ada)  # named by the challenge's score
    assert board.selectbox(key="w.teacher.run").value == "Ada · #1"  # the student's run opened, inside
    inside = "Inside: one test sequence through the cell" if task == "classify" else \
        "Inside: the text coloured by one unit"
    assert inside in texts(board)
    header = Classroom(open_store()).results_csv(teacher).splitlines()[0]
    assert header == {"classify": "name,run,cell,parameters,epochs,accuracy,macro_f1,submitted",
                      "charlm": "name,run,cell,parameters,epochs,bits_per_char,perplexity,submitted"}[task]

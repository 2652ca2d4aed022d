"""Classes, challenges, scoring and permissions (rnncore.classroom), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from rnncore.classroom import challenge as challenges
from rnncore.classroom.challenge import Challenge
from rnncore.classroom.classroom import JOINS_PER_MINUTE, ROOM_ALPHABET, SUBMISSIONS_PER_MINUTE, Classroom, clean_name
from rnncore.config import ExperimentConfig
from rnncore.data.reading import load_csv
from rnncore.data.windows import make_windows
from rnncore.errors import ClassError
from rnncore.lab import Lab
from rnncore.lab.archive import StoreArchive
from rnncore.training.results import build_result

CHALLENGE = Challenge(max_epochs=20, max_parameters=5_000, max_seconds=60, cells=("lstm", "gru"))


@pytest.fixture
def room(store):
    return Classroom(store), *Classroom(store).create_class("Period 3", CHALLENGE)


def student(store, classroom, room: str, name: str):
    key = store.create_workspace()
    classroom.join(room, name, key, who=f"browser-{name}")
    return key


def trained_on_the_challenge(store, key: str, **model) -> int:
    """A run in the student's workspace on the challenge data, as the app trains it; its number."""
    lab = Lab(archive=StoreArchive(store, key))
    lab.load(CHALLENGE.data_name, content=challenges.student_data(CHALLENGE))
    config = CHALLENGE.student_config(lab.config.replace(model={"hidden_size": 8, **model},
                                                         train={"epochs": 3, "max_seconds": 30}))
    run = lab.start(config)
    assert lab.join(timeout=120)
    lab.close()
    return run.id


def test_a_room_code_is_six_readable_characters_and_the_teacher_key_opens_the_class(store, room):
    classroom, code, teacher = room
    assert len(code) == 6 and set(code) <= set(ROOM_ALPHABET) and not set(code) & set("0O1I")
    assert len(teacher) >= 32  # 192 bits
    info = classroom.teacher_class(teacher)
    assert info.room == code and info.challenge == CHALLENGE and info.open
    with pytest.raises(ClassError) as refused:
        classroom.teacher_class("x" * 32)
    assert refused.value.key == "bad_teacher_key"
    stored = str(backend_rows(store, "SELECT teacher FROM classes"))
    assert teacher not in stored and hashlib.sha256(teacher.encode()).hexdigest() in stored


def backend_rows(store, query: str):
    from sqlalchemy import text

    with store.reading() as conn:
        return [tuple(row) for row in conn.execute(text(query))]


def test_students_join_by_code_with_unique_plain_names(store, room):
    classroom, code, _ = room
    alice = store.create_workspace()
    info, member = classroom.join(f" {code.lower()[:3]} {code.lower()[3:]} ", "  Alice  ", alice, who="a")
    assert info.room == code and member.name == "Alice"  # the code as typed: any case, spaces
    with pytest.raises(ClassError) as taken:
        classroom.join(code, "ALICE", store.create_workspace(), who="b")
    assert taken.value.key == "name_taken"
    for bad, key in (("", "name_empty"), ("x" * 31, "name_long"), ("\u200b\n", "name_empty")):
        with pytest.raises(ClassError) as refused:
            classroom.join(code, bad, store.create_workspace(), who="c")
        assert refused.value.key == key
    assert clean_name("**bold** <b>x</b>\x07") == "**bold** <b>x</b>"  # kept as text; the page shows it as text
    with pytest.raises(ClassError) as unknown:
        classroom.join("ABCDEF" if code != "ABCDEF" else "ABCDEG", "Bob", store.create_workspace(), who="d")
    assert unknown.value.key == "no_room"
    with pytest.raises(ClassError) as malformed:
        classroom.join("O0I1AB", "Bob", store.create_workspace(), who="d")
    assert malformed.value.key == "bad_room"
    assert classroom.membership(alice)[1].name == "Alice"


def test_join_attempts_are_rate_limited_so_codes_cannot_be_guessed(store, room):
    classroom, code, _ = room
    key = store.create_workspace()
    for _ in range(JOINS_PER_MINUTE):
        with pytest.raises(ClassError):
            classroom.join("ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY", "Eve", key, who="one browser")
    with pytest.raises(ClassError) as limited:
        classroom.join(code, "Eve", key, who="one browser")  # even the right code, now
    assert limited.value.key == "too_many_attempts"
    assert classroom.join(code, "Eve", key, who="another browser")[1].name == "Eve"


def test_a_submission_is_scored_on_the_held_out_part_the_student_never_got(store, room):
    classroom, code, teacher = room
    key = student(store, classroom, code, "Alice")
    run = trained_on_the_challenge(store, key)
    given = load_csv(challenges.student_data(CHALLENGE))
    full = challenges.full_data(CHALLENGE)
    assert len(given.frame) == challenges.held_out_from(CHALLENGE, len(full.frame)) < len(full.frame)
    sent = classroom.submit(key, run)
    assert sent["windows" if "windows" in sent else "scored"]["windows"] > 0
    assert sent["score"] == pytest.approx(sent["scored"]["model"]["rmse"])
    (entry,) = classroom.leaderboard(classroom.teacher_class(teacher).id)
    assert entry.name == "Alice" and entry.run == run and entry.score == pytest.approx(sent["score"])
    assert set(entry.beats) == {"persistence", "seasonal_naive"}
    baselines = classroom.baselines(classroom.teacher_class(teacher))
    assert entry.beats["persistence"] == (entry.score < baselines["persistence"]["rmse"])


def test_scoring_predicts_exactly_what_the_run_would_on_its_own_test_part():
    """The held-out windows are cut and scaled as make_windows cuts a test part: on a challenge whose data is
    the student's own, the score equals the run's own test metrics."""
    from rnncore.training.trainer import Trainer

    cfg = CHALLENGE.student_config(ExperimentConfig().replace(model={"hidden_size": 8}, train={"epochs": 2}))
    full = challenges.full_data(CHALLENGE)
    result = Trainer(cfg, dataset=full).run()
    windows = make_windows(full, cfg.window)
    scored = challenges.score(CHALLENGE, result.model, windows)  # its scalers: fitted on the same train part
    again = build_result(cfg=cfg, model=result.model, windows=windows, dataset=full, period=12, history=[],
                         status="finished", message="", device=next(result.model.parameters()).device)
    assert scored["model"]["rmse"] == pytest.approx(again.metrics["test"]["rmse"], rel=1e-5)
    assert scored["baselines"]["persistence"]["rmse"] == pytest.approx(again.baselines["persistence"]["test"]["rmse"])
    assert scored["windows"] == len(windows.test)


def test_a_run_outside_the_challenge_is_refused_with_the_limit_it_broke(store, room):
    classroom, code, _ = room
    key = student(store, classroom, code, "Bob")
    rnn = trained_on_the_challenge(store, key, cell="rnn")
    with pytest.raises(ClassError) as refused:
        classroom.submit(key, rnn)
    assert refused.value.key == "cell_not_allowed" and "rnn" in str(refused.value)
    big = trained_on_the_challenge(store, key, hidden_size=64)
    with pytest.raises(ClassError) as refused:
        classroom.submit(key, big)
    assert refused.value.key == "over_budget" and "parameters" in str(refused.value)

    lab = Lab(archive=StoreArchive(store, key))  # a run on the full data: other data, refused
    lab.start(ExperimentConfig().replace(model={"hidden_size": 8}, train={"epochs": 2, "max_seconds": 30}))
    assert lab.join(timeout=120)
    with pytest.raises(ClassError) as refused:
        classroom.submit(key, lab.runs[-1].id)
    assert refused.value.key == "other_data"
    assert classroom.leaderboard(classroom.membership(key)[0].id) == []  # nothing entered


def test_permissions_and_limits_on_submissions(store, room):
    classroom, code, teacher = room
    outsider = store.create_workspace()
    with pytest.raises(ClassError) as refused:
        classroom.submit(outsider, 1)
    assert refused.value.key == "not_member"
    key = student(store, classroom, code, "Carol")
    run = trained_on_the_challenge(store, key)
    classroom.update(teacher, open=False)
    with pytest.raises(ClassError) as closed:
        classroom.submit(key, run)
    assert closed.value.key == "closed"
    classroom.update(teacher, open=True)
    for _ in range(SUBMISSIONS_PER_MINUTE):
        classroom.submit(key, run)
    with pytest.raises(ClassError) as flooded:
        classroom.submit(key, run)
    assert flooded.value.key == "too_many_submissions"
    other_class = Classroom(store).create_class("Other", CHALLENGE)
    info, rows, board = classroom.board(teacher)
    assert [r.name for r in rows] == ["Carol"] and rows[0].submissions == SUBMISSIONS_PER_MINUTE
    assert classroom.board(other_class[1])[1] == []  # one teacher never sees another class
    with pytest.raises(ClassError):
        classroom.update(other_class[0], pinned="https://example.org")  # a room code is not a teacher key


def test_the_teacher_pins_a_link_and_downloads_the_results(store, room):
    classroom, code, teacher = room
    key = student(store, classroom, code, "=cmd|' /C calc'!A0")
    run = trained_on_the_challenge(store, key)
    classroom.submit(key, run)
    classroom.update(teacher, pinned="http://host/train?cell=gru")
    assert classroom.membership(key)[0].pinned == "http://host/train?cell=gru"
    table = classroom.results_csv(teacher)
    lines = table.strip().splitlines()
    assert lines[0].startswith("name,run,cell") and len(lines) == 2
    assert lines[1].startswith("'=cmd")  # a name is never read as a spreadsheet formula


def test_a_challenge_is_checked_when_it_is_set():
    with pytest.raises(ClassError):
        Challenge(cells=("transformer",))
    with pytest.raises(ClassError):
        Challenge(config=ExperimentConfig().replace(window={"difference": "first"}))
    assert Challenge.from_json(CHALLENGE.to_json()) == CHALLENGE
    assert np.isfinite(challenges.baseline_scores(CHALLENGE)["persistence"]["rmse"])


def test_a_challenge_on_a_file_the_teacher_uploaded_is_kept_with_the_class_and_scored_on_it(store):
    rows = "\n".join(f"{i},{10 + (i % 12) + i * 0.5:.2f}" for i in range(120))
    content = f"t,sales\n{rows}\n".encode()
    config = ExperimentConfig().replace(data={"source": "shop.csv"}, window={"lookback": 12})
    with pytest.raises(ClassError) as caught:
        Challenge(config=config)  # a file challenge without its file
    assert caught.value.key == "bad_challenge"
    challenge = Challenge(config=config, max_epochs=20, max_parameters=5_000, max_seconds=60, content=content)
    assert challenge.data_sha256 == hashlib.sha256(content).hexdigest() and challenge.data_name == "challenge_shop.csv"
    assert "content" not in challenge.to_json() and Challenge.from_json(challenge.to_json()).content is None
    room, teacher = Classroom(store).create_class("Shop", challenge)

    rooms = Classroom(store)  # another server process: the file comes from the store
    info = rooms.teacher_class(teacher)
    assert info.challenge.content == content and info.challenge == challenge
    key = store.create_workspace()
    rooms.join(room, "Ada", key, who="ada")
    given = challenges.student_data(rooms.membership(key)[0].challenge)
    assert len(load_csv(given).frame) < 120  # the held-out part is not given
    lab = Lab(archive=StoreArchive(store, key))
    lab.load(challenge.data_name, content=given)
    run = lab.start(challenge.student_config(lab.config.replace(model={"hidden_size": 8},
                                                                train={"epochs": 3, "max_seconds": 30})))
    assert lab.join(timeout=120)
    lab.close()
    sent = rooms.submit(key, run.id)
    assert np.isfinite(sent["score"]) and sent["scored"]["windows"] > 0

"""Classes, challenges, scoring and permissions (rnncore.classroom), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import time

import numpy as np
import pytest
from sqlalchemy import create_engine, insert, text

from rnncore.classroom import challenge as challenges
from rnncore.classroom.challenge import Challenge
from rnncore.classroom.classroom import (
    ATTEMPT_SECONDS,
    JOINS_PER_MINUTE,
    ROOM_ALPHABET,
    SUBMISSIONS_PER_MINUTE,
    Classroom,
    clean_name,
)
from rnncore.config import ExperimentConfig
from rnncore.data.reading import load_csv
from rnncore.data.windows import make_windows
from rnncore.errors import ClassError
from rnncore.io.bundle import FORMAT, export_run, read_bundle, write_bundle
from rnncore.io.model_files import CONFIG, WEIGHTS, model_bytes
from rnncore.lab import Lab
from rnncore.lab.archive import StoreArchive
from rnncore.store import StoreSettings, open_store, schema
from rnncore.store.schema import attempts
from rnncore.training.lineage import IMPORTED, NOT_KNOWN
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


def test_a_server_reads_a_challenges_data_once_for_every_submission_and_the_board(store, room, monkeypatch):
    classroom, code, teacher = room
    key = student(store, classroom, code, "Alice")
    run = trained_on_the_challenge(store, key)
    reads, real = [], challenges.full_data
    monkeypatch.setattr(challenges, "full_data", lambda challenge: reads.append(challenge) or real(challenge))
    server = Classroom(store)  # a server process that has read nothing yet
    first, second = server.submit(key, run), server.submit(key, run)
    info = server.teacher_class(teacher)
    server.baselines(info)
    server.submitted_result(teacher, server.leaderboard(info.id)[0].submission)
    assert len(reads) == 1 and first["score"] == second["score"]


@pytest.mark.parametrize("difference", ["none", "first", "seasonal"])
def test_scoring_predicts_exactly_what_the_run_would_on_its_own_test_part(difference):
    """The held-out windows are cut, differenced and scaled as make_windows cuts a test part: on a challenge whose
    data is the student's own, the score equals the run's own test metrics, for a model of the changes too."""
    from rnncore.training.trainer import Trainer

    challenge = Challenge(config=CHALLENGE.config.replace(window={"difference": difference}))
    cfg = challenge.student_config(ExperimentConfig().replace(model={"hidden_size": 8}, train={"epochs": 2}))
    full = challenges.full_data(challenge)
    result = Trainer(cfg, dataset=full).run()
    windows = make_windows(full, cfg.window)
    scored = challenges.score_windows(challenge, result.model, windows)  # its scalers: fitted on the same train part
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


def refused(key: str, call, *args, **kwargs) -> ClassError:
    with pytest.raises(ClassError) as caught:
        call(*args, **kwargs)
    assert caught.value.key == key, caught.value
    return caught.value


def wrong_room(code: str) -> str:
    return "ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY"


# a score cannot be faked ------------------------------------------------------------------------------------
def test_a_score_faked_through_an_imported_zip_is_refused_and_honest_runs_are_taken(store, room):
    """The attack: export an honest run, put in weights fitted on the held-out rows (the sample is public), fix
    the manifest's checksums, import the zip, continue it one epoch, submit."""
    from rnncore.training.trainer import Trainer

    classroom, code, teacher = room
    key = student(store, classroom, code, "Mallory")
    lab = Lab(archive=StoreArchive(store, key))
    lab.load(CHALLENGE.data_name, content=challenges.student_data(CHALLENGE))
    config = CHALLENGE.student_config(lab.config.replace(model={"hidden_size": 8}, train={"epochs": 3}))
    honest = lab.start(config)
    assert lab.join(timeout=120)
    record = lab.run(honest.id)
    manifest, contents = read_bundle(export_run(lab.result_of(record), record.history))
    full = challenges.full_data(CHALLENGE)  # held-out rows included, in the training part
    fitted = Trainer(config.replace(window={"train_fraction": 0.9, "val_fraction": 0.05}), dataset=full).run()
    contents[WEIGHTS] = model_bytes(fitted.model)
    contents[CONFIG] = config.replace(train={"epochs": 1}).to_json().encode()
    faked = write_bundle(FORMAT, contents, manifest["data"])  # every checksum right

    imported = lab.import_run(faked)
    assert imported.data == record.data  # it says it trained on the challenge's data
    continued = lab.continue_run(lab.run(imported.id))
    assert lab.join(timeout=120)
    assert continued.record.status == "finished" and len(continued.record.history) == 4
    err = refused("imported_run", classroom.submit, key, continued.id)
    assert f"run {continued.id} was imported" in str(err)
    assert store.get_run(key, continued.id).lineage.origin == IMPORTED.origin
    assert classroom.leaderboard(classroom.teacher_class(teacher).id) == []  # nothing entered

    sent = classroom.submit(key, honest.id)  # trained here from the start: taken
    again = lab.continue_run(record)  # and continued here, on the same data: still its own line
    assert lab.join(timeout=120)
    lab.close()
    assert classroom.submit(key, again.id)["epochs"] == 6
    assert sent["run"] == honest.id and len(classroom.leaderboard(classroom.teacher_class(teacher).id)) == 1


# a deleted run does not break the board ---------------------------------------------------------------------
def test_a_submission_keeps_what_the_board_needs_after_its_run_is_deleted(store, room):
    classroom, code, teacher = room
    key = student(store, classroom, code, "Dana")
    run = trained_on_the_challenge(store, key)
    classroom.submit(key, run)
    classroom.submit(key, run)  # the same run again: the class keeps one copy of it
    assert classroom.submitted(key) == {run}
    store.delete_run(key, run)

    _, rows, (entry,) = classroom.board(teacher)
    assert (entry.name, entry.run) == ("Dana", run) and rows[0].submissions == 2
    assert [r.epoch for r in classroom.submitted_history(teacher, entry.submission)] == [1, 2, 3]
    history, result = classroom.submitted_result(teacher, entry.submission)  # the look inside: its weights kept
    assert len(history) == 3 and result.model.config.hidden_size == 8
    assert classroom.results_csv(teacher).count("\nDana,") == 2
    assert backend_rows(store, "SELECT count(*) FROM submitted_runs WHERE weights IS NOT NULL") == [(1,)]
    refused("no_submission", classroom.submitted_history, teacher, entry.submission + 100)


# joins are limited by address -------------------------------------------------------------------------------
def test_failed_joins_are_counted_by_address_across_workspaces_and_a_class_behind_one_address_joins(store, room):
    classroom, code, _ = room
    for i in range(JOINS_PER_MINUTE + 5):  # a class behind one school NAT: joins that find their class
        classroom.join(code, f"Student {i}", store.create_workspace(), who="10.1.2.3")
    for _ in range(JOINS_PER_MINUTE):  # guesses, each from a new workspace
        refused("no_room", classroom.join, wrong_room(code), "Eve", store.create_workspace(), who="10.1.2.3")
    refused("too_many_attempts", classroom.join, code, "Eve", store.create_workspace(), who="10.1.2.3")
    assert classroom.join(code, "Eve", store.create_workspace(), who="10.9.9.9")[1].name == "Eve"


def test_attempts_older_than_the_window_are_deleted(store, room):
    classroom, code, _ = room
    old = time.time() - ATTEMPT_SECONDS - 1
    with store.transaction() as conn:
        conn.execute(insert(attempts), [{"kind": "join", "who": f"old {i}", "at": old} for i in range(300)])
    refused("no_room", classroom.join, wrong_room(code), "Eve", store.create_workspace(), who="10.1.2.3")
    assert backend_rows(store, "SELECT count(*) FROM attempts") == [(1,)]


# membership -------------------------------------------------------------------------------------------------
def test_a_name_stays_with_its_submissions_and_moving_keeps_them_on_the_first_board(store, room):
    classroom, code, teacher = room
    key = student(store, classroom, code, "Alice")
    run = trained_on_the_challenge(store, key)
    classroom.submit(key, run)
    other_room, _ = classroom.create_class("Period 4", CHALLENGE)
    classroom.join(other_room, "Bob", key, who="a")  # she moves, under another name

    _, rows, entries = classroom.board(teacher)
    assert [e.name for e in entries] == ["Alice"] and "\nAlice," in classroom.results_csv(teacher)
    assert [(r.name, r.status, r.submissions) for r in rows] == [("Alice", "left", 1)]
    refused("name_taken", classroom.join, code, "ALICE", store.create_workspace(), who="b")  # nobody takes it
    refused("name_kept", classroom.join, code, "Carol", key, who="a")  # she comes back only under it
    assert classroom.join(code, "Alice", key, who="a")[1].name == "Alice"
    assert [(r.name, r.status) for r in classroom.board(teacher)[1]] == [("Alice", "idle")]

    dan = student(store, classroom, code, "Dan")  # one name per class: a new one while nothing is on the board
    assert classroom.join(code, "Daniel", dan, who="c")[1].name == "Daniel"
    assert [r.name for r in classroom.board(teacher)[1]] == ["Alice", "Daniel"]
    assert classroom.join(code, "Dan", store.create_workspace(), who="d")[1].name == "Dan"  # the old one is free


def test_the_teacher_removes_a_student_with_their_submissions(store, room):
    classroom, code, teacher = room
    key = student(store, classroom, code, "Eve")
    classroom.submit(key, trained_on_the_challenge(store, key))
    student(store, classroom, code, "Finn")
    (eve,) = [r for r in classroom.board(teacher)[1] if r.name == "Eve"]
    other_room, other_teacher = classroom.create_class("Other", CHALLENGE)
    refused("no_student", classroom.remove_student, other_teacher, eve.who)  # only from the teacher's own class

    classroom.remove_student(teacher, eve.who)
    _, rows, entries = classroom.board(teacher)
    assert [r.name for r in rows] == ["Finn"] and entries == [] and classroom.membership(key) is None
    assert classroom.results_csv(teacher).count("\n") == 1  # the header only
    refused("no_student", classroom.remove_student, teacher, eve.who)
    assert classroom.join(code, "Eve", store.create_workspace(), who="x")[1].name == "Eve"  # the name is free


def test_the_teacher_deletes_the_class_with_its_file_and_everything_it_keeps(store):
    rows = "\n".join(f"{i},{10 + (i % 12) + i * 0.5:.2f}" for i in range(120))
    content = f"t,sales\n{rows}\n".encode()
    config = ExperimentConfig().replace(data={"source": "shop.csv"}, window={"lookback": 12})
    challenge = Challenge(config=config, max_epochs=20, max_parameters=5_000, max_seconds=60, content=content)
    classroom = Classroom(store)
    code, teacher = classroom.create_class("Shop", challenge)
    kept_code, kept_teacher = classroom.create_class("Kept", challenge)
    key = student(store, classroom, code, "Ada")
    lab = Lab(archive=StoreArchive(store, key))
    lab.load(challenge.data_name, content=challenges.student_data(challenge))
    run = lab.start(challenge.student_config(lab.config.replace(model={"hidden_size": 8}, train={"epochs": 2})))
    assert lab.join(timeout=120)
    lab.close()
    classroom.submit(key, run.id)
    other = student(store, classroom, kept_code, "Bo")
    gone = classroom.teacher_class(teacher).id
    assert backend_rows(store, "SELECT count(*) FROM data_files") == [(3,)]  # each class's file, Ada's copy

    classroom.delete_class(teacher)
    refused("bad_teacher_key", classroom.teacher_class, teacher)
    assert classroom.membership(key) is None and store.get_run(key, run.id).status == "finished"  # her run stays
    for table in ("members", "submissions", "submitted_runs"):
        assert backend_rows(store, f"SELECT count(*) FROM {table} WHERE class_id = {gone}") == [(0,)]
    assert backend_rows(store, "SELECT count(*) FROM data_files") == [(2,)]
    assert Classroom(store).teacher_class(kept_teacher).challenge.content == content  # the other class's file
    assert classroom.membership(other)[1].name == "Bo"
    refused("no_room", classroom.join, code, "Ada", key, who="ada")


# the store's upgrade ----------------------------------------------------------------------------------------
def test_a_version_4_store_is_upgraded_its_runs_of_unknown_lineage_and_its_board_kept(backend, tmp_path):
    """Runs stored before lineage was kept: imported ones are IMPORTED, the others NOT_KNOWN (neither can be
    submitted); each submission's copy is made from the run while it is there."""
    from rnncore.store.runstore import key_id
    from rnncore.training.trainer import Trainer

    key, teacher = "K" * 32, "T" * 32
    cfg = CHALLENGE.student_config(ExperimentConfig().replace(data={"source": CHALLENGE.data_name},
                                                              model={"hidden_size": 8}, train={"epochs": 2}))
    given = challenges.student_data(CHALLENGE)
    weights = model_bytes(Trainer(cfg, dataset=load_csv(given, name=CHALLENGE.data_name)).model)
    data = json.dumps({"name": CHALLENGE.data_name, "rows": 100, "sha256": hashlib.sha256(given).hexdigest()})
    engine = create_engine(backend.url)
    with engine.begin() as conn:
        schema.upgrade(conn, to=4)
        conn.execute(text("INSERT INTO workspaces (id, created, runs_made) VALUES (:id, 1.0, 3)"), {"id": key_id(key)})
        for number, status, owner in ((1, "finished", "tab"), (2, "imported", "tab"), (3, "finished", "import")):
            conn.execute(text(
                "INSERT INTO runs (workspace, number, created, updated, owner, status, reason, message, details, "
                "config, data, cell, epochs, best_val, parameters, kept_epoch, results, heartbeat) VALUES (:w, :n, "
                "1.0, 2.0, :owner, :status, :reason, 'ended', '{}', :config, :data, 'lstm', 2, 0.5, 600, 2, '{}', "
                "2.0)"),
                {"w": key_id(key), "n": number, "owner": owner, "status": status, "reason": status,
                 "config": cfg.to_json(), "data": data})
        for epoch in (1, 2):
            conn.execute(text("INSERT INTO epochs VALUES (1, :e, 1.0, 0.5, 0.1, 2.0, '{}', 0.001)"), {"e": epoch})
        conn.execute(text("INSERT INTO models (run, epoch, final, weights, traces, bytes, saved) "
                          "VALUES (1, 2, 1, :w, NULL, 10, 2.0)"), {"w": weights})
        conn.execute(text("INSERT INTO classes (room, teacher, name, created, challenge, open, pinned, pinned_at) "
                          "VALUES ('ABCDEF', :t, 'Old', 1.0, :c, 1, '', 0.0)"),
                     {"t": hashlib.sha256(teacher.encode()).hexdigest(), "c": CHALLENGE.to_json()})
        conn.execute(text("INSERT INTO members (class_id, name, folded, workspace, joined, seen) "
                          "VALUES (1, 'Ada', 'ada', :w, 1.0, 1.0)"), {"w": key_id(key)})
        for _ in range(2):
            conn.execute(text("INSERT INTO submissions (class_id, member, run, score, metrics, config, cell, epochs, "
                              "parameters, submitted) VALUES (1, 1, 1, 50.0, :m, :c, 'lstm', 2, 600, 3.0)"),
                         {"m": json.dumps({"model": {"rmse": 50.0}}), "c": cfg.to_json()})
    engine.dispose()

    store = backend.open()
    assert [store.get_run(key, n).lineage for n in (1, 2, 3)] == [NOT_KNOWN, IMPORTED, IMPORTED]
    classroom = Classroom(store)
    _, rows, (entry,) = classroom.board(teacher)
    assert (entry.name, entry.run, rows[0].submissions) == ("Ada", 1, 2)
    refused("unknown_lineage", classroom.submit, key, 1)  # it may have gone on from an import: train again
    store.delete_run(key, 1)
    history, result = classroom.submitted_result(teacher, entry.submission)
    assert [r.epoch for r in history] == [1, 2] and result.model.config.hidden_size == 8
    assert backend_rows(store, "SELECT count(*) FROM submitted_runs WHERE weights IS NOT NULL") == [(1,)]
    if backend.path is not None:  # the same shape as a store made today
        fresh = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        open_store(fresh, StoreSettings()).close()
        assert _columns(backend.url) == _columns(fresh)


def _columns(url: str) -> dict:
    from sqlalchemy import inspect

    engine = create_engine(url)
    try:
        found = inspect(engine)
        return {table: [(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(table)]
                for table in sorted(found.get_table_names())}
    finally:
        engine.dispose()


# challenges on a text and on labelled sequences ---------------------------------------------------------
TEXT = Challenge(config=ExperimentConfig().replace(data={"task": "charlm", "source": "sample:tang300"},
                                                   window={"lookback": 16}), max_epochs=20, max_parameters=50_000)
LABELS = Challenge(config=ExperimentConfig().replace(data={"task": "classify", "source": "synthetic:waveform"},
                                                     train={"seed": 3}), max_epochs=20, max_parameters=5_000)


def trained_on(store, key: str, challenge: Challenge, **settings) -> int:
    """A run in the student's workspace on ``challenge``'s data, as the Class page sets it up; its number."""
    lab = Lab(archive=StoreArchive(store, key))
    lab.load(challenge.data_name, content=challenges.student_data(challenge), task=challenge.task)
    sections = {"model": {"hidden_size": 8}, "train": {"epochs": 2}}
    for section, values in settings.items():
        sections.setdefault(section, {}).update(values)
    config = challenge.first_config(lab.config.data).replace(**sections)
    run = lab.start(config)
    assert lab.join(timeout=120) and run.record.status == "finished"
    lab.close()
    return run.id


def test_a_text_challenge_gives_the_text_before_its_held_out_end_and_scores_every_character_after_it(store):
    full = challenges.full_data(TEXT)
    start = challenges.held_out(TEXT, full)
    given = challenges.student_data(TEXT, full).decode("utf-8")
    assert given == full[:start] and TEXT.data_name == "challenge_tang300.txt" and TEXT.score == "bits_per_char"
    classroom = Classroom(store)
    code, teacher = classroom.create_class("Poems", TEXT)
    key = student(store, classroom, code, "Li")
    sent = classroom.submit(key, trained_on(store, key, TEXT))
    scored = sent["scored"]
    assert scored["windows"] == len(full) - start  # every held-out character, none of the students'
    assert sent["score"] == scored["model"]["bits_per_char"] and np.isfinite(sent["score"])
    assert set(scored["baselines"]) == {"unigram", "bigram"}
    assert classroom.baselines(classroom.teacher_class(teacher)) == scored["baselines"]  # one rule, both ways
    # another lookback reads another number of characters before each: the class does not take it
    other = trained_on(store, key, TEXT, window={"lookback": 8})
    with pytest.raises(ClassError) as refused:
        classroom.submit(key, other)
    assert refused.value.key == "other_window" and "lookback" in str(refused.value)


def test_a_labels_challenge_holds_out_a_stratified_part_and_ranks_the_highest_accuracy_first(store):
    from rnncore.data.labelled import read_labelled

    full = challenges.full_data(LABELS)
    held = challenges.held_out(LABELS, full)
    given = read_labelled(challenges.student_data(LABELS, full))
    assert len(given) == len(full) - len(held) and set(given.classes) == set(full.classes)
    rows = {full.x[i].tobytes() for i in held}
    assert not rows & {x.tobytes() for x in given.x}  # no held-out sequence is given to students
    classroom = Classroom(store)
    code, teacher = classroom.create_class("Shapes", LABELS)
    scores = {}
    for name, hidden in (("Ann", 2), ("Bo", 12)):
        key = student(store, classroom, code, name)
        lab_run = trained_on(store, key, LABELS, model={"hidden_size": hidden})
        scores[name] = classroom.submit(key, lab_run)["score"]
    info = classroom.teacher_class(teacher)
    board = classroom.leaderboard(info.id)
    assert [e.name for e in board] == sorted(scores, key=scores.get, reverse=True)  # the highest accuracy first
    majority = classroom.baselines(info)["majority"]["accuracy"]
    assert all(e.beats["majority"] == (e.score > majority) for e in board)
    _, students, _ = classroom.board(teacher)
    assert {s.name: s.best for s in students} == scores
    header = classroom.results_csv(teacher).splitlines()[0]
    assert header.split(",")[5:7] == ["accuracy", "macro_f1"]

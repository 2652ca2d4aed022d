"""A class in a real browser: a teacher makes it, two students join with the room code, train on the
challenge and submit, and the teacher's board (at projector size) shows both on the leaderboard."""

from __future__ import annotations

import re

import pytest

from rnncore.classroom.classroom import Classroom
from rnncore.store import open_store
from tests.browser import go_to, open_app, set_number, start_server, wait_idle
from tests.test_browser import click, wait_for
from tests.test_browser_store import workspace_of

pytestmark = pytest.mark.browser


def finished_runs(url: str, key: str) -> int:
    store = open_store(url)
    try:
        return sum(r.status == "finished" for r in store.list_runs(key))
    finally:
        store.close()


def submitted(url: str, key: str) -> list[str]:
    """The names on the leaderboard of the class the workspace ``key`` is in, that are its own name."""
    store = open_store(url)
    try:
        rooms = Classroom(store)
        found = rooms.membership(key)
        if found is None:
            return []
        info, member = found
        return [e.name for e in rooms.leaderboard(info.id) if e.name == member.name]
    finally:
        store.close()


def test_a_teacher_and_two_students(tmp_path, new_context):
    url = f"sqlite:///{tmp_path}/runs.sqlite3"
    server = start_server(env={"RNNLAB_STORE": url}, log=tmp_path / "server.log")
    try:
        board = new_context(viewport={"width": 1024, "height": 768}).new_page()
        open_app(board, server.url)
        go_to(board, "Teacher")
        board.get_by_label("Class name").fill("Period 3")
        click(board, "Make the class")
        notice = board.get_by_text("Your class is ready: room code").inner_text()
        room = re.search(r"room code (\w{6})", notice)[1]

        for name in ("Ada", "Grace"):
            context = new_context()
            page = context.new_page()
            open_app(page, server.url)
            go_to(page, "Class")
            page.get_by_label("Room code").fill(room.lower())
            page.get_by_label("Your display name").fill(name)
            click(page, "Join the class")
            page.get_by_text(f"you are {name}").wait_for(timeout=20_000)
            click(page, "Use the challenge's data and window")
            go_to(page, "Train")
            set_number(page, "Epochs", 3)
            set_number(page, "Hidden units", 8)
            click(page, "Start")
            key = workspace_of(context)
            assert wait_for(lambda key=key: finished_runs(url, key) == 1, timeout=60), f"{name}'s run did not finish"
            go_to(page, "Class")
            click(page, "Submit to class")
            # the stored submission, not the page's one-time "scored" line (a rerun under load can replace it)
            assert wait_for(lambda key=key, name=name: submitted(url, key) == [name], timeout=60), \
                f"{name}'s submission was not stored; the page said: {page.get_by_test_id('stAlert').all_inner_texts()}"

        board.get_by_text("Students (2)").wait_for(timeout=20_000)  # the board refreshes by itself
        board.get_by_text("2 students submitted").wait_for(timeout=20_000)
        wait_idle(board)
        assert board.get_by_test_id("stDataFrame").count() == 2  # students, leaderboard (drawn on a canvas)
        rooms = Classroom(open_store(url))
        info = rooms.membership(key)[0]
        assert sorted(e.name for e in rooms.leaderboard(info.id)) == ["Ada", "Grace"]
        board.screenshot(path=tmp_path / "teacher_board_1024.png")
        inside = board.get_by_text("A student's run, inside")
        inside.wait_for(timeout=20_000)
        inside.scroll_into_view_if_needed()
        board.wait_for_timeout(1000)
        board.screenshot(path=tmp_path / "teacher_run_1024.png")
        assert board.locator("[data-testid=stException]").count() == 0
    finally:
        server.stop()

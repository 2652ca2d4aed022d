"""Classes on the run store: a teacher makes one, students join it by its room code, runs are submitted
and scored, and a board shows the class.

Who may do what is decided by what one holds, never by what one says: the **teacher key** (192 bits
from ``secrets``; the store keeps its SHA-256) opens the class's board and its settings; a student's
**workspace key** (rnncore.store) is their membership: a workspace belongs to one class, under one
display name, so nobody submits for another name, and a student sees their own class only. Room codes
are 6 characters from an alphabet without 0/O and 1/I, easy to read aloud; joins are rate-limited by
where they come from, so codes cannot be guessed by trying, and submissions per student, so a class
cannot be flooded. Every method is one transaction: a refused one (ClassError, StoreError) changes
nothing but the attempt it counts.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
import time
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update

from rnncore.classroom import challenge as challenges
from rnncore.classroom.challenge import Challenge
from rnncore.errors import ClassError
from rnncore.store.runstore import finite, json_text
from rnncore.store.schema import attempts, classes, data_files, members, runs, submissions

ROOM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, no 1/I
ROOM_LENGTH = 6  # 32**6: about a billion codes
NAME_MOST = 30  # characters in a display name
JOINS_PER_MINUTE = 20  # join attempts from one place (a browser session, an address)
SUBMISSIONS_PER_MINUTE = 5  # per student
ACTIVE_SECONDS = 60  # a student whose page asked nothing for longer is idle


def _refuse(key: str, **details) -> ClassError:
    return ClassError.keyed(key, **details)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def clean_room(text: str) -> str:
    """A room code as typed (any case, spaces) -> the code; ClassError when it cannot be one."""
    room = "".join(str(text or "").split()).upper()
    if len(room) != ROOM_LENGTH or any(ch not in ROOM_ALPHABET for ch in room):
        shown = repr(str(text)[:20])
        raise _refuse("bad_room", room=shown)
    return room


def clean_name(text: str) -> str:
    """A display name: trimmed, one line, control and format characters out, at most NAME_MOST characters.
    It is shown as plain text by the pages (never Markdown or HTML)."""
    name = "".join(ch for ch in unicodedata.normalize("NFKC", str(text or ""))
                   if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split())
    if not name:
        raise _refuse("name_empty", most=NAME_MOST)
    if len(name) > NAME_MOST:
        raise _refuse("name_long", most=NAME_MOST, count=len(name))
    return name


@dataclass(frozen=True)
class ClassInfo:
    id: int
    room: str
    name: str
    challenge: Challenge
    open: bool
    pinned: str  # an experiment link for everyone ("" : none)
    pinned_at: float


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    joined: float


@dataclass(frozen=True)
class Entry:
    """One row of the leaderboard: a student's best submission."""

    name: str
    score: float | None
    run: int
    cell: str
    parameters: int
    epochs: int
    submitted: float
    beats: dict  # baseline -> whether the score beats it


@dataclass(frozen=True)
class StudentRow:
    """One student on the teacher's board."""

    name: str
    runs: int
    submissions: int
    best: float | None
    status: str  # "training", "idle" or "away"
    seen: float


class Classroom:
    """Classes in the database of ``store`` (a RunStore)."""

    def __init__(self, store):
        self.store = store
        self._baselines: dict[str, dict] = {}  # challenge JSON -> its baselines on the held-out part
        self._files: dict[str, bytes] = {}  # sha256 -> a challenge's uploaded file, read once in this process

    def _info(self, conn, row) -> ClassInfo:
        """The class of a ``classes`` row, its challenge holding its file when it is on one."""
        challenge = Challenge.from_json(row.challenge)
        sha = challenge.data_sha256
        if sha:
            if sha not in self._files:
                found = conn.execute(select(data_files.c.content).where(data_files.c.workspace == row.teacher,
                                                                        data_files.c.sha256 == sha)).first()
                if found is not None:
                    self._files[sha] = bytes(found.content)
            challenge = challenge.with_content(self._files.get(sha))  # None: gone (full_data says so)
        return ClassInfo(row.id, row.room, row.name, challenge, bool(row.open), row.pinned, row.pinned_at)

    def _keep_file(self, conn, teacher: str, challenge: Challenge) -> None:
        """Keep a challenge's uploaded file beside the class: in ``data_files`` under the class's teacher hash
        (a SHA-256 like a workspace's, of another key), so it goes nowhere a workspace's quota counts."""
        if challenge.content is None:
            return
        there = select(data_files.c.sha256).where(data_files.c.workspace == teacher,
                                                  data_files.c.sha256 == challenge.data_sha256)
        if conn.execute(there).first() is None:
            conn.execute(insert(data_files).values(workspace=teacher, sha256=challenge.data_sha256,
                                                   name=challenge.config.data.source[:255], content=challenge.content,
                                                   bytes=len(challenge.content), created=time.time()))
        self._files[challenge.data_sha256] = challenge.content

    # the teacher ---------------------------------------------------------------------------------
    def create_class(self, name: str, challenge: Challenge) -> tuple[str, str]:
        """A new class: (its room code, the teacher's key). ClassError when the challenge cannot be used."""
        challenges.student_data(challenge)  # refuses data too short before anything is made
        key = secrets.token_urlsafe(24)
        with self.store.transaction() as conn:
            for _ in range(50):  # a code already taken: draw again
                room = "".join(secrets.choice(ROOM_ALPHABET) for _ in range(ROOM_LENGTH))
                if conn.execute(select(classes.c.id).where(classes.c.room == room)).first() is None:
                    break
            conn.execute(insert(classes).values(room=room, teacher=_hash(key), name=clean_name(name)[:80],
                                                created=time.time(), challenge=challenge.to_json(), open=1,
                                                pinned="", pinned_at=0.0))
            self._keep_file(conn, _hash(key), challenge)
        return room, key

    def _teacher_class(self, conn, key: str):
        row = conn.execute(select(classes).where(classes.c.teacher == _hash(str(key)))).first()
        if row is None:
            raise _refuse("bad_teacher_key")
        return row

    def teacher_class(self, key: str) -> ClassInfo:
        """The class whose teacher key this is (ClassError bad_teacher_key)."""
        with self.store.reading() as conn:
            return self._info(conn, self._teacher_class(conn, key))

    def update(self, key: str, *, challenge: Challenge | None = None, open: bool | None = None,
               pinned: str | None = None) -> ClassInfo:
        """The teacher changes the challenge, opens or closes the class, or pins a link ("" unpins)."""
        if challenge is not None:
            challenges.student_data(challenge)
        with self.store.transaction() as conn:
            row = self._teacher_class(conn, key)
            values = {}
            if challenge is not None:
                values["challenge"] = challenge.to_json()
                self._keep_file(conn, row.teacher, challenge)
            if open is not None:
                values["open"] = int(bool(open))
            if pinned is not None:
                values["pinned"], values["pinned_at"] = str(pinned)[:4000], time.time()
            if values:
                conn.execute(update(classes).where(classes.c.id == row.id).values(**values))
            return self._info(conn, conn.execute(select(classes).where(classes.c.id == row.id)).one())

    # students -----------------------------------------------------------------------------------
    def _count_attempt(self, kind: str, who: str, most: int) -> None:
        """Count one attempt of ``who``; ClassError when it makes more than ``most`` in the last minute.
        The attempt counts even when the action is then refused (its own transaction)."""
        now = time.time()
        with self.store.transaction() as conn:
            done = conn.execute(select(func.count()).where(attempts.c.kind == kind, attempts.c.who == who,
                                                           attempts.c.at > now - 60)).scalar_one()
            if done >= most:
                raise _refuse("too_many_attempts" if kind == "join" else "too_many_submissions", count=done)
            conn.execute(insert(attempts).values(kind=kind, who=who[:64], at=now))

    def join(self, room: str, name: str, workspace_key: str, who: str) -> tuple[ClassInfo, Member]:
        """The workspace joins the class of ``room`` under ``name``; ``who`` is where the attempt comes from
        (rate-limited). ClassError: a bad or unknown code, a name taken or unusable, too many tries."""
        self._count_attempt("join", _hash(str(who)), JOINS_PER_MINUTE)
        code, display = clean_room(room), clean_name(name)
        folded = display.casefold()
        with self.store.transaction() as conn:
            wid = self.store.workspace_id(conn, workspace_key, lock=True)
            row = conn.execute(select(classes).where(classes.c.room == code)).first()
            if row is None:
                raise _refuse("no_room", room=code)
            mine = conn.execute(select(members).where(members.c.workspace == wid)).first()
            if mine is not None and mine.class_id == row.id and mine.folded == folded:
                return self._info(conn, row), Member(mine.id, mine.name, mine.joined)
            taken = conn.execute(select(members.c.id).where(members.c.class_id == row.id,
                                                            members.c.folded == folded)).first()
            if taken is not None:
                raise _refuse("name_taken", name=display)
            now = time.time()
            if mine is not None:  # a workspace is in one class, under one name: it moves
                conn.execute(update(members).where(members.c.id == mine.id).values(
                    class_id=row.id, name=display, folded=folded, joined=now, seen=now))
                member_id = mine.id
            else:
                member_id = conn.execute(insert(members).values(class_id=row.id, name=display, folded=folded,
                                                                workspace=wid, joined=now, seen=now)
                                         ).inserted_primary_key[0]
            return self._info(conn, row), Member(member_id, display, now)

    def membership(self, workspace_key: str) -> tuple[ClassInfo, Member] | None:
        """The class this workspace belongs to and its member (and the student was seen now), or None."""
        with self.store.transaction() as conn:
            wid = self.store.workspace_id(conn, workspace_key)
            mine = conn.execute(select(members).where(members.c.workspace == wid)).first()
            if mine is None:
                return None
            conn.execute(update(members).where(members.c.id == mine.id).values(seen=time.time()))
            row = conn.execute(select(classes).where(classes.c.id == mine.class_id)).one()
            return self._info(conn, row), Member(mine.id, mine.name, mine.joined)

    def submit(self, workspace_key: str, run: int) -> dict:
        """Score the workspace's run ``run`` on the challenge's held-out part and enter it on the board.
        ClassError: not in a class, the class closed, too many submissions, or the run outside the challenge
        (other data, window, cell, budget). The submission's row, as ``submissions`` gives it."""
        from rnncore.config import ExperimentConfig
        from rnncore.data.reading import load_csv
        from rnncore.data.windows import make_windows
        from rnncore.io.model_files import model_from_bytes

        found = self.membership(workspace_key)
        if found is None:
            raise _refuse("not_member")
        info, member = found
        if not info.open:
            raise _refuse("closed", room=info.room)
        stored = self.store.get_run(workspace_key, run)
        if stored.status not in ("finished", "stopped") or not stored.has_model:
            raise _refuse("not_finished", run=run, status=stored.status)
        cfg = ExperimentConfig.from_dict(stored.config)
        content = challenges.student_data(info.challenge)
        challenges.check(info.challenge, cfg, stored.data, stored.parameters, stored.epochs, run,
                         hashlib.sha256(content).hexdigest())
        self._count_attempt("submit", str(member.id), SUBMISSIONS_PER_MINUTE)
        weights = self.store.weights(workspace_key, run)
        if weights is None:
            raise _refuse("no_model", run=run)
        model = model_from_bytes(weights[1], cfg)
        windows = make_windows(load_csv(content, name=info.challenge.data_name), cfg.window, cfg.data.target,
                               cfg.data.features)
        scored = challenges.score(info.challenge, model, windows)
        value = finite(scored["model"][info.challenge.score])
        with self.store.transaction() as conn:
            values = {"class_id": info.id, "member": member.id, "run": run, "score": value,
                      "metrics": json_text(scored),
                      "config": json.dumps(stored.config), "cell": cfg.model.cell, "epochs": stored.epochs,
                      "parameters": stored.parameters, "submitted": time.time()}
            conn.execute(insert(submissions).values(**values))
        self._baselines.setdefault(info.challenge.to_json(), scored["baselines"])
        return {"name": member.name, **values, "scored": scored}

    # what the class sees ------------------------------------------------------------------------
    def baselines(self, info: ClassInfo) -> dict:
        """The baselines' metrics on the held-out part (computed once per challenge in this process)."""
        text = info.challenge.to_json()
        if text not in self._baselines:
            self._baselines[text] = challenges.baseline_scores(info.challenge)
        return self._baselines[text]

    def leaderboard(self, class_id: int) -> list[Entry]:
        """Each student's best submission, the best first (a score that is not finite last)."""
        with self.store.reading() as conn:
            info = self._info(conn, conn.execute(select(classes).where(classes.c.id == class_id)).one())
            rows = conn.execute(select(submissions, members.c.name)
                                .select_from(submissions.join(members, submissions.c.member == members.c.id))
                                .where(submissions.c.class_id == class_id)).all()
        best: dict[int, object] = {}
        for row in rows:
            held = best.get(row.member)
            if held is None or _better(row.score, held.score):
                best[row.member] = row
        baselines = self.baselines(info)
        key = info.challenge.score
        entries = [Entry(row.name, row.score, row.run, row.cell, row.parameters, row.epochs, row.submitted,
                         {name: row.score is not None and row.score < metrics[key]
                          for name, metrics in baselines.items()}) for row in best.values()]
        return sorted(entries, key=lambda e: (e.score is None, e.score if e.score is not None else 0, e.submitted))

    def board(self, key: str) -> tuple[ClassInfo, list[StudentRow], list[Entry]]:
        """The teacher's board: the class, each student (runs, best score, status), the leaderboard."""
        info = self.teacher_class(key)
        now = time.time()
        stale = self.store.stale_after()
        with self.store.reading() as conn:
            people = conn.execute(select(members).where(members.c.class_id == info.id)
                                  .order_by(members.c.joined)).all()
            counts = dict(conn.execute(select(runs.c.workspace, func.count()).where(
                runs.c.workspace.in_([p.workspace for p in people])).group_by(runs.c.workspace)).all())
            training = {w for (w,) in conn.execute(select(runs.c.workspace).where(
                runs.c.workspace.in_([p.workspace for p in people]), runs.c.status == "running",
                runs.c.heartbeat > now - stale)).all()}
            sent = conn.execute(select(submissions.c.member, func.count(), func.min(submissions.c.score))
                                .where(submissions.c.class_id == info.id).group_by(submissions.c.member)).all()
        sent_by = {member: (count, best) for member, count, best in sent}
        rows = []
        for p in people:
            count, best = sent_by.get(p.id, (0, None))
            status = "training" if p.workspace in training else ("idle" if now - p.seen < ACTIVE_SECONDS else "away")
            rows.append(StudentRow(p.name, counts.get(p.workspace, 0), count, best, status, p.seen))
        return info, rows, self.leaderboard(info.id)

    def submitted_run(self, key: str, name: str, run: int):
        """A student's submitted run, for the teacher's board (StoredRun: curves, config, results). ClassError
        bad_teacher_key; StoreError no_run when that student submitted no such run."""
        return self.store.run_in(self._submitter(self.teacher_class(key), name, run), run)

    def _submitter(self, info: ClassInfo, name: str, run: int) -> str:
        """The workspace id of the student ``name`` of the class, who submitted run ``run``; StoreError no_run."""
        from rnncore.errors import StoreError

        with self.store.reading() as conn:
            row = conn.execute(select(members.c.workspace)
                               .select_from(submissions.join(members, submissions.c.member == members.c.id))
                               .where(submissions.c.class_id == info.id, members.c.name == name,
                                      submissions.c.run == run)).first()
        if row is None:
            raise StoreError.keyed("no_run", run=run)
        return row.workspace

    def submitted_result(self, key: str, name: str, run: int):
        """A student's submitted run with its model, evaluated on the data it trained on (the challenge's
        student part): (StoredRun, RunResult), for the teacher's look inside it. ClassError no_model when its
        weights are gone."""
        from rnncore.config import ExperimentConfig
        from rnncore.data.reading import load_csv
        from rnncore.io.model_files import model_from_bytes
        from rnncore.lab.archive import evaluate
        from rnncore.training.progress import Status

        info = self.teacher_class(key)
        workspace = self._submitter(info, name, run)
        stored, weights = self.store.run_in(workspace, run), self.store.weights_in(workspace, run)
        if weights is None:
            raise _refuse("no_model", run=run)
        cfg = ExperimentConfig.from_dict(stored.config)
        dataset = load_csv(challenges.student_data(info.challenge), name=info.challenge.data_name)
        status = Status(stored.status) if stored.status in Status._value2member_map_ else Status.FAILED
        return stored, evaluate(cfg, model_from_bytes(weights[1], cfg), dataset, stored.history, status,
                                stored.message)

    def results_csv(self, key: str) -> str:
        """Every submission of the class as CSV (name, run, cell, parameters, epochs, score, metrics)."""
        info = self.teacher_class(key)
        with self.store.reading() as conn:
            rows = conn.execute(select(submissions, members.c.name)
                                .select_from(submissions.join(members, submissions.c.member == members.c.id))
                                .where(submissions.c.class_id == info.id).order_by(submissions.c.submitted)).all()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["name", "run", "cell", "parameters", "epochs", "score", "mae", "r2", "submitted"])
        for row in rows:
            metrics = json.loads(row.metrics)["model"]
            writer.writerow([_csv_safe(row.name), row.run, row.cell, row.parameters, row.epochs, row.score,
                             metrics.get("mae"), metrics.get("r2"),
                             time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(row.submitted))])
        return out.getvalue()


def _better(score: float | None, than: float | None) -> bool:
    return score is not None and (than is None or score < than)


def _csv_safe(text: str) -> str:
    """A name as a spreadsheet cell: one starting with = + - @ is not read as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text



"""Classes on the run store: a teacher makes one, students join it by its room code, runs are submitted
and scored, and a board shows the class.

Who may do what is decided by what one holds, never by what one says: the **teacher key** (192 bits
from ``secrets``; the store keeps its SHA-256) opens the class's board and its settings, and removes a
student or deletes the class; a student's **workspace key** (rnncore.store) is their membership, so
nobody submits for another name, and a student sees their own class only. Room codes are 6 characters
from an alphabet without 0/O and 1/I, easy to read aloud; joins that fail (a wrong code) are rate-limited by
the address they come from (whatever the workspace), so codes cannot be guessed by trying, and
submissions per student, so a class cannot be flooded. Every method is one transaction: a refused one
(ClassError, StoreError) changes nothing but the attempt it counts.

Membership:

- A workspace is in one class at a time, under one display name; a name is unique in its class (case
  and width folded).
- A submission keeps the name it was made under, with the run's curve and weights (``submitted_runs``):
  the board never reads the student's workspace again, so deleting the run there leaves the class's copy.
- A name a student submitted under stays theirs in that class: nobody else may take it, and they may join
  that class again only under it (under another name while nothing of theirs is on its board).
- Moving to another class keeps the first class's submissions on its board and its student list (as
  "left"); joining it again brings the student back under their name.
- The teacher removes a student (their membership of the class and their submissions to it: the name is
  free again) or deletes the class with everything it keeps (members, submissions, the challenge's file).
  A removed student may join again with the room code, under a name nobody holds.
- Only a run trained by this server from the start can be submitted (``challenge.check`` and the run's
  lineage, rnncore.training.lineage): never an imported zip, nor a run continued from one.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import secrets
import time
import unicodedata
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update

from rnncore.classroom import challenge as challenges
from rnncore.classroom.challenge import Challenge
from rnncore.errors import ClassError
from rnncore.store.runstore import finite, json_text
from rnncore.store.schema import attempts, classes, members, submissions, submitted_runs
from rnncore.training.lineage import Lineage
from rnncore.training.progress import SUBMITTABLE, Status

ROOM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, no 1/I
ROOM_LENGTH = 6  # 32**6: about a billion codes
NAME_MOST = 30  # characters in a display name
JOINS_PER_MINUTE = 20  # failed join attempts from one address (a wrong code, a name taken): a success is no guess
SUBMISSIONS_PER_MINUTE = 5  # per student
ATTEMPT_SECONDS = 60  # the window both limits count in; older attempts are deleted
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

    name: str  # the name it was submitted under
    score: float | None
    run: int
    submission: int  # its id: what the teacher's page asks for it by
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
    status: str  # "training", "idle", "away", or "left" (in another class now; their submissions stay here)
    seen: float  # the last time their page asked anything (left: their last submission here)
    who: str  # their workspace's id: what the teacher's page removes them by (never sent to a browser)


class Classroom:
    """Classes in the database of ``store`` (a RunStore)."""

    def __init__(self, store):
        self.store = store
        self._baselines: dict[str, dict] = {}  # challenge JSON -> its baselines on the held-out part
        self._files: dict[str, bytes] = {}  # sha256 -> a challenge's uploaded file, read once in this process
        self._data: dict[str, tuple] = {}  # challenge JSON -> (its full data set, its student data, their SHA-256)

    def _info(self, conn, row) -> ClassInfo:
        """The class of a ``classes`` row, its challenge holding its file when it is on one."""
        challenge = Challenge.from_json(row.challenge)
        sha = challenge.data_sha256
        if sha:
            if sha not in self._files:
                found = self.store.owned_file(conn, row.teacher, sha)
                if found is not None:
                    self._files[sha] = found
            challenge = challenge.with_content(self._files.get(sha))  # None: gone (full_data says so)
        return ClassInfo(row.id, row.room, row.name, challenge, bool(row.open), row.pinned, row.pinned_at)

    def _keep_file(self, conn, teacher: str, challenge: Challenge) -> None:
        """Keep a challenge's uploaded file beside the class: in ``data_files`` under the class's teacher hash
        (a SHA-256 like a workspace's, of another key), so it goes nowhere a workspace's quota counts."""
        if challenge.content is None:
            return
        self.store.keep_owned_file(conn, teacher, challenge.config.data.source, challenge.content)
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

    def delete_class(self, key: str) -> None:
        """The class goes, with everything it keeps: its members (they are in no class then), its submissions and
        their copies, the challenge's file. ClassError bad_teacher_key."""
        with self.store.transaction() as conn:
            row = self._teacher_class(conn, key)
            for table in (submitted_runs, submissions, members):
                conn.execute(delete(table).where(table.c.class_id == row.id))
            self.store.drop_owned_files(conn, row.teacher)
            conn.execute(delete(classes).where(classes.c.id == row.id))
        self._files.pop(Challenge.from_json(row.challenge).data_sha256, None)

    def remove_student(self, key: str, who: str) -> None:
        """The student whose workspace id is ``who`` (StudentRow.who) leaves the class: their membership of it and
        their submissions to it go, and their name is free again. ClassError no_student when they are not in it."""
        with self.store.transaction() as conn:
            row = self._teacher_class(conn, key)
            theirs = select(submitted_runs.c.submission).where(submitted_runs.c.class_id == row.id,
                                                               submitted_runs.c.workspace == who)
            gone = conn.execute(delete(submissions).where(submissions.c.id.in_(theirs))).rowcount
            conn.execute(delete(submitted_runs).where(submitted_runs.c.class_id == row.id,
                                                      submitted_runs.c.workspace == who))
            gone += conn.execute(delete(members).where(members.c.class_id == row.id,
                                                       members.c.workspace == who)).rowcount
            if not gone:
                raise _refuse("no_student")

    # students -----------------------------------------------------------------------------------
    def _count_attempt(self, kind: str, who: str, most: int) -> int:
        """Count one attempt of ``who``; ClassError when it makes more than ``most`` in the last ATTEMPT_SECONDS.
        The attempt counts even when the action is then refused (its own transaction); attempts older than the
        window are deleted. The attempt's id."""
        now = time.time()
        with self.store.transaction() as conn:
            conn.execute(delete(attempts).where(attempts.c.at <= now - ATTEMPT_SECONDS))
            done = conn.execute(select(func.count()).where(attempts.c.kind == kind, attempts.c.who == who)).scalar_one()
            if done >= most:
                raise _refuse("too_many_attempts" if kind == "join" else "too_many_submissions", count=done)
            return conn.execute(insert(attempts).values(kind=kind, who=who[:64], at=now)).inserted_primary_key[0]

    def join(self, room: str, name: str, workspace_key: str, who: str) -> tuple[ClassInfo, Member]:
        """The workspace joins the class of ``room`` under ``name`` (the module docstring says the rules); ``who``
        is the address the attempt comes from: a join that fails counts against it. ClassError: a bad or unknown
        code, a name taken or unusable, another name than the one the student submitted under, too many tries."""
        attempt = self._count_attempt("join", _hash(str(who)), JOINS_PER_MINUTE)
        code, display = clean_room(room), clean_name(name)
        folded = display.casefold()
        with self.store.transaction() as conn:
            wid = self.store.workspace_id(conn, workspace_key, lock=True)
            row = conn.execute(select(classes).where(classes.c.room == code)).first()
            if row is None:
                raise _refuse("no_room", room=code)
            kept = conn.execute(select(submitted_runs.c.name, submitted_runs.c.folded).where(
                submitted_runs.c.class_id == row.id, submitted_runs.c.workspace == wid).limit(1)).first()
            if kept is not None and kept.folded != folded:
                raise _refuse("name_kept", name=kept.name)
            conn.execute(delete(attempts).where(attempts.c.id == attempt))  # (a refusal below rolls this back)
            mine = conn.execute(select(members).where(members.c.workspace == wid)).first()
            if mine is not None and mine.class_id == row.id and mine.folded == folded:
                return self._info(conn, row), Member(mine.id, mine.name, mine.joined)
            taken = conn.execute(select(members.c.id).where(members.c.class_id == row.id, members.c.folded == folded,
                                                            members.c.workspace != wid)).first() \
                or conn.execute(select(submitted_runs.c.submission).where(
                    submitted_runs.c.class_id == row.id, submitted_runs.c.folded == folded,
                    submitted_runs.c.workspace != wid).limit(1)).first()
            if taken is not None:
                raise _refuse("name_taken", name=display)
            now = time.time()
            if mine is not None:  # a workspace is in one class, under one name: it moves, or takes its new name
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

    def data(self, challenge: Challenge) -> tuple:
        """(the challenge's full data set, the student data's CSV bytes, their SHA-256): read once per challenge
        in this process."""
        text = challenge.to_json()
        if text not in self._data:
            full = challenges.full_data(challenge)
            given = challenges.student_data(challenge, full)
            self._data[text] = (full, given, hashlib.sha256(given).hexdigest())
        return self._data[text]

    def student_sha(self, info: ClassInfo) -> str:
        """The SHA-256 of the data students get."""
        return self.data(info.challenge)[2]

    def check_run(self, info: ClassInfo, run: int, config, data: dict, parameters: int, epochs: int,
                  lineage: Lineage) -> None:
        """ClassError when run ``run`` (its ExperimentConfig, data identity, size, epochs and lineage) may not be
        submitted to the class: ``submit`` refuses it for the same reason."""
        challenges.check(info.challenge, config, data, parameters, epochs, run, self.student_sha(info), lineage)

    def submit(self, workspace_key: str, run: int) -> dict:
        """Score the workspace's run ``run`` on the challenge's held-out part and enter it on the board, with a copy
        of what the board shows of it (its curve and weights, under the student's name now). ClassError: not in a
        class, the class closed, too many submissions, or a run the class does not take (``check_run``). The
        submission's row, as ``submissions`` gives it."""
        from rnncore.config import ExperimentConfig
        from rnncore.io.model_files import model_from_bytes

        found = self.membership(workspace_key)
        if found is None:
            raise _refuse("not_member")
        info, member = found
        if not info.open:
            raise _refuse("closed", room=info.room)
        stored = self.store.get_run(workspace_key, run)
        if stored.status not in SUBMITTABLE or not stored.has_model:
            raise _refuse("not_finished", run=run, status=stored.status)
        cfg = ExperimentConfig.from_dict(stored.config)
        self.check_run(info, run, cfg, stored.data, stored.parameters, stored.epochs, stored.lineage)
        self._count_attempt("submit", str(member.id), SUBMISSIONS_PER_MINUTE)
        weights = self.store.weights(workspace_key, run)
        if weights is None:
            raise _refuse("no_model", run=run)
        model = model_from_bytes(weights[1], cfg)
        full, given, _ = self.data(info.challenge)
        scored = challenges.score(info.challenge, model, cfg, given, full)
        value = finite(scored["model"][info.challenge.score])
        with self.store.transaction() as conn:
            wid = self.store.workspace_id(conn, workspace_key)
            values = {"class_id": info.id, "member": member.id, "run": run, "score": value,
                      "metrics": json_text(scored),
                      "config": json.dumps(stored.config), "cell": cfg.model.cell, "epochs": stored.epochs,
                      "parameters": stored.parameters, "submitted": time.time()}
            submission = conn.execute(insert(submissions).values(**values)).inserted_primary_key[0]
            copied = self._copy_of(conn, info.id, wid, run) is not None  # the run submitted before: kept once
            conn.execute(insert(submitted_runs).values(
                submission=submission, class_id=info.id, workspace=wid, name=member.name,
                folded=member.name.casefold(), run=run,
                history=None if copied else json_text([dataclasses.asdict(r) for r in stored.history]),
                weights=None if copied else weights[1]))
        self._baselines.setdefault(info.challenge.to_json(), scored["baselines"])
        return {"name": member.name, **values, "scored": scored}

    def submitted(self, workspace_key: str) -> set[int]:
        """The numbers of the workspace's runs that a class keeps a submission of."""
        with self.store.reading() as conn:
            wid = self.store.workspace_id(conn, workspace_key)
            return set(conn.execute(select(submitted_runs.c.run).where(submitted_runs.c.workspace == wid)
                                    .distinct()).scalars())

    # what the class sees ------------------------------------------------------------------------
    def baselines(self, info: ClassInfo) -> dict:
        """The baselines' metrics on the held-out part (computed once per challenge in this process)."""
        text = info.challenge.to_json()
        if text not in self._baselines:
            full, given, _ = self.data(info.challenge)
            self._baselines[text] = challenges.baseline_scores(info.challenge, full, given)
        return self._baselines[text]

    @staticmethod
    def _submissions(conn, class_id: int) -> list:
        """The class's submissions, each with the name it was made under and the submitter's workspace id."""
        return conn.execute(select(submissions, submitted_runs.c.name, submitted_runs.c.workspace)
                            .select_from(submissions.join(submitted_runs,
                                                          submitted_runs.c.submission == submissions.c.id))
                            .where(submissions.c.class_id == class_id).order_by(submissions.c.submitted)).all()

    def leaderboard(self, class_id: int) -> list[Entry]:
        """Each student's best submission, the best first (a score that is not finite last)."""
        with self.store.reading() as conn:
            info = self._info(conn, conn.execute(select(classes).where(classes.c.id == class_id)).one())
            rows = self._submissions(conn, class_id)
        higher = info.challenge.higher_is_better
        best: dict[str, object] = {}
        for row in rows:
            held = best.get(row.workspace)
            if held is None or _better(row.score, held.score, higher):
                best[row.workspace] = row
        baselines = self.baselines(info)
        key = info.challenge.score
        entries = [Entry(row.name, row.score, row.run, row.id, row.cell, row.parameters, row.epochs, row.submitted,
                         {name: _better(row.score, metrics[key], higher) for name, metrics in baselines.items()})
                   for row in best.values()]
        sign = -1 if higher else 1
        return sorted(entries, key=lambda e: (e.score is None, sign * e.score if e.score is not None else 0,
                                              e.submitted))

    def board(self, key: str) -> tuple[ClassInfo, list[StudentRow], list[Entry]]:
        """The teacher's board: the class, each student (runs, best score, status: the members first, then those
        who left with submissions here), the leaderboard."""
        info = self.teacher_class(key)
        now = time.time()
        with self.store.reading() as conn:
            people = conn.execute(select(members).where(members.c.class_id == info.id)
                                  .order_by(members.c.joined)).all()
            sent = self._submissions(conn, info.id)
            everyone = {p.workspace for p in people} | {s.workspace for s in sent}
            counts, training = self.store.activity(conn, everyone)
        by_workspace: dict[str, list] = {}
        for row in sent:
            by_workspace.setdefault(row.workspace, []).append(row)
        rows, higher = [], info.challenge.higher_is_better
        for p in people:
            theirs = by_workspace.pop(p.workspace, [])
            status = "training" if p.workspace in training else ("idle" if now - p.seen < ACTIVE_SECONDS else "away")
            rows.append(StudentRow(p.name, counts.get(p.workspace, 0), len(theirs), _best(theirs, higher), status,
                                   p.seen, p.workspace))
        for workspace, theirs in by_workspace.items():  # in the order of their first submission
            rows.append(StudentRow(theirs[-1].name, counts.get(workspace, 0), len(theirs), _best(theirs, higher),
                                   "left", theirs[-1].submitted, workspace))
        return info, rows, self.leaderboard(info.id)

    def _submission(self, key: str, submission: int):
        """(ClassInfo, the submission's row with the copy of its run: history and weights). ClassError
        bad_teacher_key, or no_submission when the class holds no such submission."""
        info = self.teacher_class(key)
        with self.store.reading() as conn:
            row = conn.execute(select(submissions.c.config, submitted_runs)
                               .select_from(submissions.join(submitted_runs,
                                                             submitted_runs.c.submission == submissions.c.id))
                               .where(submissions.c.id == submission, submissions.c.class_id == info.id)).first()
            copy = None if row is None else self._copy_of(conn, info.id, row.workspace, row.run)
        if row is None:
            raise _refuse("no_submission", submission=submission)
        return info, row, copy

    @staticmethod
    def _copy_of(conn, class_id: int, workspace: str, run: int):
        """The class's copy of a submitted run (its history and weights), or None."""
        return conn.execute(select(submitted_runs.c.history, submitted_runs.c.weights).where(
            submitted_runs.c.class_id == class_id, submitted_runs.c.workspace == workspace,
            submitted_runs.c.run == run, submitted_runs.c.history.is_not(None))
            .order_by(submitted_runs.c.submission).limit(1)).first()

    def submitted_history(self, key: str, submission: int) -> list:
        """The epochs (EpochRecord) of a submitted run, as the class keeps them, for the teacher's board."""
        return _history(self._submission(key, submission)[2])

    def submitted_result(self, key: str, submission: int):
        """A submitted run's model, evaluated on the data it trained on (the challenge's student part), for the
        teacher's look inside it: (its epochs, its RunResult or TaskResult). ClassError no_model when the class
        keeps no weights of it (a submission stored before the class kept them, of a run deleted since)."""
        from rnncore.config import ExperimentConfig
        from rnncore.io.model_files import model_from_bytes
        from rnncore.tasks.build import rescored, task_data
        from rnncore.training.progress import say

        info, row, copy = self._submission(key, submission)
        if copy is None or copy.weights is None:
            raise _refuse("no_model", run=row.run)
        cfg, history = ExperimentConfig.from_dict(json.loads(row.config)), _history(copy)
        model, given = model_from_bytes(bytes(copy.weights), cfg), self.data(info.challenge)[1]
        return history, rescored(cfg, model, task_data(cfg, given), history=history, status=Status.FINISHED,
                                 kept_epoch=None, **say("submitted", run=row.run))

    def results_csv(self, key: str) -> str:
        """Every submission of the class as CSV (name, run, cell, parameters, epochs, its score under the score's
        name, the metrics beside it)."""
        info = self.teacher_class(key)
        with self.store.reading() as conn:
            rows = self._submissions(conn, info.id)
        out = io.StringIO()
        writer = csv.writer(out)
        beside = challenges.BESIDE[info.challenge.score]
        writer.writerow(["name", "run", "cell", "parameters", "epochs", info.challenge.score, *beside, "submitted"])
        for row in rows:
            metrics = json.loads(row.metrics)["model"]
            writer.writerow([_csv_safe(row.name), row.run, row.cell, row.parameters, row.epochs, row.score,
                             *(metrics.get(name) for name in beside),
                             time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(row.submitted))])
        return out.getvalue()


def _history(copy) -> list:
    """The EpochRecords of a class's copy of a run (none where it keeps no copy)."""
    from rnncore.training.progress import EpochRecord

    return [] if copy is None else [EpochRecord(**epoch) for epoch in json.loads(copy.history)]


def _best(rows, higher: bool) -> float | None:
    """The best score of ``rows`` (the highest where ``higher`` is better, else the lowest); None without one."""
    scores = [row.score for row in rows if row.score is not None]
    return (max if higher else min)(scores) if scores else None


def _better(score: float | None, than: float | None, higher: bool) -> bool:
    """Whether ``score`` ranks above ``than`` (any score ranks above none)."""
    return score is not None and (than is None or (score > than if higher else score < than))


def _csv_safe(text: str) -> str:
    """A name as a spreadsheet cell: one starting with = + - @ is not read as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text



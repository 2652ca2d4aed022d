"""The Class and Teacher pages' pieces: joining, the challenge, submitting, the board.

A student's membership is their workspace (ui.workspace); a teacher's right is the teacher key, kept like
the workspace key in an HttpOnly cookie (ui.cookies) and taken from the teacher link (``?teacher=KEY``)
once, then out of the address bar. Display names come from students: they are shown as text (tables, or
``plain`` in Markdown), never as Markdown or HTML.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from rnncore.classroom import challenge as challenges
from rnncore.classroom.challenge import Challenge
from rnncore.errors import KeyedError, data_error
from rnncore.training.progress import SUBMITTABLE
from ui import cookies
from ui.actions import NOTICE, report
from ui.controls import forget_widgets
from ui.i18n import explain_error, plain, source_name, t, table, text
from ui.inside import heatmaps
from ui.runs import run_label
from ui.state import CLASS_SENT, OVERLAY_SEEN, classroom, lab, memo, training_slots

TEACHER_PARAM = "teacher"  # the teacher link's query parameter
SHOWN_SETTINGS = ("cell", "hidden_size", "num_layers", "activation", "lr", "batch_size", "epochs", "dropout",
                  "weight_decay", "clip_norm")  # what the teacher sees of a student's run


def _workspace_key() -> str | None:
    archive = lab().archive
    return archive.key if archive.stored else None


def membership():
    """(ClassInfo, Member) of this browser's workspace, or None (not in a class, or no store: said)."""
    rooms, key = classroom(), _workspace_key()
    if rooms is None or key is None:
        return None
    try:
        found = rooms.membership(key)
    except KeyedError as exc:
        st.error(explain_error(exc), icon=":material/database:")
        return None
    share_slots(found[0].id if found is not None else None)
    return found


def share_slots(class_id: int | None = None) -> None:
    """This session's next runs queue as its workspace's, in its class's group for a student of ``class_id``:
    one workspace's tabs, or one class, never take every training slot (rnncore.training.slots). A session
    without a store is a workspace of its own."""
    from rnncore.store import key_id

    session, key = lab(), _workspace_key()
    workspace = f"workspace:{key_id(key)}" if key is not None else session.slots.workspace
    group = workspace if class_id is None else f"class:{class_id}"
    if session.slots is None:  # a Lab that trains without the server's slots (the tests' own)
        return
    if (session.slots.name, session.slots.workspace) != (group, workspace) and not session.busy:
        session.slots = training_slots().group(group, workspace)


def join(room_key: str, name_key: str) -> None:
    """Button callback: join the class of the code typed, under the name typed."""
    rooms, key = classroom(), _workspace_key()
    if rooms is None or key is None:
        report(t("class.needs_store"))
        return
    try:
        info, member = rooms.join(st.session_state.get(room_key, ""), st.session_state.get(name_key, ""), key,
                                  who=address())
    except KeyedError as exc:
        report(explain_error(exc), escaped=True)
        return
    st.session_state[NOTICE] = t("class.joined", name=member.name, room=info.room)


def address() -> str:
    """Where this browser's requests come from, as the join limit counts them: the connection's address (the
    server's uvicorn puts the client's there from X-Forwarded-For only when the balancer sent it, deploy/README.md;
    a header is never read here), one "local" address for this machine."""
    return st.context.ip_address or "local"


def use_challenge(challenge: Challenge) -> None:
    """Button callback: the challenge's data (held-out part cut) and window become the next run's, with the
    teacher's settings as a start."""
    session, rooms = lab(), classroom()
    try:
        given = rooms.data(challenge)[1] if rooms is not None else challenges.student_data(challenge)
        session.load(challenge.data_name, content=given, task=challenge.task)
        session.config = challenge.first_config(session.config.data)
    except KeyedError as exc:
        report(explain_error(exc), escaped=True)
        return
    forget_widgets()
    st.session_state[NOTICE] = t("class.challenge_loaded")


def submit(run_key: str) -> None:
    """Button callback: score the chosen run on the held-out part and enter it."""
    rooms, key, run = classroom(), _workspace_key(), st.session_state.get(run_key)
    if rooms is None or key is None or run is None:
        return
    try:
        sent = rooms.submit(key, int(run))
    except KeyedError as exc:
        report(explain_error(exc), escaped=True)
        return
    st.session_state[CLASS_SENT] = sent


SAID_BASELINE = {"forecast": "persistence", "charlm": "bigram", "classify": "majority"}  # named with a score


def cell_name(cell: str) -> str:
    return text(f"cell_short.{cell}")


def challenge_said(challenge: Challenge) -> str:
    window = challenge.config.window
    return t(f"class.challenge.{challenge.task}", data=source_name(challenge.config.data.source),
             lookback=window.lookback,
             horizon=window.horizon, epochs=challenge.max_epochs, parameters=f"{challenge.max_parameters:,}",
             seconds=f"{challenge.max_seconds:g}", cells=", ".join(text(f"cell_short.{c}") for c in challenge.cells))


def budget_note(config) -> None:
    """On the Train page of a student in a class: the class's budget, and before Start every limit of it that
    the next run's settings break (the class would refuse that run at Submit)."""
    from rnncore.nn.models import parameter_count
    from rnncore.tasks.build import model_sizes

    found = membership()
    if found is None:
        return
    info, challenge = found[0], found[0].challenge
    st.caption(t("train.class_budget", room=info.room, epochs=challenge.max_epochs,
                 parameters=f"{challenge.max_parameters:,}", seconds=f"{challenge.max_seconds:g}",
                 cells=", ".join(cell_name(c) for c in challenge.cells)))
    parameters = parameter_count(config.model, *model_sizes(config, lab().dataset))
    over = challenges.over_budget(challenge, config, parameters, config.train.epochs)
    if over:
        st.warning(t("train.over_class_budget", over=text("list.errors").join(explain_error(e, field=True)
                                                                             for e in over)),
                   icon=":material/rule:")


def submittable(info) -> dict[int, tuple[str, str | None]]:
    """The workspace's runs that ended with a model, the latest first: number -> (label, why the class does not
    take it, or None)."""
    session, rooms, out = lab(), classroom(), {}
    for r in reversed(session.runs):
        if r.status not in SUBMITTABLE or not session.has_model(r):
            continue
        try:
            rooms.check_run(info, r.id, r.config, r.data, r.parameters, len(r.history), r.lineage)
            why = None
        except KeyedError as exc:
            why = explain_error(exc)
        label = f"{run_label(r)} · {text(f'status.{r.status}')}"
        out[r.id] = (label if why is None else text("class.not_taken", run=label), why)
    return out


def submitted_here(record) -> bool:
    """Whether a class keeps a submission of this run of the workspace (it keeps it when the run is deleted)."""
    rooms, key = classroom(), _workspace_key()
    if rooms is None or key is None or not record.status.ended:
        return False
    try:
        return record.id in rooms.submitted(key)
    except KeyedError:
        return False


def sent_said(challenge: Challenge) -> str | None:
    """What the last submission scored on ``challenge``'s held-out part, next to its task's plainest baseline."""
    sent = st.session_state.pop(CLASS_SENT, None)
    if sent is None:
        return None
    scored, name = sent["scored"], SAID_BASELINE[challenge.task]
    return t(f"class.scored.{challenge.task}", run=sent["run"],
             score=f"{sent['score']:.4g}" if sent["score"] is not None else "—",
             baseline=f"{scored['baselines'][name][challenge.score]:.4g}")


def leaderboard_frame(entries, baselines: dict, challenge: Challenge) -> pd.DataFrame:
    """The leaderboard with the baselines as rows of their own, the best first (by the challenge's score): a
    model that does not beat them shows so."""
    score = text(f"class.score.{challenge.score}")
    rows = [{text("class.who"): e.name, score: e.score, text("class.cell"): text(f"cell_short.{e.cell}"),
             text("class.parameters"): e.parameters, text("class.beats"): _beats(e.beats)} for e in entries]
    rows += [{text("class.who"): text("class.baseline", name=text(f"baseline.{name}")),
              score: metrics[challenge.score], text("class.cell"): "—", text("class.parameters"): "—",
              text("class.beats"): "—"} for name, metrics in baselines.items()]
    frame = pd.DataFrame(rows)
    if not rows:
        return frame
    return frame.sort_values(score, ascending=not challenge.higher_is_better, na_position="last").reset_index(
        drop=True)


def _beats(beats: dict) -> str:
    return text("class.beats_all") if beats and all(beats.values()) else text("class.beats_not")


OVERLAY = "w.teacher.overlay"


def overlay_picker(names: list[str]) -> list[str]:
    """Whose curves the board overlays: the teacher's choice; a student new on the leaderboard joins it
    (the first four at the start)."""
    seen = st.session_state.setdefault(OVERLAY_SEEN, set())
    new = [name for name in names if name not in seen]
    kept = [name for name in st.session_state.get(OVERLAY, []) if name in names]
    st.session_state[OVERLAY] = (kept + new) if seen else names[:4]
    seen.update(names)
    return st.multiselect(t("teacher.overlay"), names, key=OVERLAY)


# the teacher ----------------------------------------------------------------------------------
def take_teacher_link() -> None:
    """On each run of the app, before ui.links publishes the address without it: a teacher link's key goes into
    the browser's cookie (text that is not a key is dropped unread; the Teacher page then says it has none)."""
    asked = st.query_params.get(TEACHER_PARAM)
    if cookies.is_key(asked) and cookies.read(cookies.TEACHER) != asked:
        cookies.write(cookies.TEACHER, asked)


def teacher_key() -> str | None:
    """The teacher key of this browser: from the teacher link or the cookie."""
    return cookies.read(cookies.TEACHER)


def teacher_class(key: str):
    """The ClassInfo of the teacher key, or None: then the page says why, and the key is forgotten here
    (and in the cookie) so that the page offers to make a class."""
    try:
        return classroom().teacher_class(key)
    except KeyedError as exc:
        st.error(explain_error(exc), icon=":material/key_off:")
        cookies.write(cookies.TEACHER, "")
        return None


def create_class(name_key: str, epochs_key: str, parameters_key: str, seconds_key: str, cells_key: str) -> None:
    """Button callback: a class whose challenge is the data and window loaded now, with the budget chosen."""
    rooms, session = classroom(), lab()
    if rooms is None:
        report(t("class.needs_store"))
        return
    file = session.config.data.kind == "file"
    try:
        if file and session.upload is None:
            raise data_error("no_data")
        challenge = Challenge(config=session.config, max_epochs=int(st.session_state[epochs_key]),
                              max_parameters=int(st.session_state[parameters_key]),
                              max_seconds=float(st.session_state[seconds_key]),
                              cells=tuple(st.session_state[cells_key] or ()),
                              content=session.upload if file else None)
        room, key = rooms.create_class(st.session_state.get(name_key) or "Class", challenge)
    except KeyedError as exc:
        report(explain_error(exc), escaped=True)
        return
    cookies.write(cookies.TEACHER, key)
    st.session_state[NOTICE] = t("class.created", room=room)


def teacher_link(key: str) -> str:
    base = (st.context.url or "").split("?")[0]
    return f"{base}?{TEACHER_PARAM}={key}"


def set_open(key: str, widget: str) -> None:
    classroom().update(key, open=bool(st.session_state[widget]))


def pin(key: str, link: str) -> None:
    classroom().update(key, pinned=link)


REMOVE, REMOVE_ARMED, DELETE_ARMED = "w.teacher.remove", "w.teacher.confirm_remove", "w.teacher.confirm_delete"


def manage(key: str, students) -> None:
    """What the teacher cannot undo, each armed by a checkbox first: remove a student, delete the class."""
    with st.expander(t("teacher.manage"), icon=":material/manage_accounts:"):
        if students:
            names = {s.who: s.name for s in students}  # (the workspace ids stay on the server: the box sends names)
            st.selectbox(t("teacher.remove_who"), list(names), format_func=names.get, key=REMOVE)
            armed = st.checkbox(t("teacher.confirm_remove"), key=REMOVE_ARMED)
            st.button(t("teacher.remove"), key="b.remove_student", on_click=remove_student, args=(key, names),
                      disabled=not armed, icon=":material/person_remove:")
        armed = st.checkbox(t("teacher.confirm_delete"), key=DELETE_ARMED)
        st.button(t("teacher.delete"), key="b.delete_class", on_click=delete_class, args=(key,), type="tertiary",
                  disabled=not armed, icon=":material/delete_forever:")


def remove_student(key: str, names: dict) -> None:
    """Button callback: the student picked leaves the class with their submissions."""
    who = st.session_state.get(REMOVE)
    if not st.session_state.get(REMOVE_ARMED) or who not in names:
        return
    try:
        classroom().remove_student(key, who)
    except KeyedError as exc:
        report(explain_error(exc), escaped=True)
        return
    st.session_state[REMOVE_ARMED] = False
    st.session_state[NOTICE] = t("teacher.removed", name=names[who])


def delete_class(key: str) -> None:
    """Button callback: the class and everything it keeps go for good; the page then offers to make a class."""
    if not st.session_state.get(DELETE_ARMED):
        return
    try:
        classroom().delete_class(key)
    except KeyedError as exc:
        report(explain_error(exc), escaped=True)
        return
    st.session_state[DELETE_ARMED] = False
    cookies.write(cookies.TEACHER, "")
    st.session_state[NOTICE] = t("teacher.deleted")


def students_frame(rows, challenge: Challenge) -> pd.DataFrame:
    """The teacher's list of students: runs, submissions, best score (in the challenge's metric), status."""
    import time

    now, best = time.time(), text("class.best", score=text(f"class.score.{challenge.score}"))
    return pd.DataFrame([{text("class.who"): r.name, text("class.runs"): r.runs, text("class.sent"): r.submissions,
                          best: "—" if r.best is None else r.best,  # nothing submitted yet
                          text("class.status"): text(f"class.status_{r.status}"),
                          text("class.seen"): text("class.seconds_ago", seconds=int(now - r.seen))} for r in rows])


def results_csv(key: str) -> bytes:
    """The class's results for a spreadsheet: UTF-8 with a byte order mark, without which Excel reads the names
    as its legacy code page ("王小明" garbled)."""
    return classroom().results_csv(key).encode("utf-8-sig")


def curves_of(key: str, entries, chosen: list[str]) -> dict[str, list]:
    """The loss curves of the chosen students' best runs (as the class keeps them), for one chart."""
    rooms, out = classroom(), {}
    by_name = {e.name: e for e in entries}
    for name in chosen:
        entry = by_name[name]
        out[f"{name} · #{entry.run}"] = _curve(rooms.submitted_history(key, entry.submission))
    return out


def _curve(history) -> list[dict]:
    """A run's epochs as the compare chart takes its loss curve."""
    return [{"epoch": r.epoch, "train_loss": r.train_loss, "val_loss": r.val_loss} for r in history]


def student_run(key: str, entries) -> None:
    """One student's submitted run, large enough for a projector: its loss curves, its settings, and inside
    its cell (the gates and states of one window of the data it trained on; a text model's text coloured by a
    unit)."""
    from rnncore.viz import inspection, plots

    by_label = {f"{e.name} · #{e.run}": e for e in entries}
    picked = st.selectbox(t("teacher.pick_run"), list(by_label), key="w.teacher.run")
    entry = by_label[picked]
    try:
        history, result = memo("teacher.result", (key, entry.submission),
                               lambda: classroom().submitted_result(key, entry.submission))
    except KeyedError as exc:
        st.error(explain_error(exc), icon=":material/error:")
        return
    model = result.config.model
    st.markdown(" · ".join(f"**{t(f'setting.{k}')}** {plain(_setting(result.config, k))}" for k in SHOWN_SETTINGS))
    st.plotly_chart(plots.compare_loss_figure({picked: _curve(history)}, log_y=True, labels=table("fig.compare")),
                    key="teacher.run_loss")
    if result.config.data.task != "forecast":  # a text coloured by a unit, or a sequence through the cell
        from ui import tasks

        tasks.inside(result)
        return
    windows = result.windows
    split = next(s for s in ("test", "val", "train") if len(getattr(windows, s).x))
    count = len(getattr(windows, split).x)
    index = st.slider(t("teacher.window", split=text(f"split.{split}")), 0, count - 1, 0, key="w.teacher.window") \
        if count > 1 else 0
    trace = inspection.trace_window(result.model, windows, split, index, model.num_layers - 1)
    st.plotly_chart(heatmaps(trace, model.cell, model.activation, windows.features), key="teacher.run_gates")


def _setting(config, name: str) -> str:
    from rnncore.config import SETTINGS

    declared = SETTINGS[name]
    value = getattr(getattr(config, declared.section), name)
    if declared.labels:
        return text(f"{declared.labels}.{value}")
    return f"{value:g}" if isinstance(value, float) else str(value)

"""Teacher: make a class and its challenge; the live board of the class, its leaderboard, its curves."""

import streamlit as st

from rnncore.classroom.challenge import Challenge
from rnncore.config import CELLS
from rnncore.viz import plots
from ui import actions, classroom, cookies, links, state
from ui.fragments import fragment
from ui.i18n import language, source_name, t, table
from ui.state import lab, server_limits

st.title(t("teacher.title"))
actions.show_message()
actions.show_notice()
key = classroom.teacher_key()
if classroom.classroom() is None:
    st.warning(t("class.needs_store"), icon=":material/database:")
    st.stop()
info = classroom.teacher_class(key) if key else None
if info is None:
    st.caption(t("teacher.intro", data=source_name(lab().config.data.source)))
    with st.form("teacher.create", border=True):
        st.text_input(t("teacher.class_name"), key="w.teacher.name", max_chars=80)
        c1, c2, c3 = st.columns(3)
        limits, start = server_limits(), Challenge()  # a class's budget starts at Challenge's, or the server's
        c1.number_input(t("teacher.max_epochs"), 1, limits.max_epochs, min(start.max_epochs, limits.max_epochs),
                        key="w.teacher.epochs")
        c2.number_input(t("teacher.max_parameters"), 100, limits.max_parameters,
                        min(start.max_parameters, limits.max_parameters), step=1000, key="w.teacher.parameters")
        c3.number_input(t("teacher.max_seconds"), 5.0, limits.max_seconds, min(start.max_seconds, limits.max_seconds),
                        key="w.teacher.seconds")
        st.multiselect(t("teacher.cells"), list(CELLS), default=list(CELLS),
                       format_func=classroom.cell_name, key="w.teacher.cells")
        st.form_submit_button(t("teacher.create"), on_click=classroom.create_class, icon=":material/school:",
                              args=("w.teacher.name", "w.teacher.epochs", "w.teacher.parameters", "w.teacher.seconds",
                                    "w.teacher.cells"), type="primary")
    st.stop()

rooms = classroom.classroom()
c1, c2 = st.columns([1, 2])
c1.metric(t("teacher.room"), info.room)
c2.caption(t("teacher.link"), help=t("teacher.link_help"))
with c2:
    cookies.reveal(classroom.teacher_link(key), "w.teacher.show_link")
c1.toggle(t("teacher.open"), value=info.open, key="w.teacher.open", on_change=classroom.set_open,
          args=(key, "w.teacher.open"))
here = links.link_of(lab().config, language(), lab().dataset)
c2.button(t("teacher.pin"), key="b.pin", on_click=classroom.pin, args=(key, here), icon=":material/push_pin:",
          help=t("teacher.pin_help"))
st.caption(classroom.challenge_said(info.challenge))


@fragment(run_every=state.BOARD_SECONDS)
def board(submitted: tuple) -> None:
    info, students, entries = rooms.board(key)
    if tuple((e.name, e.run) for e in entries) != submitted:  # a new submission: the student's run below follows
        st.rerun()
    st.subheader(t("teacher.students", count=len(students)))
    st.dataframe(classroom.students_frame(students, info.challenge), hide_index=True, width="stretch")
    st.subheader(t("class.leaderboard"))
    st.caption(t("teacher.submitted", count=len(entries), names=", ".join(f"{e.name} (#{e.run})" for e in entries)))
    st.dataframe(classroom.leaderboard_frame(entries, rooms.baselines(info), info.challenge), hide_index=True,
                 width="stretch")
    names = [e.name for e in entries]
    chosen = classroom.overlay_picker(names)
    if chosen:
        curves = classroom.curves_of(key, entries, chosen)
        st.plotly_chart(plots.compare_loss_figure(curves, labels=table("fig.compare")), key="teacher.curves")
    st.download_button(t("teacher.download"), classroom.results_csv(key), f"class_{info.room}.csv", "text/csv",
                       icon=":material/download:")


_, students, entries = rooms.board(key)
board(tuple((e.name, e.run) for e in entries))
if entries:
    st.subheader(t("teacher.open_run"))
    classroom.student_run(key, entries)
classroom.manage(key, students)

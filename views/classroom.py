"""Class: join a class with its room code, see the challenge and the pinned link, submit runs, the leaderboard."""

import streamlit as st

from ui import actions, classroom
from ui.i18n import t
from ui.state import lab

st.title(t("class.title"))
actions.show_message()
actions.show_notice()
found = classroom.membership()
if found is None:
    st.caption(t("class.intro"))
    with st.form("class.join", border=True):
        st.text_input(t("class.room"), key="w.class.room", max_chars=12, placeholder="K7WQ3M")
        st.text_input(t("class.name"), key="w.class.name", max_chars=40)
        st.form_submit_button(t("class.join"), on_click=classroom.join, args=("w.class.room", "w.class.name"),
                              icon=":material/group_add:", type="primary")
    st.stop()

info, member = found
st.subheader(t("class.heading", name=info.name, room=info.room, member=member.name))
if info.pinned:
    st.info(t("class.pinned"), icon=":material/push_pin:")
    st.link_button(t("class.open_pinned"), info.pinned, icon=":material/open_in_new:", type="primary")

st.markdown(classroom.challenge_said(info.challenge))
if not info.open:
    st.warning(t("class.closed"), icon=":material/lock:")
st.button(t("class.use_challenge"), key="b.use_challenge", on_click=classroom.use_challenge,
          args=(info.challenge,), icon=":material/dataset:", disabled=lab().busy,
          help=t("class.use_challenge_help"))

st.subheader(t("class.submit_heading"))
runs = classroom.submittable(info)
if runs:
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    picked = c1.selectbox(t("class.run"), list(runs), format_func=lambda run: runs[run][0], key="w.class.run")
    why = runs[picked][1]
    c2.button(t("class.submit"), key="b.submit", on_click=classroom.submit, args=("w.class.run",),
              icon=":material/send:", disabled=not info.open or why is not None)
    if why is not None:
        st.warning(why, icon=":material/block:")
else:
    st.caption(t("class.no_runs"))
if said := classroom.sent_said(info.challenge):
    st.success(said, icon=":material/emoji_events:")

st.subheader(t("class.leaderboard"))
rooms = classroom.classroom()
st.dataframe(classroom.leaderboard_frame(rooms.leaderboard(info.id), rooms.baselines(info), info.challenge),
             hide_index=True, width="stretch")
st.caption(t(f"class.leaderboard_note.{info.challenge.task}"))

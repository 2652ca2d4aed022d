"""A page whose own code fails, shielded as the app's pages are: what does a student see of the error?"""

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root: ui/

from ui.errors import shielded  # noqa: E402

st.title("A page that fails")
with shielded("the crash page"):
    raise RuntimeError("secret detail: /srv/rnnlab/data/students.db")

"""RNN Lab: placeholder entry point until the dashboard lands."""

import streamlit as st

st.set_page_config(page_title="RNN Lab", layout="wide")
st.title("RNN Lab")
st.write("Train recurrent neural networks live and look inside them.")

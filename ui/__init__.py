"""The Streamlit layer: session state, widget groups that return configs, translations."""

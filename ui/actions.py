"""What buttons do: small functions pages call, each turning the user's errors into a message."""

from __future__ import annotations

import streamlit as st

from rnncore.config import WindowConfig, source_kind
from rnncore.errors import KeyedError
from rnncore.lab.comparison import cell_sweep
from rnncore.lab.scenarios import scenario
from rnncore.tasks.build import task_data
from ui.controls import forget_widgets, label, problems
from ui.i18n import explain_error, plain, source_name, t
from ui.runs import run_label
from ui.state import IMPORT_DONE, MESSAGE, NOTICE, lab


def report(message: str, escaped: bool = False) -> None:
    """Keep an error for the page to show on its next run (``escaped``: already Markdown-safe)."""
    st.session_state[MESSAGE] = message if escaped else plain(message)


def show_message() -> None:
    message = st.session_state.pop(MESSAGE, None)
    if message:
        st.error(message, icon=":material/error:")


def guarded(action, *args) -> bool:
    """Run ``action``; a user-caused error (a DataError, ConfigError, BundleError) becomes a message."""
    try:
        action(*args)
    except KeyedError as exc:
        report(explain_error(exc), escaped=True)
        return False
    return True


def page_after(key: str) -> str:
    """Where a scenario's runs are watched: one run on Train, a comparison on Compare."""
    return "train" if len(scenario(key).configs) == 1 else "compare"


def run_scenario(key: str) -> str | None:
    """Load a scenario's data (a series, a text or a labelled set) and start its runs (all or nothing); returns the
    page to go to."""
    configs = scenario(key).configs
    session = lab()
    if session.busy:
        report(t("train.busy"))
        return None

    def begin():
        session.start_series(configs, dataset=task_data(configs[0]))

    if not guarded(begin):
        return None
    forget_widgets()
    return page_after(key)


def load_data(source: str, params: dict | None = None, content: bytes | None = None, task: str = "forecast",
              label: str | None = None) -> None:
    """Load ``task``'s data for the next run (a callback: the page is then drawn with it). On an error the data
    stays and the page says why; a sample's recommended settings, or window settings carried over from the data
    before, it says."""
    session = lab()
    before = source_name(session.config.data.source) if session.dataset is not None else None
    same_task = session.config.data.task == task
    try:
        session.load(source, params, content, task=task, label=label)
    except KeyedError as exc:
        report(t("data.load_failed", name=source_name(source), error=explain_error(exc, field=True)), escaped=True)
        return
    forget_widgets()
    if source_kind(source) == "sample":  # it brought the settings recommended for it: the widgets show them
        from ui.data_panels import recommended_said

        st.session_state[NOTICE] = t("data.recommended", name=source_name(source),
                                     settings=recommended_said(session.config, source.partition(":")[2]))
        return
    window, default = session.config.window, WindowConfig()
    moved = (window.lookback, window.horizon) != (default.lookback, default.horizon)
    if before is not None and same_task and task == "forecast" and moved:
        st.session_state[NOTICE] = t("data.carried", lookback=window.lookback, horizon=window.horizon, name=before)


def choose_task(key: str) -> None:
    """The task chosen (widget ``key``): its first bundled data set is loaded for the next run, with its settings."""
    from ui.task_data import SOURCES

    task = st.session_state[key]
    if task is not None and task != lab().config.data.task:
        load_data(SOURCES[task][0], task=task)


def load_sample(key: str) -> None:
    """Load the sample the picker ``key`` holds now (read at the click, not when the button was drawn)."""
    load_data(f"sample:{st.session_state[key]}")


def load_upload(key: str) -> None:
    upload = st.session_state.get(key)
    if upload is not None:
        load_data(upload.name, content=upload.getvalue())


def generate(name: str, param_keys: dict[str, str], seed_key: str) -> None:
    """Generate ``name`` with the parameters its widgets hold now (read at the click, not before)."""
    params = {param: st.session_state[key] for param, key in param_keys.items() if key in st.session_state}
    load_data(f"synthetic:{name}", {**params, "seed": int(st.session_state.get(seed_key, 0))})


def reshape(layout: str) -> None:
    guarded(lab().reshape, layout)


def show_notice() -> None:
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.info(notice, icon=":material/info:")


def start() -> None:
    """Start the next run, unless a value typed was refused (Start is disabled then; this holds all the same)."""
    if problems():
        report(t("train.refused", settings=", ".join(label(name) for name in problems())), escaped=True)
        return
    guarded(lab().start)


def step() -> None:
    guarded(lab().step)


def pause_or_resume() -> None:
    session = lab()
    if session.controls().resume:
        session.resume()
    else:
        session.pause()


def stop() -> None:
    lab().stop()


def sweep_cells() -> None:
    """The four cells, side by side, with the next run's data and settings."""
    guarded(lab().start_series, cell_sweep(lab().config))


def continue_run(record) -> bool:
    return guarded(lab().continue_run, record)


def delete_run(record) -> None:
    """Button callback: the run leaves the workspace (or this tab's memory) for good; a class it was submitted to
    keeps its submission, and the notice says so."""
    from ui.classroom import submitted_here

    kept = submitted_here(record)
    if guarded(lab().delete, record):
        st.session_state[NOTICE] = t("evaluate.deleted_kept" if kept else "evaluate.deleted", label=run_label(record))


def import_panel() -> None:
    """Upload an exported run (zip): it joins the session's runs, or a message says why not."""
    upload = st.file_uploader(t("compare.import_file"), type=["zip"], key="w.import")
    if upload is None or st.session_state.get(IMPORT_DONE) == upload.file_id:
        return
    st.session_state[IMPORT_DONE] = upload.file_id
    try:
        record = lab().import_run(upload.getvalue())
    except KeyedError as exc:
        error = explain_error(exc, field=True)
        st.error(t("compare.import_failed", name=upload.name, error=error), icon=":material/error:")
    else:
        st.success(t("compare.imported", label=run_label(record)), icon=":material/check_circle:")

"""The Text & labels page's runs kept in the browser's workspace of the run store: the table of a task's
stored runs with their loss curves, one reopened (its model scored again on its data), a run zip imported and
kept.

Everything stored or computed is rnncore's (rnncore.tasks.files); a store that cannot
be used, or a zip or data it cannot take, is said and changes nothing.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from rnncore.config import ExperimentConfig
from rnncore.errors import BundleError, KeyedError, StoreError
from rnncore.io.model_files import ModelFileError
from rnncore.tasks.build import task_data
from rnncore.tasks.files import import_task, keep_imported, reopen, rescore
from rnncore.viz import plots
from ui.i18n import explain_error, language, t, table, text, where_to
from ui.state import TASK_IMPORT_DONE, TASK_MESSAGE, lab, memo, server_limits
from ui.tasks import Chosen, open_run


def stored_runs(task: str, listed: list | None = None) -> None:
    """This task's runs in the browser's workspace: a table of their scores, their losses side by side, and one
    reopened to look at; ``listed``: the workspace's runs when the caller has just listed them."""
    archive = lab().archive
    if not archive.stored:
        st.caption(t("tasks.stored.memory"))
        return
    try:
        listed = listed if listed is not None else archive.store.list_runs(archive.key)
        found = [s for s in listed if s.task == task]
        rows, histories = _stored(archive.store, archive.key, found)
    except StoreError as exc:
        st.warning(explain_error(exc), icon=":material/cloud_off:")
        return
    if not found:
        st.caption(t("tasks.stored.none"))
        return
    frame = pd.DataFrame(rows)
    model, baseline = frame.columns[-2:]
    st.dataframe(frame, hide_index=True, width="stretch", column_config={
        model: st.column_config.NumberColumn(format="%.3f"),
        baseline: st.column_config.NumberColumn(format="%.3f", help=t("tasks.stored.baseline_help", metric=model))})
    numbers = [s.number for s in found]
    shown = st.multiselect(t("tasks.stored.compare"), numbers, default=numbers[-4:], key=f"w.tasks.compare.{task}",
                           format_func=lambda n: t("tasks.stored.run", number=n))
    if shown:
        st.plotly_chart(plots.compare_loss_figure(
            {t("tasks.stored.run", number=n): histories[n] for n in shown},
            labels={**table("fig.compare"), "title": text("tasks.stored.losses"), "y": text("tasks.loss")}),
            key=f"tasks.stored.losses.{task}")
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    number = left.selectbox(t("tasks.stored.pick"), [s.number for s in found if s.has_model],
                            key=f"w.tasks.stored.{task}", format_func=lambda n: t("tasks.stored.run", number=n))
    right.button(t("tasks.stored.open"), key=f"b.tasks.reopen.{task}", on_click=_reopen, args=(number,),
                 width="stretch", disabled=number is None or lab().busy, icon=":material/folder_open:")


def _stored(store, key: str, found: list) -> tuple[list[dict], dict]:
    """(the table's rows, each run's history) of the stored runs of one task: data, cell, how each ended, its test
    metric next to the baseline it must beat; read once per change of the workspace's runs."""
    def row(stored) -> dict:
        metric, baseline = ("bits_per_char", "bigram") if stored.task == "charlm" else ("accuracy", "majority")
        results = stored.results
        test = results.get("metrics", {}).get("test", {}).get(metric)
        base = results.get("baselines", {}).get(baseline, {}).get("test", {}).get(metric)
        return {t("tasks.stored.col.run"): stored.number,
                t("tasks.stored.col.data"): stored.data.get("name") or stored.config["data"]["source"],
                t("tasks.stored.col.cell"): text(f"cell.{stored.cell}"), t("tasks.stored.col.epochs"): stored.epochs,
                t("tasks.stored.col.status"): text(f"status.{stored.status}"),
                t("tasks.stored.col.test", metric=t(f"tasks.metric.{metric}")): test,
                t("tasks.stored.col.baseline", baseline=t(f"baseline.{baseline}")): base}

    def read() -> tuple[list[dict], dict]:
        runs = [store.get_run(key, s.number) for s in found]
        return [row(r) for r in runs], {r.number: r.history for r in runs}

    stamp = tuple((s.number, s.updated, s.status) for s in found)
    return memo("tasks.stored", stamp + (language(),), read)


def import_panel(task: str, chosen: Chosen | None) -> None:
    """A task's run zip uploaded: scored again on its data (a sample, a generator, or the file chosen above) and
    shown; kept in the workspace as a run of its own. A zip it cannot use is said, and nothing changes."""
    upload = st.file_uploader(t("tasks.import"), type=["zip"], key=f"w.tasks.import.{task}",
                              help=t("tasks.import_help"))
    if upload is None or st.session_state.get(TASK_IMPORT_DONE) == upload.file_id:
        return
    st.session_state[TASK_IMPORT_DONE] = upload.file_id
    try:
        imported = import_task(upload.getvalue(), server_limits().run_limits())
        cfg = imported.config
        if cfg.data.task != task:
            raise BundleError.keyed("other_data", source=cfg.data.source, why=t(f"tasks.task.{cfg.data.task}"))
        data, content = _data_of(cfg, imported.data, chosen)
        result = rescore(imported, data)
    except KeyedError as exc:
        said = t("tasks.import_failed", name=upload.name, error=explain_error(exc, field=True))
        st.error(f"{said}. {where_to(exc)}" if where_to(exc) else said, icon=":material/error:")
        return
    number, archive, identity = None, lab().archive, {**imported.data, "rows": len(data)}
    if archive.stored:
        try:
            number = keep_imported(archive.store, archive.key, result, identity, content)
        except StoreError as exc:
            st.warning(t("tasks.stored.not_kept", error=explain_error(exc, field=True)), icon=":material/cloud_off:")
    if open_run(result, identity, number):
        st.rerun()
    st.error(t("tasks.busy"), icon=":material/error:")


def _data_of(cfg: ExperimentConfig, identity: dict, chosen: Chosen | None) -> tuple[object, bytes | None]:
    """(the data an imported run trained on, the file's bytes to keep): a sample or a generator loaded again,
    or the file chosen above when it is that file (BundleError needs_upload when it is not)."""
    if cfg.data.kind != "file":
        return task_data(cfg), None
    same = chosen is not None and chosen.content is not None and chosen.source == cfg.data.source
    sha = identity.get("sha256")
    if not same or (sha and hashlib.sha256(chosen.content).hexdigest() != sha):
        raise BundleError.keyed("needs_upload", source=cfg.data.source)
    return chosen.data, chosen.content


def _reopen(number: int) -> None:
    """The stored run ``number`` read back (its model scored again on its data) and shown as this session's."""
    archive = lab().archive
    try:
        stored = archive.store.get_run(archive.key, number)
        result, _ = reopen(archive.store, archive.key, stored)
    except (KeyedError, ModelFileError) as exc:
        st.session_state[TASK_MESSAGE] = explain_error(exc)
        return
    if not open_run(result, stored.data, number):
        st.session_state[TASK_MESSAGE] = t("tasks.busy")

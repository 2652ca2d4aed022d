"""Where a Lab keeps the runs that ended: in this process's memory, or in a workspace of the run store.

Both archives answer the same questions (``records``, ``result_of``) and take the same events (runs
numbered as they start, a run ended, a run imported, a run deleted), so the Lab and the pages do not
know which one they have. ``MemoryArchive`` keeps the latest ``max_runs`` records and the models of
the latest ``keep_models``. ``StoreArchive`` writes each run into the store while it trains
(``RunRecorder``) and reads every run of its workspace back, the ones other tabs and servers train
included, loading a model from the store only when a page asks for it. Where the store is down it
keeps going in memory and says so (``down``); nothing already stored is touched. Once the store answers
again, the runs kept in memory meanwhile are written into the workspace (``write_back``), each whole or
not at all, and the archive says nothing more about memory.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict

from rnncore.config import ExperimentConfig
from rnncore.errors import Note, StoreError
from rnncore.lab.records import RunRecord, ended_fields, floats, kept_fields, results_of, time_index
from rnncore.messages import STORE_NOTES
from rnncore.tasks.build import data_of, rescored
from rnncore.training.progress import PartialEpoch, Status, say
from rnncore.training.results import baseline_note

MEMORY_IDS_FROM = 100_001  # runs kept in memory while the store is down: numbered apart from stored ones


class MemoryArchive:
    """Runs kept in this process: the latest ``max_runs``, with the models of the latest ``keep_models``."""

    stored = False
    down: StoreError | None = None

    def __init__(self, keep_models: int = 3, max_runs: int = 30, first_id: int = 1):
        self.keep_models, self.max_runs = keep_models, max_runs
        self._records: list[RunRecord] = []
        self._ids = itertools.count(first_id)
        self._lock = threading.Lock()

    def number(self, runs) -> None:
        """Give each run that starts now its number (the Lab's lock is held)."""
        for run in runs:
            run.id = next(self._ids)

    def keep(self, run, record: RunRecord) -> list[Note]:
        """A run ended (in its training thread); what the page should say about it (nothing here)."""
        self._insert(record)
        return []

    def imported(self, record: RunRecord, model) -> list[Note]:
        record.id = next(self._ids)
        self._insert(record)
        return []

    def _insert(self, record: RunRecord) -> None:
        with self._lock:
            at = next((i for i, r in enumerate(self._records) if r.id > record.id), len(self._records))
            self._records.insert(at, record)  # in the order the runs started (side by side end in any order)
            del self._records[: max(0, len(self._records) - self.max_runs)]
            for old in self._records[: max(0, len(self._records) - self.keep_models)]:
                old.result = None

    def records(self, going: set[int] = frozenset()) -> list[RunRecord]:
        with self._lock:
            return list(self._records)

    def has_model(self, record: RunRecord) -> bool:
        return record.result is not None

    def result_of(self, record: RunRecord, find_data):
        return record.result

    def dataset_of(self, record: RunRecord, find_data):
        """The data the run trained on, if it can be had (``find_data(config, identity)``)."""
        return find_data(record.config, record.data)

    def kept_file(self, name: str, sha256: str | None = None) -> bytes | None:
        """A file the workspace keeps under ``name`` (none in memory)."""
        return None

    def delete(self, record: RunRecord) -> None:
        with self._lock:
            self._records = [r for r in self._records if r is not record]

    def in_memory(self) -> list[RunRecord]:
        """The runs kept in this process only: all of them."""
        return self.records()

    def adopt(self, records) -> None:
        """Runs another archive kept in memory, numbered on from this one's."""
        for record in records:
            self.imported(record, None)

    def notices(self) -> list[Note]:
        return []

    def close(self) -> None:
        pass


class StoreArchive:
    """The runs of one workspace of a RunStore (see the module docstring)."""

    stored = True

    def __init__(self, store, key: str, owner: str = "", keep_models: int = 3, max_runs: int = 30):
        self.store, self.key, self.owner = store, key, owner
        self.down: StoreError | None = None  # the store's last failure, while it lasts
        self._fallback = MemoryArchive(keep_models, max_runs, first_id=MEMORY_IDS_FROM)
        self._cache: dict[int, tuple[tuple, RunRecord]] = {}  # number -> ((updated, status), record)
        # the latest models loaded or trained: number -> (RunResult, the time index of its data or None)
        self._results: OrderedDict[int, tuple] = OrderedDict()
        self._keep_models = keep_models
        self._recorders: dict[int, object] = {}
        self._imported: dict[int, object] = {}  # runs imported here without their data: as exported (this session)
        self._notes: list[Note] = []  # what writing runs back did that the page should say once
        self._lock = threading.Lock()
        self._writing = threading.Lock()  # held while runs kept in memory are written into the store

    def _failed(self, exc: StoreError) -> None:
        self.down = exc

    # runs starting and ending -----------------------------------------------------------------
    def number(self, runs) -> None:
        """Rows in the store for the runs that start now, and a recorder on each; in memory where the
        store is down (``down`` says so)."""
        from rnncore.store.recorder import RunRecorder

        try:
            numbers = self.store.new_runs(self.key, [(run.config, run.identity, run.parameters, run.lineage)
                                                     for run in runs], owner=self.owner)
        except StoreError as exc:
            if exc.key in ("quota_runs", "no_workspace", "bad_workspace_key"):
                raise  # the person must act: nothing starts
            self._failed(exc)
            self._fallback.number(runs)
            return
        self.down = None
        for run, number in zip(runs, numbers, strict=True):
            run.id = number
            recorder = RunRecorder(self.store, self.key, number, run.model)
            run.watch(recorder)
            self._recorders[number] = recorder

    def keep(self, run, record: RunRecord) -> list[Note]:
        """A run ended (in its training thread): write it whole, with its kept weights and trace."""
        recorder = self._recorders.pop(record.id, None)
        if recorder is None:  # it started while the store was down
            return self._fallback.keep(run, record)
        result = record.result
        try:
            gone = recorder.finish(**ended_fields(record, result))
        except StoreError as exc:
            self._failed(exc)
            return self._fallback.keep(run, record)
        self.down = recorder.error
        self._remember(record.id, result, record.index)
        return self._evicted(gone)

    def _evicted(self, gone: list[int]) -> list[Note]:
        """The models the store removed for the quota are gone from memory too; what to say about it."""
        if not gone:
            return []
        with self._lock:
            for number in gone:
                self._results.pop(number, None)
        return [Note.keyed("models_removed", STORE_NOTES, runs=", ".join(f"#{n}" for n in gone))]

    def imported(self, record: RunRecord, model) -> list[Note]:
        """Keep an imported run in the workspace (in memory where the store is down)."""
        from rnncore.io.model_files import model_bytes

        try:
            (number,) = self.store.new_runs(self.key, [(record.config, record.data, record.parameters, record.lineage)],
                                            owner=self.owner)
            record.id = number
            gone = self.store.finish_run(self.key, number, status=Status.IMPORTED, reason=record.reason,
                                         message=record.message, details=record.details, history=record.history,
                                         kept_epoch=None, results=results_of(record), parameters=record.parameters,
                                         weights=model_bytes(model))
        except StoreError as exc:
            if exc.key == "quota_runs":
                raise
            self._failed(exc)
            return self._fallback.imported(record, model)
        self._remember(number, record.result, record.index)
        if record.imported is not None:
            with self._lock:
                self._imported[number] = record.imported
        return self._evicted(gone)

    def _remember(self, number: int, result, index=None) -> None:
        if result is None:
            return
        with self._lock:
            self._results[number] = (result, index)
            self._results.move_to_end(number)
            while len(self._results) > self._keep_models:
                self._results.popitem(last=False)

    # reading ----------------------------------------------------------------------------------
    def records(self, going: set[int] = frozenset()) -> list[RunRecord]:
        """Every run of the workspace, oldest first, but the ones this Lab is training (``going``): the pages
        show those live. A run another tab or server trains reads as running elsewhere."""
        try:
            summaries = self.store.list_runs(self.key)
        except StoreError as exc:
            self._failed(exc)
            with self._lock:
                stored = [record for _, (_, record) in sorted(self._cache.items())]
            return self._with_memory(stored)
        if self._fallback.records() and self.write_back():  # the store answers again: what memory kept goes in
            return self.records(going)
        if not self._fallback.records():
            self.down = None
        out, seen = [], set()
        for summary in summaries:
            if summary.number in going:
                continue
            seen.add(summary.number)
            stamp = (summary.updated, summary.status, summary.has_model)
            with self._lock:
                hit = self._cache.get(summary.number)
            if hit is None or hit[0] != stamp:
                try:
                    record = self._record(self.store.get_run(self.key, summary.number))
                except StoreError as exc:  # deleted meanwhile, or the store went down
                    if exc.key != "no_run":
                        self._failed(exc)
                    continue
                hit = (stamp, record)
                with self._lock:
                    self._cache[summary.number] = hit
            out.append(hit[1])
        with self._lock:
            for number in set(self._cache) - seen:
                del self._cache[number]
        return self._with_memory(out)

    def _with_memory(self, stored: list[RunRecord]) -> list[RunRecord]:
        """The stored runs, then the ones kept in memory; a run in both (it ended while the store was down, and is
        not written back yet) as memory has it."""
        kept = self._fallback.records()
        ids = {r.id for r in kept}
        return [r for r in stored if r.id not in ids] + kept

    def _record(self, stored) -> RunRecord:
        results = stored.results
        status = Status(stored.status) if stored.status in Status._value2member_map_ else Status.FAILED
        reason, details, message = stored.reason, stored.details, stored.message
        if status == Status.RUNNING:
            reason, details = "elsewhere", {"epochs": stored.epochs}
            message = say(reason, **details)["message"]
        partial = results.get("partial_epoch")
        record = RunRecord(id=stored.number, config=ExperimentConfig.from_dict(stored.config), status=status,
                           message=message, reason=reason, details=details, history=stored.history,
                           metrics=results.get("metrics", {}), baselines=results.get("baselines", {}),
                           baseline_notes={k: baseline_note(v) for k, v in results.get("baseline_notes", {}).items()},
                           parameters=stored.parameters, kept_epoch=stored.kept_epoch,
                           partial_epoch=PartialEpoch(partial["epoch"], tuple(partial["batch_losses"]),
                                                      partial["batches"]) if partial else None,
                           y_unit=results.get("y_unit"), data_name=stored.data.get("name") or stored.config["data"]
                           ["source"], data=stored.data, lineage=stored.lineage,
                           grad_through_time=floats(results.get("grad_through_time")),
                           grad_epoch=results.get("grad_epoch"))
        record.stored_model = stored.has_model
        with self._lock:
            record.result, record.index = self._results.get(stored.number, (None, None))
            record.imported = self._imported.get(stored.number)
        return record

    def has_model(self, record: RunRecord) -> bool:
        return record.result is not None or record.stored_model

    def result_of(self, record: RunRecord, find_data):
        """The run's result (a RunResult, or a text or labels task's), its model loaded from the store on demand;
        None when its data cannot be had (``find_data(config, identity)`` gives the data or None). StoreError when
        the store cannot."""
        if record.result is not None:
            return record.result
        with self._lock:
            cached = self._results.get(record.id)
        if cached is not None:
            record.result, record.index = cached
            return record.result
        if not record.stored_model:
            return None
        from rnncore.io.model_files import model_from_bytes

        dataset = self.dataset_of(record, find_data)
        if dataset is None:
            return None
        weights = self.store.weights(self.key, record.id)
        if weights is None:
            return None
        model = model_from_bytes(weights[1], record.config)
        result = rescored(record.config, model, dataset, history=record.history, status=record.status,
                          reason=record.reason, details=record.details, message=record.message,
                          kept_epoch=record.kept_epoch)
        record.result, record.index = result, time_index(dataset)
        self._remember(record.id, result, record.index)
        return result

    def dataset_of(self, record: RunRecord, find_data):
        """The data the run trained on: loaded now (``find_data``), a sample or a generator, or an uploaded file
        kept in the workspace; None when none of these has it."""
        dataset = find_data(record.config, record.data)
        sha = record.data.get("sha256")
        if dataset is not None or not sha:
            return dataset
        found = self.store.get_data(self.key, sha)
        if found is None:
            return None
        return data_of(record.config, record.data, found[1])

    def kept_file(self, name: str, sha256: str | None = None) -> bytes | None:
        """The workspace's file of that content (``sha256``), else its latest file named ``name``; None when it
        keeps neither (or the store cannot be read now)."""
        try:
            found = self.store.get_data(self.key, sha256) if sha256 else None
            found = found or self.store.find_data(self.key, name)
        except StoreError as exc:
            self._failed(exc)
            return None
        return None if found is None else found[1]

    def keep_data(self, name: str, content: bytes) -> list[Note]:
        """Keep an uploaded file in the workspace, so runs on it can be reopened after a reload."""
        try:
            self.store.put_data(self.key, name, content)
        except StoreError as exc:
            if exc.key != "quota_bytes":
                self._failed(exc)
            return [Note.keyed("data_not_kept", STORE_NOTES, error=str(exc))]
        return []

    def delete(self, record: RunRecord) -> None:
        """Delete a run from the store (StoreError run_training while it trains), or from memory."""
        with self._writing:  # never while it is being written back
            if any(kept is record for kept in self._fallback.records()):
                self._fallback.delete(record)
                return
        self.store.delete_run(self.key, record.id)
        with self._lock:
            self._cache.pop(record.id, None)
            self._results.pop(record.id, None)

    # runs kept in memory while the store was down --------------------------------------------------
    def in_memory(self) -> list[RunRecord]:
        """The runs kept in this process only (the store could not take them when they ended)."""
        return self._fallback.records()

    def adopt(self, records) -> None:
        """Runs another archive kept in memory (the tab had no store): numbered apart from the stored runs,
        then written into the workspace (those the store does not take yet stay in memory)."""
        self._fallback.adopt(records)
        self.write_back()

    def write_back(self) -> int:
        """Write the runs kept in memory into the workspace, oldest first, each in one transaction: a run whose
        row was made when it started is finished there, one that started while the store was down gets the next
        number. The first the store refuses stops it (``down`` says why) and stays in memory with those after
        it, for the next try. How many were written (0 too while another thread of the page is at it)."""
        if not self._writing.acquire(blocking=False):
            return 0
        written = 0
        try:
            for record in self._fallback.records():
                try:
                    number, gone = self._write(record)
                except StoreError as exc:
                    if exc.key != "no_run":
                        self._failed(exc)
                        break
                    self._fallback.delete(record)  # its row was deleted meanwhile, in another tab: so is the run
                    continue
                self._fallback.delete(record)
                self._remember(number, record.result, record.index)
                notes = self._evicted(gone)
                with self._lock:
                    if record.imported is not None:
                        self._imported[number] = record.imported
                    self._notes.extend(notes)
                written += 1
        finally:
            self._writing.release()
        return written

    def _write(self, record: RunRecord) -> tuple[int, list[int]]:
        fields = kept_fields(record)
        if record.id < MEMORY_IDS_FROM:  # it started with the store: its row is there
            return record.id, self.store.finish_run(self.key, record.id, **fields)
        started = (record.config, record.data, record.parameters, record.lineage)
        return self.store.add_run(self.key, started, owner=self.owner, **fields)

    def notices(self) -> list[Note]:
        """What writing runs back did since the last call (models the quota removed)."""
        with self._lock:
            notes, self._notes = self._notes, []
        return notes

    def close(self) -> None:
        for recorder in list(self._recorders.values()):
            recorder.close()

"""One person's workbench: the data and settings for the next run, the runs going, the runs done.

The dashboard keeps one ``Lab`` per browser session (Streamlit's session-scoped
``cache_resource``); nothing here knows about Streamlit, so all of it is tested directly.

The Lab is the pages' front door. ``dataset`` and ``config`` are what the *next* run will use;
each run started is an ``ActiveRun`` that owns its own config and data, so choosing other data or
settings while a run goes on never changes what that run trains on or how it is drawn. Every
operation is all-or-nothing: one that is refused (a ConfigError, DataError or BundleError) changes
nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

from rnncore.config import DataConfig, ExperimentConfig
from rnncore.data.dataset import Dataset
from rnncore.data.layouts import apply_layout
from rnncore.data.sources import load_source
from rnncore.data.text import Text
from rnncore.errors import KeyedError, Note, config_error, data_error
from rnncore.lab.active import ActiveRun
from rnncore.lab.archive import MemoryArchive, StoreArchive
from rnncore.lab.records import RunRecord, time_index
from rnncore.tasks.build import data_of, follow_data, recommended
from rnncore.training.lineage import FRESH, IMPORTED, Lineage
from rnncore.training.progress import Status
from rnncore.training.results import baseline_note, evaluate

MOST_TEXT = 1_000_000  # characters of a text trained here: the time of an epoch and a run's memory grow with it


def _within(data):
    """A task's data as the Lab trains on it: a text cut to its first MOST_TEXT characters."""
    return data.cut(MOST_TEXT) if isinstance(data, Text) else data


def _read(config: ExperimentConfig, content: bytes | None = None, identity: dict | None = None) -> tuple:
    """(the data as read, before a series' layout applies: what ``reshape`` reads again, None for a text or a
    labelled set; the data the Lab trains on, ``_within``) of ``config``'s source (``content``: a file's bytes;
    ``identity``: a run's, whose text was cut)."""
    data = config.data
    if data.task == "forecast":
        loaded = load_source(data.source, data.params, content)
        return loaded, apply_layout(loaded, data.layout)
    return None, _within(data_of(config, identity, content))


@dataclass(frozen=True)
class Controls:
    """Which of the run buttons do something now."""

    start: bool
    pause: bool  # running or queued: pause after this epoch
    resume: bool  # paused
    step: bool  # paused, or nothing going: one epoch
    stop: bool  # anything going


class Lab:
    """The state of one session's experiments. Thread-safe where training threads touch it."""

    def __init__(self, slots: threading.Semaphore | None = None, limits=None,
                 keep_models: int = 3, max_runs: int = 30, archive: MemoryArchive | StoreArchive | None = None):
        self.slots = slots  # the server's training slots (shared by every session)
        self.limits = limits  # RunLimits of this server, or None
        self.keep_models, self.max_runs = keep_models, max_runs
        self.archive = archive or MemoryArchive(keep_models, max_runs)  # where ended runs are kept
        self.config = recommended(ExperimentConfig())  # the next run's settings: the default sample's
        self._notices: list[Note] = []  # what the archive did that the page should say once
        self._content: bytes | None = None  # the next run's data as uploaded (a file), to keep with its runs
        self._dataset: Dataset | None = None  # the next run's data (None: the config's source, loaded on demand)
        self._loaded: Dataset | None = None  # that data as loaded, before its layout (a grid unstacked) applies
        self._group: list[ActiveRun] = []  # the runs of the last Start (one) or series (several)
        self._lock = threading.Lock()

    # the next run's data --------------------------------------------------------------------
    @property
    def dataset(self) -> Dataset | None:
        return self._dataset

    @property
    def upload(self) -> bytes | None:
        """The next run's data as uploaded (a file's bytes); None for a sample or a generated series."""
        return self._content

    def load(self, source: str, params: dict | None = None, content: bytes | None = None, *, task: str = "forecast",
             label: str | None = None):
        """Load ``task``'s data for the next run: a series (a sample, a generator or a CSV file: an upload's name and
        ``content``), a text (``charlm``) or a labelled set (``classify``; ``label``: a file's label column).

        A series keeps its target and input columns where they still exist. A bundled sample sets the settings
        recommended for it; other data of the same task keeps the person's settings, and data of another task
        starts from that task's (``follow_data``). A text longer than MOST_TEXT is cut to its beginning (its
        ``whole`` says how long it was). On DataError (or a ConfigError) nothing changes.
        """
        data = self.config.data
        layout = data.layout if (task, source) == (data.task, data.source) else "table"  # the same file: its layout
        chosen = DataConfig(task=task, source=source, params=dict(params or {}), layout=layout, label=label)
        loaded, dataset = _read(ExperimentConfig(data=chosen), content)
        if task == "forecast":  # a series keeps its target and inputs where it still has them
            columns = list(dataset.frame.columns)
            chosen = replace(chosen, target=data.target if data.target in columns else None,
                             features=tuple(c for c in data.features if c in columns))
        elif content is not None and isinstance(dataset, Text) and dataset.whole > len(dataset):
            content = dataset.encode("utf-8")  # the part trained on is the file a run keeps
        self.config = follow_data(self.config, chosen)
        self._dataset, self._loaded, self._content = dataset, loaded, content
        if content is not None and self.archive.stored:
            self._tell(self.archive.keep_data(source, content))
        return dataset

    def load_kept(self, name: str, task: str = "forecast", label: str | None = None):
        """Load the workspace's own copy of the file ``name`` (an upload, a class's challenge) for the next run,
        as ``load`` would; None when the workspace keeps no such file."""
        content = self.archive.kept_file(name)
        return None if content is None else self.load(name, content=content, task=task, label=label)

    def reopen_latest(self) -> None:
        """A workspace's Lab made anew (a reload after the server restarted, or after its tabs stayed closed):
        the settings and data of its latest run become the next run's again (a file from the workspace's copy).
        Where that data cannot be had, nothing changes."""
        runs = self.runs
        if self._dataset is not None or not runs:
            return
        latest = runs[-1]
        data = latest.config.data
        content = self.archive.kept_file(data.source, latest.data.get("sha256")) if data.kind == "file" else None
        if data.kind == "file" and content is None:
            return
        try:
            loaded, dataset = _read(latest.config, content, latest.data)
        except KeyedError:  # a sample or generator this version no longer makes as it did
            return
        self.config, self._loaded, self._content, self._dataset = latest.config, loaded, content, dataset

    def reshape(self, layout: str) -> Dataset:
        """Read the next run's data in another layout (a grid of years by months as one series)."""
        if self._loaded is None:
            raise data_error("no_data")
        data = replace(self.config.data, layout=layout, target=None, features=())  # ConfigError: nothing changes
        dataset = apply_layout(self._loaded, layout)
        self.config, self._dataset = replace(self.config, data=data), dataset
        return dataset

    def ensure_dataset(self):
        """The next run's data (a Dataset, a Text or a LabelledSet), loading the config's source when none is loaded
        yet."""
        if self._dataset is None:
            data = self.config.data
            if data.kind == "file":
                raise data_error("no_data")
            self._loaded, self._dataset = _read(self.config)
        return self._dataset

    # the runs going ------------------------------------------------------------------------
    @property
    def current(self) -> ActiveRun | None:
        """The run the Train and Inside pages show: of the last Start or series, the first one still
        going, else the last one; None before any run."""
        group = self._group
        return next((run for run in group if not run.status.ended), group[-1] if group else None)

    def active(self) -> list[ActiveRun]:
        """The runs of the last Start or series, in the order they were started."""
        return list(self._group)

    def status(self) -> Status:
        """Running if any run of the group trains, else queued, else paused; else the current run's."""
        statuses = {run.status for run in self._group}
        for status in (Status.RUNNING, Status.QUEUED, Status.PAUSED):
            if status in statuses:
                return status
        return self.current.status if self._group else Status.IDLE

    @property
    def busy(self) -> bool:
        """A run is going (queued, running or paused)."""
        return self.status().active

    def controls(self) -> Controls:
        """What the buttons may do now; a Pause pressed shows as Resume at once, before the epoch ends."""
        status = self.status()
        pausing = any(run.progress().pausing for run in self._group)
        resume = status == Status.PAUSED or pausing
        return Controls(start=not status.active, pause=status.moving and not resume, resume=resume,
                        step=not status.moving, stop=status.active)

    def next_differs(self) -> str | None:
        """While a run goes on with other data or settings than the next run's: that run's data name."""
        run = self.current
        if run is None or not run.status.active:
            return None
        if run.dataset is not self._dataset or run.config != self.config:
            return run.dataset.name
        return None

    # starting and controlling runs -------------------------------------------------------------
    def start(self, config: ExperimentConfig | None = None, one_epoch: bool = False) -> ActiveRun:
        """Start a run of ``config`` (default: the next run's settings) on the next run's data.

        Raises ConfigError (a setting, a server limit, a run still going) or DataError (data too
        short) and then changes nothing; on success ``config`` becomes the next run's settings.
        """
        if self.busy:
            raise config_error("run_going")
        config = config or self.config
        run = self._prepare(config, self.ensure_dataset())
        self._begin([run], config, one_epoch)
        return run

    def start_series(self, configs: Sequence[ExperimentConfig], dataset: Dataset | None = None) -> list[ActiveRun]:
        """Train several configs side by side (a scenario's comparison, the cell sweep).

        They train on ``dataset`` (loaded by the caller from the configs' source: a series, a text or a labelled
        set), else on the next run's data; data given becomes the next run's once the series starts. They share
        the server's training slots, so as many train at once as it allows and the rest queue. Every
        config is checked before any starts: one that cannot run refuses the whole series, and
        nothing changes. ``stop()`` ends them all.
        """
        if self.busy:
            raise config_error("run_going")
        given = dataset is not None
        dataset = _within(dataset) if given else self.ensure_dataset()
        runs = [self._prepare(config, dataset) for config in configs]
        if given:  # (a series' data as given is as loaded: its layout a table)
            forecast = configs[0].data.task == "forecast"
            self._dataset, self._loaded, self._content = dataset, dataset if forecast else None, None
        self._begin(runs, configs[0])
        return runs

    def continue_run(self, record: RunRecord) -> ActiveRun:
        """Train on from a kept run's weights, with its settings and data (which become the next run's)."""
        if self.busy:
            raise config_error("run_going")
        if record.status.active:
            raise config_error("running_elsewhere")
        result = self.result_of(record)
        if result is None:
            if self.has_model(record):
                raise data_error("load_run_data", source=record.config.data.source)
            raise config_error("model_gone")
        dataset = self.archive.dataset_of(record, self.dataset_for)
        state = {k: v.detach().clone() for k, v in result.model.state_dict().items()}
        run = self._prepare(record.config, dataset, initial_state=state, history=record.history, lineage=record.lineage)
        self._dataset = dataset
        self._begin([run], record.config)
        return run

    def _prepare(self, config: ExperimentConfig, dataset: Dataset, initial_state=None, history=(),
                 lineage: Lineage = FRESH) -> ActiveRun:
        """A run ready to start (its Trainer built and checked); raises before anything changes."""
        return ActiveRun(config, dataset, slots=self.slots, limits=self.limits, initial_state=initial_state,
                         history=history, lineage=lineage, on_end=self._keep)

    def _begin(self, runs: list[ActiveRun], config: ExperimentConfig | None, one_epoch: bool = False) -> None:
        """Number ``runs`` and start them; ``config`` becomes the next run's settings (None: they stay)."""
        with self._lock:
            self.archive.number(runs)  # StoreError (a quota, a workspace gone): nothing has started
            self._group = runs
        self.config = config or self.config
        for run in runs:
            run.start(one_epoch)

    def _keep(self, run: ActiveRun, record: RunRecord) -> None:
        """A run ended (in its training thread): the archive keeps its record (and says what it did)."""
        self._tell(self.archive.keep(run, record))

    def _tell(self, notes: list[Note]) -> None:
        with self._lock:
            self._notices.extend(notes)

    def notices(self) -> list[Note]:
        """What the archive did since the last call that a page says once (models removed by a quota...),
        and while the store is down, that runs are kept in memory."""
        with self._lock:
            notes, self._notices = self._notices, []
        notes += self.archive.notices()
        down = self.archive.down
        if down is not None:
            from rnncore.messages import STORE_NOTES

            notes.append(Note.keyed("store_down", STORE_NOTES, error=str(down)))
        return notes

    def pause(self) -> None:
        for run in self._group:
            run.pause()

    def resume(self) -> None:
        for run in self._group:
            run.resume()

    def stop(self) -> None:
        """Stop every run going (a whole series); their history and weights are kept."""
        for run in self._group:
            run.stop()

    def step(self) -> None:
        """One epoch: of the paused runs, or of a new run that then pauses."""
        if self.busy:
            for run in self._group:
                if run.status == Status.PAUSED:
                    run.step()
        else:
            self.start(one_epoch=True)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for every run going to end; True when all have."""
        return all([run.join(timeout) for run in self._group])

    # ended runs ------------------------------------------------------------------------------
    @property
    def runs(self) -> list[RunRecord]:
        """The ended and imported runs of every task, oldest first (with a store: every run of the workspace, other
        tabs' included, but the ones this Lab is training)."""
        going = {run.id for run in self._group if run.record is None}
        return self.archive.records(going)

    def run(self, run_id: int) -> RunRecord | None:
        return next((r for r in self.runs if r.id == run_id), None)

    def has_model(self, record: RunRecord) -> bool:
        """Whether the run's model can be evaluated, inspected or continued (in memory or in the store)."""
        return self.archive.has_model(record)

    def result_of(self, record: RunRecord):
        """The run's RunResult (its model, loaded from the store when needed), or None when the model is gone
        or its data is not at hand."""
        return self.archive.result_of(record, self.dataset_for)

    def delete(self, record: RunRecord) -> None:
        """Delete a run (from the store too). The store refuses one that is training, whoever trains it
        (StoreError run_training), as it would from the command line."""
        self.archive.delete(record)

    def use_archive(self, archive) -> None:
        """Keep runs in ``archive`` from now on (another workspace); refused while a run goes on. The runs the
        old one kept only in memory (the store was down) go with it, into the store where it has one."""
        if self.busy:
            raise config_error("run_going")
        old, self.archive = self.archive, archive
        archive.adopt(old.in_memory())
        if self._content is not None and archive.stored:  # the file loaded now, so its runs reopen
            self._tell(archive.keep_data(self.config.data.source, self._content))
        old.close()

    def import_run(self, data: bytes) -> RunRecord:
        """Bring back an exported run of any task (BundleError on a bad file, or on data that is not the run's;
        nothing changes then).

        With its data at hand (a sample, a generator, or the same series file loaded now) the run is
        evaluated again in full; otherwise only its curves and metrics can be compared.
        """
        from rnncore.io.bundle import ImportedTask, import_run
        from rnncore.tasks.files import rescore
        from rnncore.training.progress import say

        imported = import_run(data, self.limits)
        cfg, doc = imported.config, imported.metrics
        dataset = self.dataset_for(cfg, imported.data)
        said = say("imported" if dataset is not None else "imported_no_data", cell=cfg.model.cell,
                   epochs=len(imported.history), source=cfg.data.source)
        forecast = not isinstance(imported, ImportedTask)
        baselines = doc.get("baselines", {})
        record = RunRecord(id=0, config=cfg, status=Status.IMPORTED, **said, history=imported.history,
                           parameters=imported.model.num_parameters(), data_name=cfg.data.source,
                           metrics={k: doc[k] for k in ("val", "test") if k in doc},
                           baselines={name: {"test": m} for name, m in baselines.items() if "note" not in m}
                           if forecast else baselines,
                           baseline_notes={name: baseline_note(m) for name, m in baselines.items() if "note" in m}
                           if forecast else {})
        record.data, record.lineage = imported.data, IMPORTED.then(imported.data)  # whatever its files say
        if dataset is not None:
            result = evaluate(cfg, imported.model, dataset, imported.history) if forecast else \
                rescore(imported, dataset)
            record.keep(result)
            record.data, record.index = dataset.identity(), time_index(dataset)  # the data it was evaluated on
        elif forecast:
            record.imported = imported  # Evaluate shows it as exported: curves, metrics, predictions
        self._tell(self.archive.imported(record, imported.model))
        return record

    def dataset_for(self, config: ExperimentConfig, identity: dict | None = None) -> Dataset | None:
        """The data ``config`` was trained on, if it can be had: a sample, a generator, or the series file loaded
        now when it is the same file (its name, and its content where ``identity`` holds its sha256)."""
        if config.data.kind != "file":
            return data_of(config, identity)
        loaded, sha, now = self._dataset, (identity or {}).get("sha256"), self.config.data
        same = (now.task, now.source, now.layout, now.label) == (config.data.task, config.data.source,
                                                                 config.data.layout, config.data.label)
        if loaded is not None and same and (not sha or sha == loaded.checksum):
            return loaded
        return None

    def close(self) -> None:
        """Stop any training: the browser tab closed."""
        self.stop()
        self.join(timeout=10)
        self.archive.close()
